"""The admins' pages for API keys and webhooks are theirs alone."""

import pytest

PAGES = ["/api-keys/", "/webhooks/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_a_supervisor_does_not_find_the_admins_pages(client, personas, path):
    client.force_login(personas.sam)
    assert client.get(path).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_an_admin_opens_them(client, personas, path):
    client.force_login(personas.ada)
    assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_a_new_key_is_shown_once_and_never_again(client, personas):
    client.force_login(personas.ada)
    made = client.post(
        "/api-keys/", {"team": personas.alpha.pk, "name": "nightly", "scopes": ["imports:read", "imports:write"]}
    )
    key = made.context["made"]["key"]
    assert key in made.content.decode()
    assert key not in client.get("/api-keys/").content.decode()
