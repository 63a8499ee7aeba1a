"""Sign-in: brute-force lockout by the address the proxy reports, the audit
of every attempt, and cookies scripts cannot read."""

from django.conf import settings
from django.urls import reverse

from imports.models import AuditEvent

Action = AuditEvent.Action
PROXY = "127.0.0.1"  # in FORWARDED_ALLOW_IPS, as the compose's proxy is
ATTACKER, COLLEAGUE = "203.0.113.7", "198.51.100.20"


def sign_in(client, username, password, *, through_proxy_from=None, remote=PROXY):
    headers = {"X-Forwarded-For": through_proxy_from} if through_proxy_from else {}
    return client.post(
        reverse("login"), {"username": username, "password": password}, headers=headers, REMOTE_ADDR=remote
    )


def test_after_too_many_wrong_passwords_even_the_right_one_is_refused_from_that_address(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "sam", "guess", through_proxy_from=ATTACKER)
    response = sign_in(client, "sam", "sam-password", through_proxy_from=ATTACKER)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lockout_holds_one_address_and_the_same_user_signs_in_from_another(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "sam", "guess", through_proxy_from=ATTACKER)
    response = sign_in(client, "sam", "sam-password", through_proxy_from=COLLEAGUE)
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:history")


def test_fewer_failures_than_the_limit_lock_nobody_out(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "sam", "guess", through_proxy_from=ATTACKER).status_code == 200
    assert sign_in(client, "sam", "sam-password", through_proxy_from=ATTACKER).status_code == 302


def test_an_address_claimed_by_a_client_that_is_not_the_proxy_is_ignored(client, personas):
    # Straight to gunicorn, not through the proxy: the attacker writes
    # X-Forwarded-For itself to dodge the lockout, and is counted by its own address.
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "sam", "guess", through_proxy_from=f"192.0.2.{n}", remote=ATTACKER)
    assert sign_in(client, "sam", "sam-password", through_proxy_from="192.0.2.99", remote=ATTACKER).status_code == 429
    assert set(AuditEvent.objects.values_list("client_address", flat=True)) == {ATTACKER}


def test_every_sign_in_and_failed_sign_in_is_audited_with_the_address_the_proxy_reports(client, personas):
    sign_in(client, "sam", "guess", through_proxy_from=ATTACKER)
    sign_in(client, "nobody", "guess", through_proxy_from=ATTACKER)
    sign_in(client, "sam", "sam-password", through_proxy_from=COLLEAGUE)
    events = list(AuditEvent.objects.order_by("at", "id").values_list("action", "username", "client_address", "user"))
    assert events == [
        (Action.SIGN_IN_FAILED, "sam", ATTACKER, None),
        (Action.SIGN_IN_FAILED, "nobody", ATTACKER, None),
        (Action.SIGNED_IN, "sam", COLLEAGUE, personas.sam.pk),
    ]


def test_a_lockout_is_audited_and_no_password_is_kept(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "sam", "a-guessed-password", through_proxy_from=ATTACKER)
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT, username="sam", client_address=ATTACKER).exists()
    from axes.models import AccessAttempt, AccessFailureLog

    kept = [str(row) for model in (AuditEvent, AccessAttempt, AccessFailureLog) for row in model.objects.values()]
    assert kept and not any("a-guessed-password" in row for row in kept)


def test_the_session_and_csrf_cookies_are_out_of_reach_of_scripts(client, personas):
    client.get(reverse("login"))
    response = sign_in(client, "sam", "sam-password")
    assert response.cookies["sessionid"]["httponly"]
    assert client.cookies["csrftoken"]["httponly"]


def test_the_admin_sign_in_is_locked_out_the_same_way(client, personas):
    admin_login = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(admin_login, {"username": "ada", "password": "guess"}, headers={"X-Forwarded-For": ATTACKER})
    response = client.post(
        admin_login, {"username": "ada", "password": "ada-password"}, headers={"X-Forwarded-For": ATTACKER}
    )
    assert response.status_code == 429
