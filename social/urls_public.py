"""Public (not tenant-scoped) URLs: Facebook redirects and callbacks. The tenant of the OAuth
callback comes from the server-side state, never from the URL."""

from django.urls import path

from social import views

urlpatterns = [
    path("social/facebook/callback/", views.oauth_callback, name="social_oauth_callback"),
    path("facebook/deauthorize", views.deauthorize, name="social_deauthorize"),
    path("facebook/data-deletion", views.data_deletion, name="social_data_deletion"),
    path(
        "facebook/data-deletion/<str:code>/",
        views.data_deletion_status,
        name="social_data_deletion_status",
    ),
]
