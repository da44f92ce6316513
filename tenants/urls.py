from django.urls import path

from tenants import views

app_name = "tenants"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("profile/", views.placeholder, name="profile"),
    path("members/", views.placeholder, name="members"),
]
