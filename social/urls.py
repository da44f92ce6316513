from django.urls import path

from tenants.views import placeholder

app_name = "social"

urlpatterns = [path("", placeholder, name="accounts")]
