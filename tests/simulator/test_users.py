"""GET /users: the Talkdesk Users API, paged."""

from tests.simulator.conftest import CONFIG


def test_it_lists_every_user_of_the_account_active_or_not(talkdesk):
    body = talkdesk.users(per_page=100).json()
    users = body["_embedded"]["users"]
    expected = CONFIG["accounts"]["acme"]["agents"]
    assert users == [{"id": a["id"], "email": a["email"], "name": a["name"], "active": a["active"]} for a in expected]
    assert any(not u["active"] for u in users)
    assert (body["count"], body["total"], body["page"], body["per_page"], body["total_pages"]) == (
        len(expected),
        len(expected),
        1,
        100,
        1,
    )
    assert set(body["_links"]) == {"self", "first", "last"}


def test_it_pages_with_links_to_the_neighbouring_pages(talkdesk):
    total = len(CONFIG["accounts"]["acme"]["agents"])
    first = talkdesk.users(page=1, per_page=5).json()
    assert (first["count"], first["total"], first["total_pages"]) == (5, total, -(-total // 5))
    assert set(first["_links"]) == {"self", "first", "last", "next"}
    assert first["_links"]["next"]["href"].endswith("/users?page=2&per_page=5")
    middle = talkdesk.users(page=2, per_page=5).json()
    assert set(middle["_links"]) == {"self", "first", "last", "next", "prev"}
    last = talkdesk.users(page=first["total_pages"], per_page=5).json()
    assert set(last["_links"]) == {"self", "first", "last", "prev"}
    assert last["count"] == total - 5 * (first["total_pages"] - 1)
    emails = [u["email"] for p in (first, middle, last) for u in p["_embedded"]["users"]]
    assert len(emails) == len(set(emails)) == total


def test_it_defaults_to_the_first_page_of_fifty(talkdesk):
    body = talkdesk.users().json()
    assert (body["page"], body["per_page"]) == (1, 50)


def test_a_page_past_the_end_is_empty(talkdesk):
    body = talkdesk.users(page=9, per_page=50).json()
    assert body["_embedded"]["users"] == [] and body["count"] == 0


def test_it_shows_only_the_accounts_own_users(talkdesk):
    emails = {u["email"] for u in talkdesk.users(token="globex").json()["_embedded"]["users"]}
    assert emails == {a["email"] for a in CONFIG["accounts"]["globex"]["agents"]}


def test_it_refuses_bad_page_values(talkdesk):
    for params in ({"page": 0}, {"page": "abc"}, {"page": -1}, {"per_page": 0}, {"per_page": 101}, {"per_page": "ten"}):
        response = talkdesk.users(**params)
        assert response.status_code == 400, params
        assert set(response.json()) == {"message"}


def test_it_needs_the_users_scope(talkdesk):
    response = talkdesk.users(token=talkdesk.token("acme", "demo-no-users"))
    assert response.status_code == 403
    assert response.json() == {"message": "Insufficient permissions to perform this operation."}


def test_it_needs_a_token(talkdesk):
    response = talkdesk.users(token=None)
    assert response.status_code == 401
    assert response.json() == {"code": "1580005", "message": "Invalid authentication."}
