"""The one public asset URL: Instagram renditions, fetched by Meta with no session."""

from django.urls import path

from assets import views

app_name = "assets_public"

urlpatterns = [
    path("public/ig/<slug:token>.jpg", views.public_instagram, name="instagram"),
]
