"""URL layout. Portal pages live under /t/<tenant_slug>/ so the middleware can scope them; the
URL-enumerating isolation test (tenants/tests/test_isolation.py) checks every pattern here."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config import health
from tenants.forms import ThrottledAdminAuthenticationForm

admin.site.site_header = "Tablecast operations"
admin.site.site_title = "Tablecast operations"
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    # Browsers ask for /favicon.ico where a page names no icon (downloads, the JSON callbacks).
    path(
        "favicon.ico",
        RedirectView.as_view(url=settings.STATIC_URL + "favicon.svg", permanent=True),
        name="favicon",
    ),
    path("readyz", health.readyz, name="readyz"),
    path("", include("tenants.urls_public")),
    path("", include("social.urls_public")),
    path("", include("webhooks.urls_public")),
    path("", include("assets.urls_public")),
    path("t/<slug:tenant_slug>/", include("tenants.urls")),
    path("t/<slug:tenant_slug>/accounts/", include("social.urls")),
    path("t/<slug:tenant_slug>/library/", include("assets.urls")),
    path("t/<slug:tenant_slug>/posts/", include("posting.urls")),
    path("t/<slug:tenant_slug>/calendar/", include("posting.urls_calendar")),
    path("t/<slug:tenant_slug>/inbox/", include("webhooks.urls")),
    path("t/<slug:tenant_slug>/analytics/", include("analytics.urls")),
]
