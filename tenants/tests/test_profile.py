"""The restaurant profile page, opening hours included, and the dashboard's completeness."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from tenants import registration
from tenants.forms import PROFILE_FIELDS, ProfileForm
from tenants.models import WEEKDAYS, Tenant, validate_opening_hours
from tenants.testing import SIGNUP_FORM


def _form_data(tenant, **changes):
    """What the browser posts for the tenant's current profile, with changes."""
    data = {}
    for key, value in ProfileForm.initial_for(tenant).items():
        if key.endswith("_closed"):
            if value:
                data[key] = "on"
        elif value is not None:
            data[key] = value
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _week(**days):
    """Every day closed except those given as (open, close) pairs."""
    data = {}
    for day in WEEKDAYS:
        slots = days.get(day)
        if not slots:
            data[f"{day}_closed"] = "on"
            continue
        data[f"{day}_closed"] = None
        for n, (start, end) in enumerate(slots, start=1):
            data[f"{day}_open_{n}"], data[f"{day}_close_{n}"] = start, end
    return data


def _reload(tenant):
    return Tenant.objects.get(pk=tenant.pk)


def test_the_profile_page_shows_time_inputs_not_json(owner_client, tenant):
    html = owner_client.get(reverse("tenants:profile", args=[tenant.slug])).content.decode()
    assert 'type="time"' in html
    assert 'name="mon_open_1"' in html and 'name="sun_close_2"' in html
    assert 'name="slug"' not in html
    for field in PROFILE_FIELDS:
        assert f'name="{field}"' in html


def test_an_owner_saves_the_whole_profile(owner_client, tenant):
    data = _form_data(
        tenant,
        name="Trattoria Alba Nuova",
        timezone="Europe/Berlin",
        address="Via Po 1, Torino",
        phone="+39 011 000",
        website="https://alba.example",
        cuisine="Piedmontese",
        description="Truffles in autumn.",
        menu_highlights="Vitello tonnato\nTajarin",
        tone_of_voice="Warm",
        language="it",
        **_week(
            tue=[("12:00", "14:30"), ("19:00", "22:30")],
            fri=[("18:00", "02:00")],
            sat=[("12:00", "15:00")],
        ),
    )
    response = owner_client.post(reverse("tenants:profile", args=[tenant.slug]), data)
    assert response.status_code == 302
    tenant = _reload(tenant)
    assert tenant.name == "Trattoria Alba Nuova"
    assert tenant.slug == "alba"
    assert (tenant.timezone, tenant.language, tenant.cuisine) == (
        "Europe/Berlin",
        "it",
        "Piedmontese",
    )
    assert tenant.opening_hours == {
        "mon": [],
        "tue": [{"open": "12:00", "close": "14:30"}, {"open": "19:00", "close": "22:30"}],
        "wed": [],
        "thu": [],
        "fri": [{"open": "18:00", "close": "02:00"}],
        "sat": [{"open": "12:00", "close": "15:00"}],
        "sun": [],
    }


def test_staff_may_edit_the_profile_too(staff_client, tenant):
    data = _form_data(tenant, cuisine="Street food", **_week())
    response = staff_client.post(reverse("tenants:profile", args=[tenant.slug]), data)
    assert response.status_code == 302
    assert _reload(tenant).cuisine == "Street food"


def test_the_slug_cannot_be_changed_from_the_profile(owner_client, tenant):
    data = _form_data(tenant, slug="stolen", **_week())
    owner_client.post(reverse("tenants:profile", args=[tenant.slug]), data)
    assert _reload(tenant).slug == "alba"


