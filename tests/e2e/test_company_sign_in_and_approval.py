"""A company's way of running the portal, end to end, every part real: people
sign in through the company's OpenID provider (oidc-provider under node) in
a real Chromium, land in the team their groups give them, one uploads, a
second approves, the worker sends it to the simulator, the uploader receives
the e-mail through a real SMTP server (aiosmtpd), and /metrics counts it."""

from __future__ import annotations

import os
import re
import urllib.request
from pathlib import Path

import pytest

from tests.fixtures.oidc_provider import Person, start_identity_provider
from tests.fixtures.smtp import start_mail_server
from tests.fixtures.stack import free_port, start_stack, stop_stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
METRICS_TOKEN = "test-only-metrics-token"

OLGA = Person("u-1001", "olga", "olga-password", "olga@example.test", "Olga", "Novak", ["wfm-demo"])
VICTOR = Person("u-1002", "victor", "victor-password", "victor@example.test", "Victor", "Hale", ["wfm-demo"])
IRIS = Person("u-1003", "iris", "iris-password", "iris@example.test", "Iris", "Lund", ["it-portal-admins"])


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("company")
    web_port = free_port()
    provider = start_identity_provider(
        tmp, redirect_uri=f"http://127.0.0.1:{web_port}/oidc/callback/", people=[OLGA, VICTOR, IRIS]
    )
    mail = start_mail_server(tmp)
    stack = None
    try:
        stack = start_stack(
            tmp,
            backend="postgres",
            web_port=web_port,
            # The run's own Redis database (dev.py gives each run one), so
            # that this stack's worker never takes another run's tasks.
            redis_db=int(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13").rsplit("/", 1)[1] or 13),
            env_overrides={
                "OIDC_ISSUER": provider.issuer,
                "OIDC_CLIENT_ID": provider.client_id,
                "OIDC_CLIENT_SECRET": provider.client_secret,
                "OIDC_SCOPES": "openid email profile groups",
                "OIDC_PROVIDER_NAME": "Acme ID",
                "OIDC_TEAM_GROUPS": "wfm-demo=Demo team",
                "OIDC_ADMIN_GROUPS": "it-portal-admins",
                "LOCAL_PASSWORDS": "false",
                "EMAIL_HOST": mail.host,
                "EMAIL_PORT": str(mail.port),
                "EMAIL_USE_TLS": "false",
                "EMAIL_FROM": "Schedule imports <portal@example.test>",
                "PORTAL_URL": f"http://127.0.0.1:{web_port}",
                "METRICS_TOKEN": METRICS_TOKEN,
                "HEARTBEAT_EVERY_SECONDS": "2",
                "LOG_FORMAT": "json",
            },
        )
        stack.manage(
            "shell",
            "-c",
            "from imports.models import Team; Team.objects.filter(name='Demo team').update(imports_need_approval=True)",
        )
        yield stack, provider, mail
    finally:
        if stack is not None:
            stop_stack(stack)
        mail.process.terminate()
        provider.stop()


@pytest.fixture
def browser_page(chromium):
    """A browser of its own per person: two people, two sets of cookies."""
    contexts = []

    def open_page():
        context = chromium.new_context()
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def sign_in_with_provider(page, stack, person: Person):
    page.goto(stack.url + "/")
    page.click("text=Sign in with Acme ID")
    page.fill("input[name=login]", person.login)
    page.fill("input[name=password]", person.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.url}/**")


def link_in(message) -> str:
    return re.search(r"Open the import: (\S+)", message.get_payload(decode=True).decode()).group(1)


def metrics(stack) -> str:
    request = urllib.request.Request(stack.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def test_signed_in_through_the_company_provider_one_uploads_another_approves_and_the_uploader_hears(
    company, browser_page
):
    stack, provider, mail = company
    olga, victor = browser_page(), browser_page()
    # The portal knows a person from their first sign-in on.
    sign_in_with_provider(victor, stack, VICTOR)
    sign_in_with_provider(olga, stack, OLGA)
    olga.wait_for_url("**/imports/")
    assert "Sign out olga" in olga.inner_text("header")
    olga.goto(stack.url + "/settings/notifications/")
    olga.check("input[name=imported]")
    olga.click("text=Save")
    assert "Your e-mail choices are saved." in olga.inner_text("main")

    olga.goto(stack.url + "/imports/new/")
    assert olga.inner_text("select[name=team] option:checked").startswith("Demo team")
    olga.set_input_files("input[type=file]", str(EXAMPLES / "schedule-example.csv"))
    olga.click("text=Check the file")
    olga.click("text=Confirm and send 3 rows")
    olga.wait_for_selector("#status [data-state='awaiting_approval']")
    assert "you uploaded it" in olga.inner_text("#approval")
    assert olga.query_selector("text=Approve and send") is None
    assert stack.simulator.ledger(account="acme")["uploads"] == []

    asked = mail.wait_for(lambda m: m["To"] == VICTOR.email and "Waiting for your approval" in m["Subject"])
    victor.goto(link_in(asked))
    assert "No problems found" in victor.inner_text(".checks")
    victor.click("text=Approve and send 3 rows")
    victor.wait_for_selector("#status [data-state='imported']", timeout=90_000)

    ended = mail.wait_for(lambda m: m["To"] == OLGA.email and m["Subject"] == "Imported: schedule-example.csv")
    olga.goto(link_in(ended))
    olga.wait_for_selector("#status [data-state='imported']")
    history = olga.inner_text("#status")
    assert "Approved. " in history or "Approved" in history
    assert "by victor" in history
    assert len(stack.simulator.ledger(account="acme")["uploads"]) == 1

    figures = metrics(stack)
    assert 'portal_imports{state="imported"} 1.0' in figures
    assert "portal_import_confirm_to_final_seconds_count 1.0" in figures
    assert 'portal_email_notifications{kind="imported",state="sent"} 1.0' in figures
    assert 'portal_email_notifications{kind="awaiting_approval",state="sent"} 1.0' in figures

    import_id = link_in(ended).rstrip("/").rsplit("/", 1)[-1]
    assert f'"import_id": "{import_id}"' in stack.log("worker")


def test_a_person_taken_out_of_the_group_loses_the_team_at_the_next_sign_in(company, browser_page):
    stack, provider, mail = company
    page = browser_page()
    provider.set_groups(OLGA, [])
    sign_in_with_provider(page, stack, OLGA)
    page.goto(stack.url + "/imports/new/")
    assert "You are not in a team yet" in page.inner_text("main")
    provider.set_groups(OLGA, ["wfm-demo"])


def test_an_admin_group_makes_an_admin_and_passwords_are_turned_off(company, browser_page):
    stack, provider, mail = company
    page = browser_page()
    page.goto(stack.url + "/login/")
    assert page.query_selector("input[name=password]") is None
    sign_in_with_provider(page, stack, IRIS)
    page.goto(stack.url + "/audit/")
    log = page.inner_text("main")
    assert "Teams and role set by the identity provider" in log
    assert "became an admin" in log


def test_the_portal_is_ready_when_database_broker_and_beat_are(company):
    stack, provider, mail = company
    with urllib.request.urlopen(stack.url + "/readyz", timeout=10) as response:
        assert response.status == 200
        assert b'"ready": true' in response.read()
