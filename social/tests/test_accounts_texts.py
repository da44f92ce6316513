"""What the accounts page, "Check now" and the page picker say (issue 9 items 11, 13): sentences in the words the page
uses for each status, never stored codes; permission counts that match the list shown."""

from __future__ import annotations

import re

from django.conf import settings
from django.urls import reverse

from social.tests.test_token_health import connected, reload  # noqa: F401 (fixture)

SCOPES = list(settings.FACEBOOK_SCOPES)


def test_a_check_that_breaks_a_connection_says_so_in_words(connected, sb, tenant, flow):  # noqa: F811
    page = connected["Pizzeria Bella Napoli:facebook_page"]
    sb.revoke_token(page.page_token, subcode=492)
    response = flow.client.post(reverse("social:check", args=[tenant.slug, page.pk]), follow=True)
    html = response.content.decode()
    assert (
        "Checked Pizzeria Bella Napoli: The status changed from active to needs reconnecting."
    ) in html
    text = re.sub(r"<[^>]+>", " ", html)  # what the page shows
    for code in ("needs_reconnect", "→", "Broken. "):
        assert code not in text
    # The recent checks use the status words of the cards: one word for one state.
    checks = html.split("Recent checks", 1)[1]
    assert "Needs reconnecting" in checks and ">Broken<" not in checks


def test_the_permission_count_counts_what_the_list_shows(owner_client, tenant):
    from social.testing import make_account

    make_account(tenant, "Alba", granted_scopes=[*SCOPES[1:], "public_profile", "email"])
    html = owner_client.get(reverse("social:accounts", args=[tenant.slug])).content.decode()
    assert f"Permissions: {len(SCOPES) - 1} of {len(SCOPES)} granted, 1 missing" in html
    assert html.count('class="scope-granted"') == len(SCOPES) - 1
    assert html.count('class="scope-missing"') == 1


def test_a_healthy_check_says_it_once(connected, tenant, flow):  # noqa: F811
    page = connected["Trattoria da Maria:facebook_page"]
    response = flow.client.post(reverse("social:check", args=[tenant.slug, page.pk]), follow=True)
    html = response.content.decode()
    assert "Checked Trattoria da Maria: The connection works." in html
    assert "Healthy" not in html
    assert reload(page).status == "active"


def test_the_picker_marks_pages_another_restaurant_holds_before_submitting(
    flow, sb, tenant, other_tenant
):
    from social.testing import make_account

    held = sb.page_by_name("Pizzeria Bella Napoli")["id"]
    make_account(other_tenant, "Pizzeria Bella Napoli", external_id=held)
    location = flow.approve(flow.start(), pages=["Pizzeria Bella Napoli", "Trattoria da Maria"])
    picker = flow.client.get(flow.callback(location)["Location"]).content.decode()
    box = re.search(rf'<input type="checkbox" name="page_ids" value="{held}"[^>]*>', picker)[0]
    assert "disabled" in box and f'aria-describedby="held-{held}"' in box
    assert f'id="held-{held}">Already connected to another restaurant' in picker
    free = sb.page_by_name("Trattoria da Maria")["id"]
    box = re.search(rf'<input type="checkbox" name="page_ids" value="{free}"[^>]*>', picker)[0]
    assert "disabled" not in box