def test_times_on_a_closed_day_are_ignored(owner_client, tenant):
    data = _form_data(tenant, **_week(), mon_open_1="12:00", mon_close_1="15:00")
    owner_client.post(reverse("tenants:profile", args=[tenant.slug]), data)
    assert _reload(tenant).opening_hours["mon"] == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (_week(mon=[("12:00", "15:00"), ("14:00", "18:00")]), "Monday: two openings overlap."),
        (
            _week(tue=[("12:00", "12:00")]),
            "Tuesday: an opening cannot start and end at the same time.",
        ),
        ({**_week(), "wed_closed": None}, "Wednesday: give the opening times or tick Closed."),
        (_week(thu=[("25:00", "26:00")]), "Enter a time as HH:MM"),
        (_week(fri=[("noon", "15:00")]), "Enter a time as HH:MM"),
        (
            {**_week(sat=[("12:00", "15:00")]), "sat_close_1": ""},
            "Saturday: give both the opening and the closing time.",
        ),
    ],
    ids=[
        "overlap",
        "close-equals-open",
        "missing-day",
        "hour-out-of-range",
        "not-a-time",
        "open-without-close",
    ],
)
def test_malformed_opening_hours_are_refused_and_nothing_is_saved(
    owner_client, tenant, changes, message
):
    before = _reload(tenant).opening_hours
    data = _form_data(tenant, cuisine="Changed", **changes)
    response = owner_client.post(reverse("tenants:profile", args=[tenant.slug]), data)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    tenant = _reload(tenant)
    assert tenant.opening_hours == before
    assert tenant.cuisine == ""


