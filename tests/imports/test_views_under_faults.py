"""Every page of the portal, with each thing it relies on failing for real:
Talkdesk unreachable or failing, a connection stored with a bad account
name, base URL or a secret no key opens, the import's stored files gone, the
disk full or read-only. Each answers with a page that says what happened,
never a server error."""

import html
import logging

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from imports import lifecycle, services
from imports.models import Connection, Import
from tests.conftest import DATA, data_file
from tests.imports.test_access import ROUTES, _kwargs

# The portal's own pages; signing in and out, and the single sign-on
# redirects, are not pages an admin acts on.
ADMIN_ROUTES = [name for name, (_, which, _) in ROUTES.items() if name.startswith("imports:") and which != "mapping"]


def _alpha_import(personas):
    job = services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="alpha.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="America/New_York",
        date_format=None,
    )
    part = job.parts.get(number=1)
    part.error_report.save("errors.csv", ContentFile(b"Agent Email,Row,Error\r\njohn.smith@example.com,2,Unknown\r\n"))
    return job


def _break_connection(connection, **fields):
    Connection.objects.filter(pk=connection.pk).update(**fields)


FAULTS = {
    "Talkdesk unreachable": lambda personas, simulator, job, disk: None,
    "Talkdesk failing": lambda personas, simulator, job, disk: (
        _break_connection(personas.acme, base_url=simulator.base_url),
        simulator.control.set_faults(error_rate=1),
    ),
    "an account name Talkdesk does not allow": lambda personas, simulator, job, disk: _break_connection(
        personas.acme, account="bad account!"
    ),
    "a base URL that is not one": lambda personas, simulator, job, disk: _break_connection(
        personas.acme, base_url="not a url"
    ),
    "a client secret no key opens": lambda personas, simulator, job, disk: _break_connection(
        personas.acme, client_secret_encrypted="gAAAAAnot-a-sealed-secret"
    ),
    "the import's stored files gone": lambda personas, simulator, job, disk: [
        default_storage.delete(f"imports/{job.pk}/{name}") for name in default_storage.listdir(f"imports/{job.pk}")[1]
    ],
    "a full disk": lambda personas, simulator, job, disk: disk.fill(),
    "a read-only disk": lambda personas, simulator, job, disk: disk.read_only(),
}


def _request(client, name, job, personas):
    method, which, _ = ROUTES[name]
    url = reverse(name, kwargs=_kwargs(which, job, personas))
    data = {"time_zone": "UTC"} if name == "imports:recheck" else {}
    return getattr(client, method)(url, data, follow=True)


def _is_a_page_not_an_error(response) -> str:
    assert response.status_code < 500 or response.status_code == 503, response.status_code
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode(errors="replace")
    assert "Traceback" not in text and "Server Error" not in text
    return text


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_page_answers_with_a_page_when_what_it_relies_on_fails(client, personas, simulator, small_disk, fault):
    job = _alpha_import(personas)
    FAULTS[fault](personas, simulator, job, small_disk)
    client.force_login(personas.ada)
    for name in ADMIN_ROUTES:
        _is_a_page_not_an_error(_request(client, name, job, personas))
    with open(DATA / "portal/schedule-example.csv", "rb") as file:
        upload = client.post(
            reverse("imports:upload"),
            {"team": personas.alpha.pk, "file": file, "time_zone": "UTC", "date_format": ""},
            follow=True,
        )
    _is_a_page_not_an_error(upload)


def test_talkdesk_failures_are_told_in_the_clients_plain_words(client, personas):
    _break_connection(personas.acme, account="bad account!")
    client.force_login(personas.ada)
    tested = html.unescape(
        client.post(reverse("imports:connection_test", args=[personas.acme.pk]), follow=True).content.decode()
    )
    assert "'bad account!' is not a Talkdesk account name: it holds a space, '!'" in tested
    assert "Correct it in the connection's settings" in tested
    synced = client.post(reverse("imports:connection_sync_agents", args=[personas.acme.pk]), follow=True)
    assert "is not a Talkdesk account name" in synced.content.decode()


def test_a_stored_file_gone_is_named_as_such(client, personas, small_disk):
    job = _alpha_import(personas)
    default_storage.delete(f"imports/{job.pk}/original")
    client.force_login(personas.sam)
    response = client.get(reverse("imports:original", args=[job.pk]))
    assert response.status_code == 404
    assert "missing from its disk" in response.content.decode()


@pytest.mark.parametrize(
    ("break_disk", "cause"), [("fill", "the disk is full"), ("read_only", "its disk is read-only")]
)
def test_an_upload_the_disk_refuses_is_told_on_the_upload_page_and_leaves_nothing(
    client, personas, small_disk, caplog, break_disk, cause
):
    getattr(small_disk, break_disk)()
    before = small_disk.files()
    client.force_login(personas.sam)
    with caplog.at_level(logging.ERROR), open(DATA / "portal/schedule-example.csv", "rb") as file:
        response = client.post(
            reverse("imports:upload"),
            {"team": personas.alpha.pk, "file": file, "time_zone": "UTC", "date_format": ""},
        )
    page = response.content.decode()
    assert response.status_code == 503
    assert f"The portal could not store the file: {cause}. Tell your administrator." in page
    assert "Upload a schedule" in page
    assert not Import.objects.exists()
    assert small_disk.files() == before
    assert any("could not be stored" in record.getMessage() for record in caplog.records)


def test_an_upload_after_the_disk_is_freed_is_kept_whole(client, personas, small_disk):
    small_disk.fill()
    client.force_login(personas.sam)
    with open(DATA / "portal/schedule-example.csv", "rb") as file:
        client.post(reverse("imports:upload"), {"team": personas.alpha.pk, "file": file, "time_zone": "UTC"})
    small_disk.empty()
    with open(DATA / "portal/schedule-example.csv", "rb") as file:
        response = client.post(reverse("imports:upload"), {"team": personas.alpha.pk, "file": file, "time_zone": "UTC"})
    job = Import.objects.get()
    assert response.status_code == 302
    with job.original.open("rb") as stored:
        assert stored.read() == data_file("portal/schedule-example.csv")


def test_resend_and_mark_imported_on_a_part_that_needs_no_decision_say_so(client, personas):
    job = _alpha_import(personas)
    services.import_confirm(job=job, actor=personas.sam, warnings_acknowledged=True)
    lifecycle.part_claim(part=job.parts.get(), held_by="a worker")
    client.force_login(personas.ada)
    page = client.post(reverse("imports:part_resend", args=[job.pk, 1]), follow=True).content.decode()
    assert "Only a part that needs attention can be sent again." in page
