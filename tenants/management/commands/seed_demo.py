"""Seed a demo restaurant with a staff login (idempotent). Used by `make run`."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from tenants.models import Membership, Tenant
from tenants.scoping import scopes_disabled

DEMO_EMAIL = "demo@tablecast.local"
DEMO_PASSWORD = "tablecast-demo"  # noqa: S105 (a published demo login for local runs only)

DEMO_PROFILE = {
    "name": "Trattoria Demo",
    "timezone": "Europe/Rome",
    "address": "Via Roma 12, 40121 Bologna",
    "phone": "+39 051 123 4567",
    "website": "https://trattoria-demo.example",
    "cuisine": "Italian, Emilian",
    "description": "A family-run trattoria near Piazza Maggiore: fresh pasta made every morning.",
    "opening_hours": {
        "mon": [],
        "tue": [{"open": "12:00", "close": "14:30"}, {"open": "19:00", "close": "22:30"}],
        "wed": [{"open": "12:00", "close": "14:30"}, {"open": "19:00", "close": "22:30"}],
        "thu": [{"open": "12:00", "close": "14:30"}, {"open": "19:00", "close": "22:30"}],
        "fri": [{"open": "12:00", "close": "14:30"}, {"open": "19:00", "close": "23:30"}],
        "sat": [{"open": "12:00", "close": "15:00"}, {"open": "19:00", "close": "23:30"}],
        "sun": [{"open": "12:00", "close": "15:30"}],
    },
    "menu_highlights": "Tagliatelle al ragù\nTortellini in brodo\nLasagne verdi\nZuppa inglese",
    "tone_of_voice": "Warm, proud of tradition, a little playful",
    "language": "en",
    "city": "Bologna",
    "signature_hashtags": "#trattoriademo #bolognafood",
    "emoji_style": "some",
    "reservation_url": "https://trattoria-demo.example/book",
    "dietary_options": "vegetarian, vegan on request, gluten-free pasta",
    "parking": "Public parking at Piazza VIII Agosto, five minutes on foot.",
    "delivery": "Take-away by phone; no delivery.",
    "closures": [{"date": "2026-12-25", "note": "Christmas Day"}],
}


class Command(BaseCommand):
    help = "Create (or refresh) the demo restaurant and its owner login."

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_EMAIL,
            defaults={"email": DEMO_EMAIL, "is_staff": True, "is_superuser": True},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        with scopes_disabled():
            tenant, _ = Tenant.objects.update_or_create(slug="demo", defaults=DEMO_PROFILE)
            Membership.objects.get_or_create(
                user=user, tenant=tenant, defaults={"role": Membership.Role.OWNER}
            )
        self.stdout.write(
            f"Demo restaurant '{tenant.name}' ready; log in as {DEMO_EMAIL} / {DEMO_PASSWORD}"
        )
