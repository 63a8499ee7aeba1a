"""The OAuth2 client-credentials token service, and what an API request
does with the token it gets."""

import base64
import json
import time

import pytest
import requests

from simulator.tokens import InvalidToken, LinkSigner, TokenSigner
from tests.fixtures.simulator import start_simulator, stop_simulator
from tests.simulator.conftest import IMPORTS, Talkdesk, secret_of


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_it_issues_a_bearer_token_with_the_clients_scopes(talkdesk):
    response = talkdesk.token_response("acme", "demo-portal")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert set(body["scope"].split()) == {"wfm-public:write", "wfm-public:read", "users:read"}
    claims = claims_of(body["access_token"])
    assert (claims["account"], claims["client_id"]) == ("acme", "demo-portal")
    assert claims["exp"] - time.time() == pytest.approx(600, abs=2)


def test_it_grants_a_limited_client_only_its_scopes(talkdesk):
    assert talkdesk.token_response("acme", "demo-readonly").json()["scope"] == "wfm-public:read"
    assert set(talkdesk.token_response("acme", "demo-no-users").json()["scope"].split()) == {
        "wfm-public:write",
        "wfm-public:read",
    }


def test_it_grants_a_requested_subset_of_scopes_and_refuses_more(talkdesk):
    assert talkdesk.token_response("acme", "demo-portal", scope="users:read").json()["scope"] == "users:read"
    response = talkdesk.token_response("acme", "demo-readonly", scope="wfm-public:write")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_it_refuses_a_wrong_secret(talkdesk):
    response = talkdesk.token_response("acme", "demo-portal", secret="guess")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.json()["error_description"]


def test_it_refuses_an_unknown_client(talkdesk):
    assert talkdesk.token_response("acme", "nobody", secret="x").json()["error"] == "invalid_client"


def test_it_refuses_a_client_of_another_account(talkdesk):
    response = talkdesk.token_response("acme", "globex-portal", secret=secret_of("globex", "globex-portal"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_an_unknown_account(talkdesk):
    response = talkdesk.token_response("initech", "demo-portal", secret=secret_of("acme", "demo-portal"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_a_request_without_client_authentication(talkdesk):
    response = requests.post(
        f"{talkdesk.base_url}/acme/oauth/token", data={"grant_type": "client_credentials"}, timeout=10
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_it_refuses_another_grant_type(talkdesk):
    response = talkdesk.token_response("acme", "demo-portal", grant_type="password")
    assert response.status_code == 400
    assert response.json() == {"error": "unsupported_grant_type"}


def test_it_asks_for_a_missing_grant_type(talkdesk):
    response = requests.post(
        f"{talkdesk.base_url}/acme/oauth/token",
        data={},
        auth=("demo-portal", secret_of("acme", "demo-portal")),
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_it_reads_a_chunked_token_request(talkdesk):
    response = requests.post(
        f"{talkdesk.base_url}/acme/oauth/token",
        data=iter([b"grant_type=", b"client_credentials"]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=("demo-portal", secret_of("acme", "demo-portal")),
        timeout=10,
    )
    assert response.status_code == 200


def test_a_token_from_another_simulator_run_is_refused(simulator):
    other = start_simulator()
    try:
        foreign = Talkdesk(other.base_url).token()
    finally:
        stop_simulator(other)
    response = Talkdesk(simulator.base_url).status("550e8400-e29b-41d4-a716-446655440000", token=foreign)
    assert response.status_code == 401
    assert response.json() == {"code": "1580005", "message": "Invalid authentication."}


def test_a_token_expires_after_its_ttl(strict_simulator):
    client = Talkdesk(strict_simulator.base_url)
    token = client.token()
    assert claims_of(token)["exp"] - time.time() <= 2
    assert client.users(token=token).status_code == 200
    time.sleep(max(0.0, claims_of(token)["exp"] - time.time()) + 0.2)
    response = client.users(token=token)
    assert response.status_code == 401
    assert response.json() == {"code": "1580005", "message": "Invalid authentication."}


def test_the_signer_refuses_tampered_claims():
    signer = TokenSigner()
    token = signer.issue(account="acme", client_id="c", scopes=frozenset({"users:read"}), now=1000.0, ttl_seconds=600)
    header, payload, signature = token.split(".")
    widened = (
        base64.urlsafe_b64encode(json.dumps({**claims_of(token), "scope": "wfm-public:write"}).encode())
        .rstrip(b"=")
        .decode()
    )
    with pytest.raises(InvalidToken):
        signer.verify(f"{header}.{widened}.{signature}", now=1001.0)
    assert signer.verify(token, now=1599.0).scopes == {"users:read"}
    with pytest.raises(InvalidToken):
        signer.verify(token, now=1600.0)
    with pytest.raises(InvalidToken):
        signer.verify(token.replace(signature, "é" * len(signature)), now=1001.0)


def test_a_link_signature_binds_the_import_and_the_expiry():
    links = LinkSigner()
    signature = links.sign("abc", 2000)
    assert links.is_valid("abc", "2000", signature)
    assert not links.is_valid("abd", "2000", signature)
    assert not links.is_valid("abc", "2001", signature)
    assert not links.is_valid("abc", "-2000", signature)


def test_an_api_request_with_a_token_in_another_scheme_is_refused(talkdesk):
    token = talkdesk.token()
    response = requests.get(f"{talkdesk.base_url}{IMPORTS}/x", headers={"Authorization": f"Token {token}"}, timeout=10)
    assert response.status_code == 401
