"""The profile fields the AI writer and the auto-replies read: city, signature hashtags, emoji,
reservations, diets, parking, delivery and holiday closures (typed one per line)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tenants.forms import ProfileForm
from tenants.models import Tenant, validate_closures, validate_signature_hashtags
from tenants.tests.test_profile import _form_data


def _post(client, tenant, **changes):
    return client.post(
        reverse("tenants:profile", args=[tenant.slug]), _form_data(tenant, **changes)
    )


def test_an_owner_saves_the_voice_and_practical_fields(owner_client, tenant):
    response = _post(
        owner_client,
        tenant,
        city="Torino",
        signature_hashtags="#alba #torinofood",
        emoji_style="lots",
        reservation_url="book.alba.example/table",
        dietary_options="vegan, gluten-free",
        parking="Free parking behind the church.",
        delivery="Take-away only.",
        closures="2026-12-26 Santo Stefano\n\n2026-12-25 Christmas Day",
    )
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=tenant.pk)
    assert tenant.city == "Torino"
    assert tenant.signature_hashtags == "#alba #torinofood"
    assert tenant.emoji_style == "lots"
    assert tenant.reservation_url == "https://book.alba.example/table"
    assert (tenant.dietary_options, tenant.parking, tenant.delivery) == (
        "vegan, gluten-free",
        "Free parking behind the church.",
        "Take-away only.",
    )
    assert tenant.closures == [
        {"date": "2026-12-25", "note": "Christmas Day"},
        {"date": "2026-12-26", "note": "Santo Stefano"},
    ]


def test_closures_come_back_one_per_line(tenant):
    tenant.closures = [{"date": "2026-01-01", "note": "New Year"}]
    form = ProfileForm(tenant=tenant)
    assert form["closures"].value() == "2026-01-01 New Year"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("25/12/2026 Christmas", "Line 1: start with the date as YYYY-MM-DD"),
        ("2026-12-25 Christmas\n2026-02-30 Nope", "Line 2: start with the date"),
        ("2026-12-25 a\n2026-12-25 b", "2026-12-25 is listed twice."),
    ],
)
def test_a_bad_closure_line_is_named_and_nothing_is_saved(owner_client, tenant, typed, message):
    response = _post(owner_client, tenant, closures=typed, city="Changed")
    assert response.status_code == 200
    assert message in response.content.decode()
    tenant = Tenant.objects.get(pk=tenant.pk)
    assert tenant.closures == [] and tenant.city == ""


@pytest.mark.parametrize(
    "value", ["alba", "#alba torino", "#", " ".join(f"#t{i}" for i in range(11))]
)
def test_signature_hashtags_must_be_hashtags(value):
    with pytest.raises(ValidationError):
        validate_signature_hashtags(value)


def test_good_signature_hashtags_pass():
    validate_signature_hashtags("#alba #torinofood")
    validate_signature_hashtags("")


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-25",
        [{"date": "2026-13-01"}],
        [{"date": 20261225}],
        [{"note": "no date"}],
        [{"date": "2026-12-25", "note": 5}],
        [{"date": f"2026-01-{d:02d}"} for d in range(1, 32)] * 2,
    ],
)
def test_closures_validator_refuses_bad_shapes(value):
    with pytest.raises(ValidationError):
        validate_closures(value)


def test_portal_pages_show_times_on_the_restaurants_clock(owner, tenant):
    """The middleware activates the restaurant's zone: a template's |date of a UTC instant
    shows the local wall time (Europe/Rome is UTC+1 in winter)."""
    from datetime import UTC, datetime

    from django.template import Context, Template
    from django.test import RequestFactory
    from django.utils import timezone

    from tenants.middleware import TenantScopeMiddleware

    seen = {}

    def view(request):
        from django.http import HttpResponse

        seen["shown"] = Template('{{ t|date:"H:i" }}').render(
            Context({"t": datetime(2026, 12, 1, 18, 0, tzinfo=UTC)})
        )
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse("ok")

    request = RequestFactory().get(f"/t/{tenant.slug}/")
    request.user = owner
    TenantScopeMiddleware(view)(request)
    assert seen == {"shown": "19:00", "zone": "Europe/Rome"}
    assert timezone.get_current_timezone_name() == "UTC"  # restored after the request
