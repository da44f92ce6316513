"""A test-only URLconf: the real URLs plus a page that includes the asset picker exactly as
templates/assets/_picker.html documents (the composer will be its first real user)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from config.urls import urlpatterns as real_urlpatterns

HOST_PAGE = engines["django"].from_string(
    """{% extends "base.html" %}{% load static %}
{% block title %}Picker host{% endblock %}
{% block head %}<link rel="stylesheet" href="{% static 'css/assets.css' %}">{% endblock %}
{% block content %}
<h1>Picker host</h1>
<form method="post">
  <button type="button" class="btn" data-asset-picker="{% url 'assets:picker' tenant.slug %}?multiple=1"
          data-picker-target="#id_asset_ids">Choose photos</button>
  <input type="hidden" name="asset_ids" id="id_asset_ids">
</form>
{% endblock %}
{% block scripts %}<script src="{% static 'js/assets.js' %}" nonce="{{ request.csp_nonce }}" defer></script>{% endblock %}
"""
)


def picker_host(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    return HttpResponse(HOST_PAGE.render({}, request))


urlpatterns = [
    *real_urlpatterns,
    path("t/<slug:tenant_slug>/picker-host/", picker_host, name="picker_host"),
]
