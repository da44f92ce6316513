from django.urls import path

from assets import views

app_name = "assets"

urlpatterns = [
    path("", views.library, name="library"),
    path("upload/", views.upload, name="upload"),
    path("bulk/", views.bulk, name="bulk"),
    path("picker/", views.picker, name="picker"),
    path("a/<int:asset_id>/", views.asset_detail, name="asset_detail"),
    path("a/<int:asset_id>/tile/", views.asset_tile, name="asset_tile"),
    path("a/<int:asset_id>/file/<slug:kind>/", views.asset_file, name="asset_file"),
    path("folders/new/", views.folder_create, name="folder_create"),
    path("folders/<int:folder_id>/", views.folder_edit, name="folder_edit"),
    path("folders/<int:folder_id>/delete/", views.folder_delete, name="folder_delete"),
]
