from django.urls import path

from posting.views import calendar

app_name = "calendar"

urlpatterns = [
    path("", calendar.month, name="month"),
    path("move/", calendar.move, name="move"),
]
