"""The audit log: what people do to imports and connections, with who, when
and from where, and a page on which admins browse and filter it."""

import zoneinfo
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from imports import person_zone, services
from imports.models import AuditEvent, ImportPart
from imports.states import PartState
from tests.conftest import DATA, data_file

Action = AuditEvent.Action
OFFICE = "198.51.100.20"


def upload(client, personas, name="portal/schedule-example.csv"):
    client.force_login(personas.sam)
    with open(DATA / name, "rb") as file:
        client.post(
            reverse("imports:upload"),
            {"team": personas.alpha.pk, "file": file, "time_zone": "UTC", "date_format": ""},
            headers={"X-Forwarded-For": OFFICE},
        )
    return personas.alpha.imports.get()


def test_an_upload_a_confirmation_and_a_cancellation_are_recorded_with_who_and_where(client, personas):
    job = upload(client, personas)
    client.post(reverse("imports:confirm", args=[job.pk]), headers={"X-Forwarded-For": OFFICE})
    client.post(reverse("imports:cancel", args=[job.pk]), headers={"X-Forwarded-For": OFFICE})
    events = AuditEvent.objects.exclude(action=Action.SIGNED_IN).order_by("at", "id")
    assert [(e.action, e.username, e.client_address, e.import_job_id) for e in events] == [
        (Action.UPLOADED, "sam", OFFICE, job.pk),
        (Action.CONFIRMED, "sam", OFFICE, job.pk),
        (Action.CANCELLED, "sam", OFFICE, job.pk),
    ]
    assert "schedule-example.csv for team Alpha" in events[0].detail
    assert all(timezone.now() - e.at < timedelta(minutes=1) for e in events)


def test_a_refused_action_records_nothing(client, personas):
    job = upload(client, personas, "portal/schedule-bad-times.csv")
    client.post(reverse("imports:confirm", args=[job.pk]))
    assert list(AuditEvent.objects.exclude(action=Action.SIGNED_IN).values_list("action", flat=True)) == [
        Action.UPLOADED
    ]


def test_an_admin_sending_a_part_again_or_recording_it_imported_is_recorded(client, personas):
    job = services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="w.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="UTC",
        date_format=None,
    )
    ImportPart.objects.filter(import_job=job).update(state=PartState.NEEDS_ATTENTION)
    client.force_login(personas.ada)
    client.post(reverse("imports:part_resend", args=[job.pk, 1]), headers={"X-Forwarded-For": OFFICE})
    ImportPart.objects.filter(import_job=job).update(state=PartState.NEEDS_ATTENTION)
    client.post(reverse("imports:part_mark_imported", args=[job.pk, 1]), headers={"X-Forwarded-For": OFFICE})
    recorded = list(
        AuditEvent.objects.filter(username="ada")
        .exclude(action=Action.SIGNED_IN)
        .order_by("at", "id")
        .values_list("action", "detail", "client_address")
    )
    assert recorded == [(Action.RESENT, "part 1", OFFICE), (Action.MARKED_IMPORTED, "part 1", OFFICE)]


def test_connection_changes_name_what_changed_but_never_the_secret(client, personas):
    client.force_login(personas.ada)
    form = {
        "name": "Acme",
        "account": "acme",
        "region": "custom",
        "base_url": "http://127.0.0.1:9",
        "client_id": "demo-portal",
        "default_time_zone": "Europe/Lisbon",
        "default_date_format": "HH:mm yyyy-MM-dd",
    }
    edit = reverse("imports:connection_edit", args=[personas.acme.pk])
    client.post(edit, {**form, "client_secret": "a-brand-new-secret"}, headers={"X-Forwarded-For": OFFICE})
    client.post(edit, {**form, "client_secret": ""})
    client.post(
        reverse("imports:connection_new"),
        {**form, "name": "Initech", "account": "initech", "client_secret": "another-secret"},
    )
    events = list(AuditEvent.objects.exclude(action=Action.SIGNED_IN).order_by("at", "id"))
    assert [(e.action, e.username) for e in events] == [
        (Action.CONNECTION_CHANGED, "ada"),
        (Action.CONNECTION_ADDED, "ada"),
    ]
    assert events[0].detail == "Acme: default_time_zone, client secret changed"
    assert events[0].client_address == OFFICE
    assert not any("secret" in e.detail and ("a-brand-new" in e.detail or "another-secret" in e.detail) for e in events)


def test_a_connection_test_is_recorded_with_its_outcome(client, connected):
    client.force_login(connected.ada)
    client.post(reverse("imports:connection_test", args=[connected.acme.pk]))
    connected.acme.set_client_secret("wrong-secret-value")
    connected.acme.save()
    client.post(reverse("imports:connection_test", args=[connected.acme.pk]))
    passed, failed = AuditEvent.objects.filter(action=Action.CONNECTION_TESTED).order_by("at", "id")
    assert passed.detail.startswith("scopes granted: users:read, wfm-public:read, wfm-public:write")
    assert failed.detail.startswith("failed: Talkdesk did not accept the client ID and secret")
    assert "wrong-secret-value" not in failed.detail


def _event(action, username, days_ago=0, address=OFFICE):
    return AuditEvent.objects.create(
        action=action,
        username=username,
        client_address=address,
        at=timezone.now() - timedelta(days=days_ago),
        detail=f"{action} by {username}",
    )


def test_an_admin_filters_the_log_by_action_user_and_date(client, personas):
    _event(Action.SIGNED_IN, "sam", days_ago=10)
    _event(Action.SIGN_IN_FAILED, "sam", days_ago=1)
    _event(Action.SIGN_IN_FAILED, "bea")
    client.force_login(personas.ada)
    audit = reverse("imports:audit_log")

    def shown(**query):
        return [(e.action, e.username) for e in client.get(audit, query).context["page"]]

    assert shown(action=Action.SIGN_IN_FAILED) == [(Action.SIGN_IN_FAILED, "bea"), (Action.SIGN_IN_FAILED, "sam")]
    assert shown(username="SAM") == [(Action.SIGN_IN_FAILED, "sam"), (Action.SIGNED_IN, "sam")]
    # The days as the admin reads them: in her zone (her first team's), which
    # is a day behind the server's for some hours of every day.
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(person_zone.zone_for(personas.ada)))
    since = (today - timedelta(days=2)).isoformat()
    until = (today - timedelta(days=1)).isoformat()
    assert shown(since=since, until=until) == [(Action.SIGN_IN_FAILED, "sam")]


def test_the_log_shows_who_when_and_from_where_newest_first_a_page_at_a_time(client, personas):
    for n in range(60):
        _event(Action.SIGN_IN_FAILED, f"user{n:02d}", address=f"192.0.2.{n}")
    client.force_login(personas.ada)
    page = client.get(reverse("imports:audit_log")).content.decode()
    assert "user59" in page and "192.0.2.59" in page and "Sign-in failed" in page
    assert "user09" not in page
    assert "Page 1 of 2" in page
    second = client.get(reverse("imports:audit_log"), {"page": 2}, headers={"HX-Request": "true"}).content.decode()
    assert "user09" in second and "<html" not in second