@pytest.mark.parametrize(
    "field,value",
    [("timezone", "Nowhere/Atlantis"), ("website", "not a url"), ("name", ""), ("language", "xx")],
)
def test_bad_profile_fields_are_refused(owner_client, tenant, field, value):
    # A valid change travels with the bad field: it must not be saved either.
    data = _form_data(tenant, **_week(), **{"cuisine": "Changed", field: value})
    response = owner_client.post(reverse("tenants:profile", args=[tenant.slug]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert _reload(tenant).name == "Trattoria Alba"
    assert _reload(tenant).cuisine != "Changed"


@pytest.mark.parametrize(
    "hours",
    [
        {day: [] for day in WEEKDAYS if day != "sun"},
        {**{day: [] for day in WEEKDAYS}, "mon": [{"open": "9:00", "close": "10:00"}]},
        {**{day: [] for day in WEEKDAYS}, "mon": [{"open": "09:00"}]},
        {**{day: [] for day in WEEKDAYS}, "funday": []},
        [],
    ],
    ids=["missing-day", "bad-format", "no-close", "unknown-day", "not-a-dict"],
)
def test_the_model_refuses_malformed_opening_hours(hours):
    with pytest.raises(ValidationError):
        validate_opening_hours(hours)


def test_the_dashboard_shows_what_the_profile_still_misses(owner_client, tenant):
    html = owner_client.get(reverse("tenants:dashboard", args=[tenant.slug])).content.decode()
    assert '<span class="stat-figure">0%</span>' in html
    assert "Opening hours" in html and "Tone of voice" in html
    assert reverse("social:accounts", args=[tenant.slug]) in html
    assert reverse("assets:library", args=[tenant.slug]) in html
    Tenant.objects.filter(pk=tenant.pk).update(
        cuisine="x",
        description="x",
        address="x",
        phone="x",
        website="https://x.example",
        menu_highlights="x",
        tone_of_voice="x",
        opening_hours={**{d: [] for d in WEEKDAYS}, "mon": [{"open": "12:00", "close": "14:00"}]},
    )
    html = owner_client.get(reverse("tenants:dashboard", args=[tenant.slug])).content.decode()
    assert '<span class="stat-figure">100%</span>' in html
    assert "Everything is filled in" in html


THREE_MEALS = [
    {"open": "07:30", "close": "10:30"},
    {"open": "12:00", "close": "14:30"},
    {"open": "19:00", "close": "22:30"},
]


def test_a_day_with_three_openings_round_trips_through_the_profile_page(owner_client, tenant):
    hours = {**{d: [] for d in WEEKDAYS}, "mon": THREE_MEALS, "sat": THREE_MEALS[1:]}
    Tenant.objects.filter(pk=tenant.pk).update(opening_hours=hours)
    tenant = _reload(tenant)
    url = reverse("tenants:profile", args=[tenant.slug])
    html = owner_client.get(url).content.decode()
    assert 'name="mon_open_3" value="19:00"' in html
    data = _form_data(tenant, cuisine="All day")
    assert (data["mon_open_3"], data["mon_close_3"]) == ("19:00", "22:30")
    response = owner_client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    tenant = _reload(tenant)
    assert tenant.opening_hours == hours
    assert tenant.cuisine == "All day"


def test_a_third_opening_is_added_on_the_profile_page(owner_client, tenant):
    data = _form_data(tenant, **_week(wed=[(s["open"], s["close"]) for s in THREE_MEALS]))
    response = owner_client.post(reverse("tenants:profile", args=[tenant.slug]), data)
    assert response.status_code == 302
    assert _reload(tenant).opening_hours["wed"] == THREE_MEALS


def test_four_openings_are_refused_by_the_model_with_a_clear_message():
    hours = {
        **{d: [] for d in WEEKDAYS},
        "thu": [*THREE_MEALS, {"open": "23:00", "close": "01:00"}],
    }
    with pytest.raises(ValidationError) as error:
        validate_opening_hours(hours)
    assert error.value.messages == [
        "Thursday has 4 openings: a day can have at most 3 (e.g. breakfast, lunch and dinner). "
        "Merge or remove some."
    ]
    validate_opening_hours({**hours, "thu": THREE_MEALS})  # three are fine


def test_a_day_stored_with_four_openings_shows_all_four_and_drops_none(owner_client, tenant):
    """Saved before the limit existed: the page shows every opening and asks for fewer, rather
    than saving three and losing one."""
    four = [*THREE_MEALS, {"open": "23:00", "close": "01:00"}]
    hours = {**{d: [] for d in WEEKDAYS}, "fri": four}
    Tenant.objects.filter(pk=tenant.pk).update(opening_hours=hours)
    tenant = _reload(tenant)
    url = reverse("tenants:profile", args=[tenant.slug])
    assert 'name="fri_open_4" value="23:00"' in owner_client.get(url).content.decode()
    response = owner_client.post(url, _form_data(tenant, cuisine="Changed"))
    assert response.status_code == 200
    assert "Friday has 4 openings: a day can have at most 3" in response.content.decode()
    assert _reload(tenant).opening_hours == hours
    data = _form_data(tenant, fri_open_4="", fri_close_4="")
    assert owner_client.post(url, data).status_code == 302
    assert _reload(tenant).opening_hours["fri"] == THREE_MEALS


def test_a_profile_without_opening_hours_says_so(owner_client, tenant):
    url = reverse("tenants:profile", args=[tenant.slug])
    notice = "No opening hours yet: untick Closed for the days you open."
    assert notice in owner_client.get(url).content.decode()
    owner_client.post(url, _form_data(tenant, **_week(sun=[("12:00", "15:00")])))
    assert notice not in owner_client.get(url).content.decode()


def test_the_dashboard_counts_missing_opening_hours_for_a_new_restaurant(client, db):
    client.post(
        reverse("signup"),
        {**SIGNUP_FORM, "name": "Nuovo", "slug": "nuovo", "email": "new@nuovo.example"},
    )
    tenant = Tenant.objects.get(slug="nuovo")
    assert tenant.opening_hours == {d: [] for d in WEEKDAYS}
    url = reverse("tenants:dashboard", args=[tenant.slug])
    owner = get_user_model().objects.get(email="new@nuovo.example")
    registration.signup_activate(user=owner)  # as the emailed link would
    client.force_login(owner)
    assert "Opening hours" in client.get(url).context["summary"].completeness.missing
    Tenant.objects.filter(pk=tenant.pk).update(
        opening_hours={**tenant.opening_hours, "tue": [{"open": "18:00", "close": "23:00"}]}
    )
    completeness = client.get(url).context["summary"].completeness
    assert "Opening hours" in completeness.done
    assert "Opening hours" not in completeness.missing
