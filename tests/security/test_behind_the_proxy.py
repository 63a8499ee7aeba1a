"""The portal as production runs it (PORTAL_ENV=production), reached as the
compose's proxy reaches it: gunicorn believes X-Forwarded-Proto and the
portal X-Forwarded-For only from FORWARDED_ALLOW_IPS (127.0.0.1 here), so a
client that reaches gunicorn from any other address cannot pass for HTTPS or
pick the address its failed sign-ins are counted under."""

import http.client
import re

import pytest

from tests.fixtures.stack import start_stack, stop_stack
from tests.security.portal_session import PortalSession

pytestmark = [pytest.mark.e2e]

FAILURE_LIMIT = 3
ATTACKER, COLLEAGUE, ELSEWHERE = "203.0.113.7", "198.51.100.20", "192.0.2.1"
# Another loopback address: not in FORWARDED_ALLOW_IPS, so not the proxy.
NOT_THE_PROXY = "127.0.0.2"


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    stack = start_stack(
        tmp_path_factory.mktemp("stack-production"),
        backend="embedded",
        env_overrides={
            "PORTAL_ENV": "production",
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            "AXES_FAILURE_LIMIT": str(FAILURE_LIMIT),
        },
    )
    yield stack
    stop_stack(stack)


def _direct(stack, path, headers, *, source=NOT_THE_PROXY):
    host, port = stack.url.split("://", 1)[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(source, 0))
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_plain_http_is_sent_to_https(production):
    response = PortalSession(production.url).get("/login/")
    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://")


def test_through_the_proxy_pages_come_with_hsts_and_cookies_only_https_and_the_server_can_read(production):
    response = PortalSession(production.url, behind_proxy=True).get("/login/")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    cookie = response.headers["Set-Cookie"]
    assert "csrftoken=" in cookie and "Secure" in cookie and "HttpOnly" in cookie


def test_a_client_that_is_not_the_proxy_cannot_claim_https(production):
    response = _direct(production, "/login/", {"X-Forwarded-Proto": "https", "Host": production.url.split("://")[1]})
    assert response.status == 301


def test_the_health_check_answers_over_plain_http_from_inside(production):
    assert PortalSession(production.url).get("/healthz").status_code == 200


def test_failed_sign_ins_are_counted_under_the_address_the_proxy_reports(production):
    attacker = PortalSession(production.url, behind_proxy=True, client_address=ATTACKER)
    answers = [attacker.sign_in("planner", "guess").status_code for _ in range(FAILURE_LIMIT)]
    assert answers == [200] * (FAILURE_LIMIT - 1) + [429]
    assert attacker.sign_in("planner", production.password).status_code == 429
    colleague = PortalSession(production.url, behind_proxy=True, client_address=COLLEAGUE)
    assert colleague.sign_in("planner", production.password).status_code == 302

    admin = PortalSession(production.url, behind_proxy=True, client_address=ELSEWHERE)
    assert admin.sign_in("admin", production.password).status_code == 302
    log = admin.get("/audit/", params={"username": "planner"}).text
    rows = re.findall(r"<td>planner</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>", log)
    assert ("198.51.100.20", "Signed in") in rows
    assert rows.count(("203.0.113.7", "Sign-in failed")) == FAILURE_LIMIT + 1
    assert ("203.0.113.7", "Locked out after failed sign-ins") in rows
