from django.urls import path

from social import views

app_name = "social"

urlpatterns = [
    path("", views.accounts, name="accounts"),
    path("connect/", views.connect, name="connect"),
    path("grant-permissions/", views.rerequest, name="rerequest"),
    path("pick/<uuid:pending_id>/", views.pick_pages, name="pick"),
    path("<uuid:account_id>/check/", views.check_now, name="check"),
    path("<uuid:account_id>/reconnect/", views.reconnect, name="reconnect"),
    path("<uuid:account_id>/disconnect/", views.disconnect, name="disconnect"),
]
