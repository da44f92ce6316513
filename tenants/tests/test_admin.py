"""The admin for agency operators: every tenants page renders, unscoped, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenants.models import WEEKDAYS, Tenant
from tenants.testing import make_invitation, make_member, make_tenant, membership_of


@pytest.fixture
def data(tenant, owner, staff_member, other_tenant, outsider):
    invitation, _token = make_invitation(tenant)
    return {
        "tenant": tenant,
        "membership": membership_of(tenant, owner),
        "invitation": invitation,
    }


@pytest.mark.parametrize(
    "url",
    [
        "admin:tenants_tenant_changelist",
        "admin:tenants_tenant_add",
        "admin:tenants_membership_changelist",
        "admin:tenants_membership_add",
        "admin:tenants_invitation_changelist",
    ],
)
def test_the_admin_lists_and_forms_render(admin_client, data, url):
    assert admin_client.get(reverse(url)).status_code == 200


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("admin:tenants_tenant_change", "tenant"),
        ("admin:tenants_membership_change", "membership"),
        ("admin:tenants_invitation_change", "invitation"),
    ],
)
def test_the_admin_change_pages_render(admin_client, data, url, key):
    response = admin_client.get(reverse(url, args=[data[key].pk]))
    assert response.status_code == 200


def test_the_tenant_list_shows_member_counts(admin_client, data):
    response = admin_client.get(reverse("admin:tenants_tenant_changelist"))
    rows = {t.slug: t._members_count for t in response.context["cl"].result_list}
    assert rows == {"alba": 2, "bruno": 1}


def test_the_tenant_list_costs_the_same_with_more_tenants(admin_client, data):
    url = reverse("admin:tenants_tenant_changelist")
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for n in range(5):
        make_member(make_tenant(f"More {n}"))
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("url", "query", "expected"),
    [
        ("admin:tenants_tenant_changelist", "q=bruno", {"Bistro Bruno"}),
        ("admin:tenants_tenant_changelist", "timezone=America/New_York", {"Bistro Bruno"}),
        (
            "admin:tenants_tenant_changelist",
            "language__exact=en",
            {"Trattoria Alba", "Bistro Bruno"},
        ),
    ],
)
def test_the_tenant_list_searches_and_filters(admin_client, data, url, query, expected):
    response = admin_client.get(f"{reverse(url)}?{query}")
    assert {t.name for t in response.context["cl"].result_list} == expected


def test_the_membership_list_searches_by_email_and_filters_by_role(admin_client, data, outsider):
    url = reverse("admin:tenants_membership_changelist")
    found = admin_client.get(f"{url}?q={outsider.email}").context["cl"].result_list
    assert [m.user for m in found] == [outsider]
    staff = admin_client.get(f"{url}?role__exact=staff").context["cl"].result_list
    assert {m.role for m in staff} == {"staff"}


def test_the_membership_list_costs_the_same_with_more_rows(admin_client, data):
    url = reverse("admin:tenants_membership_changelist")
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for _ in range(5):
        make_member(data["tenant"], role="staff")
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few)


def test_an_operator_edits_a_tenant_in_the_admin(admin_client, data):
    tenant = data["tenant"]
    response = _tenant_admin_post(admin_client, tenant, {d: [] for d in WEEKDAYS}, name="Renamed")
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Tenant.objects.get(pk=tenant.pk).name == "Renamed"


def test_invitation_tokens_do_not_appear_in_the_admin(admin_client, data):
    html = admin_client.get(
        reverse("admin:tenants_invitation_change", args=[data["invitation"].pk])
    ).content.decode()
    assert data["invitation"].token_hash not in html
    assert admin_client.get(reverse("admin:tenants_invitation_add")).status_code == 403


def hours_inputs(opening_hours) -> dict[str, str]:
    """What the admin's opening-hours inputs send for these hours."""
    post = {}
    for day in WEEKDAYS:
        slots = opening_hours.get(day) or []
        if not slots:
            post[f"opening_hours_{day}_closed"] = "on"
        for n, slot in enumerate(slots, start=1):
            post[f"opening_hours_{day}_open_{n}"] = slot["open"]
            post[f"opening_hours_{day}_close_{n}"] = slot["close"]
    return post


