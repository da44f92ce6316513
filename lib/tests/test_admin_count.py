"""Admin lists count at most `lib.admin.COUNT_CAP` rows (`CappedCountPaginator`): the count is
bounded whatever the table's size, and a list past the cap says "more than", never a number
it does not know."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lib import admin as lib_admin

URL = "admin:posting_post_changelist"


@pytest.fixture
def posts(tenant):
    from posting.models import Post
    from tenants.scoping import scopes_disabled

    with scopes_disabled():
        Post.objects.bulk_create([Post(tenant=tenant, text=f"Post number {i}") for i in range(7)])


@pytest.fixture
def small_pages(monkeypatch):
    """A cap of 5 and 2 rows a page, so that 7 posts go past the cap."""
    from posting.admin import PostAdmin

    monkeypatch.setattr(lib_admin, "COUNT_CAP", 5)
    monkeypatch.setattr(PostAdmin, "list_per_page", 2)


def _counts(queries: list[dict]) -> list[str]:
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_list_past_the_cap_says_more_than_and_pages_as_far_as_it_counted(
    admin_client, posts, small_pages
):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse(URL))
    assert response.status_code == 200
    cl = response.context["cl"]
    assert cl.paginator.capped and cl.result_count == 5
    assert cl.paginator.num_pages == 3  # 5 counted, 2 a page
    page = _text(response.content.decode())
    assert "More than 5 posts" in page
    assert re.findall(r"\d+ posts", page) == ["5 posts"]  # the cap, after "More than"
    # "Select all" names no number; selecting all still acts on every matching row.
    assert "Select all posts (more than 5)" in page
    assert "All posts selected" in page
    assert "Select all 5" not in page and "All 5 selected" not in page
    # One count, over the list limited to one row more than the cap: no whole-table count.
    [count] = _counts(queries.captured_queries)
    assert "LIMIT 6" in count
    assert "ORDER BY" not in count  # the database may stop at the sixth row it finds


def test_a_search_past_the_cap_says_more_than_results(admin_client, posts, small_pages):
    response = admin_client.get(reverse(URL), {"q": "Post number"})
    assert response.context["cl"].paginator.capped
    assert "More than 5 results" in _text(response.content.decode())


def test_a_list_within_the_cap_reads_as_djangos(admin_client, tenant, posts, monkeypatch):
    """At most the cap: the exact count, worded as Django words it."""
    from posting.admin import PostAdmin

    monkeypatch.setattr(lib_admin, "COUNT_CAP", 7)
    monkeypatch.setattr(PostAdmin, "list_per_page", 2)
    response = admin_client.get(reverse(URL))
    cl = response.context["cl"]
    assert not cl.paginator.capped and cl.result_count == 7 and cl.paginator.num_pages == 4
    page = _text(response.content.decode())
    assert "7 posts" in page and "More than" not in page
    assert "Select all 7 posts" in page
    one = admin_client.get(reverse(URL), {"q": "number 3"})
    assert "1 post " in _text(one.content.decode()) + " "
    assert "1 result" in _text(one.content.decode())


def test_a_page_past_the_counted_ones_is_djangos_error_page_not_a_crash(
    admin_client, posts, small_pages
):
    """Rows 6 and 7 are past the cap: asking for their page by number is the invalid page
    Django answers for any page past the end (a redirect to the list's first page)."""
    response = admin_client.get(reverse(URL), {"p": "4"})
    assert response.status_code == 302
    assert "e=1" in response["Location"]


def test_every_admin_list_of_ours_counts_with_the_cap():
    from django.contrib import admin

    from lib.tests.test_admin import OURS

    ours = [m for model, m in admin.site._registry.items() if model._meta.app_label in OURS]
    assert ours
    for model_admin in ours:
        assert model_admin.paginator is lib_admin.CappedCountPaginator, model_admin
        assert model_admin.show_full_result_count is False, model_admin


def test_a_list_that_is_not_a_queryset_is_counted_as_django_counts_it():
    paginator = lib_admin.CappedCountPaginator(list(range(12)), 5)
    assert paginator.count == 12 and not paginator.capped


def test_the_result_count_beside_the_search_box_shows_only_when_something_narrows_the_list(
    admin_client, tenant, posts
):
    """Without the whole table's count Django would print "7 results (Show all)" beside the
    box of a list nothing narrows; here only a search or a filter brings it."""
    plain = _text(admin_client.get(reverse(URL)).content.decode())
    assert "results (" not in plain and "Show all )" not in plain
    searched = _text(admin_client.get(reverse(URL), {"q": "number 3"}).content.decode())
    assert "1 result ( Show all )" in searched
    filtered = admin_client.get(reverse(URL), {"restaurant": tenant.slug}).content.decode()
    assert "7 results ( Show all )" in _text(filtered)
