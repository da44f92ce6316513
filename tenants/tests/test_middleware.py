from django.urls import reverse


def test_a_member_sees_the_dashboard(owner_client, tenant):
    response = owner_client.get(reverse("tenants:dashboard", args=[tenant.slug]))
    assert response.status_code == 200
    assert tenant.name in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, tenant):
    url = reverse("tenants:dashboard", args=[tenant.slug])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_another_restaurants_owner_gets_404(outsider_client, tenant):
    response = outsider_client.get(reverse("tenants:dashboard", args=[tenant.slug]))
    assert response.status_code == 404


def test_an_unknown_restaurant_is_404_too(owner_client):
    assert owner_client.get("/t/no-such-place/").status_code == 404