def _tenant_admin_post(admin_client, tenant, opening_hours=None, **changes):
    url = reverse("admin:tenants_tenant_change", args=[tenant.pk])
    form = admin_client.get(url).context["adminform"].form
    post = {k: v for k, v in form.initial.items() if v is not None and k != "opening_hours"}
    post.update(hours_inputs(tenant.opening_hours if opening_hours is None else opening_hours))
    post.update({"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0", **changes})
    return admin_client.post(url, post)


def _hours(day, count):
    slots = [
        {"open": f"{h:02d}:00", "close": f"{h + 1:02d}:00"} for h in range(8, 8 + 2 * count, 2)
    ]
    return {**{d: [] for d in WEEKDAYS}, day: slots}


def test_the_tenant_admin_accepts_three_openings_a_day(admin_client, data):
    response = _tenant_admin_post(admin_client, data["tenant"], _hours("mon", 3))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Tenant.objects.get(pk=data["tenant"].pk).opening_hours == _hours("mon", 3)


def test_the_tenant_admin_refuses_four_openings_a_day_and_saves_nothing(admin_client, data):
    before = Tenant.objects.get(pk=data["tenant"].pk).opening_hours
    response = _tenant_admin_post(admin_client, data["tenant"], _hours("wed", 4))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["opening_hours"] == [
        "Wednesday has 4 openings: a day can have at most 3 (e.g. breakfast, lunch and dinner). "
        "Merge or remove some."
    ]
    assert Tenant.objects.get(pk=data["tenant"].pk).opening_hours == before


def test_the_tenant_admin_edits_the_time_zone_from_a_list_and_hours_as_time_inputs(
    admin_client, data
):
    tenant = data["tenant"]
    html = admin_client.get(reverse("admin:tenants_tenant_change", args=[tenant.pk])).content
    html = html.decode()
    assert '<select name="timezone"' in html and '<option value="Europe/Rome" selected>' in html
    assert 'type="time" name="opening_hours_mon_open_1"' in html
    assert 'name="opening_hours_sun_closed"' in html
    assert '<textarea name="opening_hours"' not in html  # no JSON to type
    hours = {**{d: [] for d in WEEKDAYS}, "fri": [{"open": "18:00", "close": "02:00"}]}
    response = _tenant_admin_post(admin_client, tenant, hours, timezone="Europe/Lisbon")
    assert response.status_code == 302, response.context["adminform"].form.errors
    tenant.refresh_from_db()
    assert tenant.opening_hours == hours and tenant.timezone == "Europe/Lisbon"


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        (
            {"opening_hours_tue_closed": ""},
            "opening_hours",
            "Tuesday: give the opening times or tick Closed.",
        ),
        (
            {"opening_hours_tue_closed": "", "opening_hours_tue_open_1": "12:00"},
            "opening_hours",
            "Tuesday: give both the opening and the closing time.",
        ),
        (
            {"timezone": "Mars/Olympus"},
            "timezone",
            "Mars/Olympus is not a time zone we know: pick one from the list.",
        ),
    ],
)
def test_the_tenant_admin_explains_bad_hours_and_zones_and_saves_nothing(
    admin_client, data, changes, field, error
):
    tenant = data["tenant"]
    before = (tenant.opening_hours, tenant.timezone, tenant.name)
    response = _tenant_admin_post(admin_client, tenant, **changes, name="Changed")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [error]
    tenant.refresh_from_db()
    assert (tenant.opening_hours, tenant.timezone, tenant.name) == before


def test_admin_times_name_their_zone_and_labels_are_words(admin_client, data):
    html = admin_client.get(reverse("admin:tenants_invitation_changelist")).content.decode()
    assert " UTC</td>" in html  # created_at, expires_at: "1 Dec 2026, 15:54 UTC"
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert ">OAuth states<" in index and "O auth" not in index
