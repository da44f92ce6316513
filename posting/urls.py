from django.urls import path

from posting.views import composer, history

app_name = "posting"

urlpatterns = [
    path("", history.history, name="history"),
    path("new/", composer.post_new, name="new"),
    path("drafts/", composer.drafts, name="drafts"),
    path("suggestions/", composer.suggestions, name="suggestions"),
    path("preview/", composer.preview, name="preview"),
    path("<int:post_id>/", history.detail, name="detail"),
    path("<int:post_id>/edit/", composer.post_edit, name="edit"),
    path("<int:post_id>/cancel/", history.post_cancel, name="cancel"),
    path(
        "publications/<int:publication_id>/<slug:action>/",
        history.publication_action,
        name="publication_action",
    ),
]
