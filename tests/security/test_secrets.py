"""Talkdesk client secrets: sealed at rest, re-sealed under a new key by a
command, write-only in every form, and in no log record, page or audit entry."""

import logging
import re
import time

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection as database
from django.urls import reverse

from imports import delivery
from imports.models import AuditEvent, Connection, Import
from imports.secret_box import SecretUnreadable
from tests.conftest import DATA

# Any JWT-shaped string (Talkdesk's and the simulator's access tokens are).
TOKEN_SHAPE = re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}")


def test_the_rotation_command_reseals_every_secret_under_the_new_key_while_the_old_one_still_opens(personas, settings):
    old, new = settings.PORTAL_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    secrets_before = {c.name: c.client_secret() for c in Connection.objects.all()}
    settings.PORTAL_ENCRYPTION_KEYS = [new, old]
    assert {c.name: c.client_secret() for c in Connection.objects.all()} == secrets_before
    call_command("rotate_encryption_key")
    settings.PORTAL_ENCRYPTION_KEYS = [new]
    assert {c.name: c.client_secret() for c in Connection.objects.all()} == secrets_before
    settings.PORTAL_ENCRYPTION_KEYS = [old]
    with pytest.raises(SecretUnreadable):
        Connection.objects.first().client_secret()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SECRETS_RESEALED).count() == len(secrets_before)


def test_the_rotation_command_names_a_secret_no_key_opens_and_fails(personas, settings):
    settings.PORTAL_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="No configured key opens the client secret of: Acme, Globex"):
        call_command("rotate_encryption_key")


def test_a_secret_typed_into_a_form_that_fails_to_save_is_not_sent_back(client, personas):
    client.force_login(personas.ada)
    page = client.post(
        reverse("imports:connection_new"),
        {
            "name": "X",
            "account": "x",
            "region": "custom",
            "client_id": "c",
            "client_secret": "typed-secret-value",
            "default_time_zone": "Mars/Olympus",
        },
    ).content.decode()
    assert "is not an IANA time zone" in page
    assert "typed-secret-value" not in page
    assert 'name="client_secret"' in page and 'type="password"' in page


def test_the_sealed_secret_is_in_no_page_either(client, personas):
    client.force_login(personas.ada)
    for url in (reverse("imports:connections"), reverse("imports:connection_edit", args=[personas.acme.pk])):
        assert personas.acme.client_secret_encrypted not in client.get(url).content.decode()


@pytest.fixture
def every_log_record(caplog):
    """Every logger at DEBUG, SQL included, for the length of the test."""
    names = [None, *logging.root.manager.loggerDict]
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name)
    database.force_debug_cursor = True
    yield caplog
    database.force_debug_cursor = False


def _text_of(records) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in records)


def test_no_log_record_page_or_audit_entry_holds_the_secret_or_a_token_across_the_whole_flow(
    client, connected, every_log_record
):
    secret = connected.acme.client_secret()
    pages = []

    client.force_login(connected.ada)
    edit = reverse("imports:connection_edit", args=[connected.acme.pk])
    pages.append(client.get(edit))
    pages.append(
        client.post(
            edit,
            {
                "name": "Acme",
                "account": "acme",
                "region": "custom",
                "base_url": connected.acme.base_url,
                "client_id": "demo-portal",
                "client_secret": secret,
                "default_time_zone": "UTC",
                "default_date_format": "HH:mm yyyy-MM-dd",
            },
            follow=True,
        )
    )
    pages.append(
        client.post(reverse("imports:connection_test", args=[connected.acme.pk]), headers={"HX-Request": "true"})
    )

    client.force_login(connected.sam)
    with open(DATA / "portal/schedule-unknown-agents.csv", "rb") as file:
        pages.append(
            client.post(
                reverse("imports:upload"),
                {"team": connected.alpha.pk, "file": file, "time_zone": "UTC", "date_format": ""},
                follow=True,
            )
        )
    job = Import.objects.get()
    pages.append(client.post(reverse("imports:confirm", args=[job.pk]), {"acknowledge_warnings": "on"}, follow=True))
    delivery.account_advance(account_key=job.account_key)
    job.refresh_from_db()
    deadline = time.monotonic() + 15
    while job.is_moving and time.monotonic() < deadline:
        for part in job.parts.filter(state="processing"):
            delivery.part_poll(part_id=part.pk)
        job.refresh_from_db()
        time.sleep(0.2)
    assert job.state == "imported_with_errors"
    pages.append(client.get(reverse("imports:detail", args=[job.pk])))
    pages.append(client.get(reverse("imports:error_report", args=[job.pk, 1])))

    client.force_login(connected.ada)
    Connection.objects.filter(pk=connected.acme.pk).update(client_id="demo-readonly")
    pages.append(
        client.post(reverse("imports:connection_test", args=[connected.acme.pk]), headers={"HX-Request": "true"})
    )
    pages.append(client.get(reverse("imports:connections")))
    pages.append(client.get(reverse("imports:audit_log")))

    logs = _text_of(every_log_record.records)
    assert "demo-portal" in logs or "oauth/token" in logs, "the flow was logged"
    bodies = "\n".join(page.content.decode(errors="replace") for page in pages)
    audit = "\n".join(AuditEvent.objects.values_list("detail", flat=True))
    for where, text in (("a log record", logs), ("a page", bodies), ("the audit log", audit)):
        assert secret not in text, f"the client secret is in {where}"
        assert not TOKEN_SHAPE.search(text), f"a bearer token is in {where}"
        assert "Bearer " not in text, f"an Authorization header is in {where}"
    assert connected.acme.client_secret_encrypted not in bodies
