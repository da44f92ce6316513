from django.urls import path

from webhooks.views import receiver

urlpatterns = [
    path("webhooks/facebook", receiver.facebook, name="webhooks_facebook"),
]
