"""Analytics, under /t/<tenant_slug>/analytics/ (config/urls.py)."""

from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.export, name="export"),
]
