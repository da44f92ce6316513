from django.urls import path

from tenants.views import placeholder

app_name = "assets"

urlpatterns = [path("", placeholder, name="library")]
