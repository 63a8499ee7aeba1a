"""Single sign-on's answers when things go wrong; the sign-in itself is
tested against a real provider in tests/e2e/test_company_sign_in_and_approval.py."""

import pytest

from portal import oidc
from tests.conftest import NOWHERE


@pytest.fixture
def sso(settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = NOWHERE
    settings.OIDC_RP_CLIENT_ID = "schedule-portal"
    settings.OIDC_RP_CLIENT_SECRET = "test-only-secret"
    oidc._discovery.clear()
    yield
    oidc._discovery.clear()


def test_a_provider_that_does_not_answer_gives_a_plain_page_not_an_error(client, db, sso):
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 503
    assert "did not answer" in response.content.decode()


def test_a_reply_to_a_sign_in_this_browser_never_started_sends_it_back_to_sign_in(client, db, sso):
    session = client.session
    session["oidc_states"] = {"mine": {"nonce": "n", "code_verifier": "v"}}
    session.save()
    response = client.get("/oidc/callback/", {"code": "stolen", "state": "someone-elses"})
    assert response.status_code == 302
    assert response["Location"] == "/login/?sso=failed"


def test_the_sign_in_page_offers_the_provider_and_says_when_it_failed(client, db, sso, settings):
    settings.OIDC_PROVIDER_NAME = "Acme ID"
    page = client.get("/login/?sso=failed").content.decode()
    assert "Sign in with Acme ID" in page
    assert "Signing in with Acme ID did not work" in page
    assert 'name="password"' in page


def test_with_passwords_turned_off_a_password_is_refused_even_if_posted(client, db, sso, settings, personas):
    settings.LOCAL_PASSWORDS = False
    assert 'name="password"' not in client.get("/login/").content.decode()
    response = client.post("/login/", {"username": "sam", "password": "sam-password"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
