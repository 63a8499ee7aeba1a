"""E-mail notifications, received by a real SMTP server (aiosmtpd) on loopback."""

import shutil

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from imports import lifecycle, services
from imports.models import AuditEvent
from imports.notifications import sending
from imports.notifications.models import Kind, Notification, Preference
from imports.wfm.base import RemoteStatus
from tests.conftest import NOWHERE, data_file

State = Notification.State


@pytest.fixture
def mail(settings, mail_server):
    settings.EMAIL_HOST = mail_server.host
    settings.EMAIL_PORT = mail_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_NOTIFICATIONS = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.PORTAL_URL = "https://portal.example.test"
    for folder in ("new", "cur"):
        shutil.rmtree(mail_server.maildir / folder, ignore_errors=True)
        (mail_server.maildir / folder).mkdir()
    return mail_server


@pytest.fixture
def people(personas):
    users = get_user_model()
    for user, address in ((personas.sam, "sam@example.test"), (personas.ada, "ada@example.test")):
        user.email = address
        user.save()
    personas.tom = users.objects.create_user("tom", password="tom-password", email="tom@example.test")
    personas.alpha.supervisors.add(personas.tom)
    return personas


def sent_part(people, django_capture_on_commit_callbacks):
    job = services.import_create(
        team=people.alpha,
        uploaded_by=people.sam,
        file_name="week.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="America/New_York",
        date_format=None,
    )
    lifecycle.import_queue(job=job, actor=people.sam)
    part = job.parts.get()
    lifecycle.part_claim(part=part, held_by="w")
    lifecycle.part_upload_started(part=part)
    lifecycle.part_accepted(part=part, remote_id="abc", first_poll_at=timezone.now())
    return job, part


def deliver_all():
    for notification_id in Notification.objects.filter(state=State.PENDING).values_list("pk", flat=True):
        sending.notification_send(notification_id=notification_id)


def test_the_uploader_hears_that_the_import_failed_with_one_link_to_it(
    mail, people, django_capture_on_commit_callbacks
):
    job, part = sent_part(people, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks() as callbacks:
        lifecycle.part_finish(
            part=part, remote_status=RemoteStatus.FAILED, message="Talkdesk could not import this file."
        )
    assert len(callbacks) >= 1
    deliver_all()
    message = mail.wait_for(lambda m: m["To"] == "sam@example.test", seconds=10)
    assert message["Subject"] == "Failed in Talkdesk: week.csv"
    body = message.get_payload(decode=True).decode()
    assert f"Open the import: https://portal.example.test/imports/{job.pk}/" in body
    assert "Talkdesk could not import this file." in body
    assert Notification.objects.get().state == State.SENT


def test_imported_with_errors_says_how_many_rows_failed(mail, people, django_capture_on_commit_callbacks):
    job, part = sent_part(people, django_capture_on_commit_callbacks)
    report = (
        b"Agent Name,Agent Email,Start Time,End Time,Event Type Name,Error\n"
        b"Carla,carla@example.com,2025-01-06T09:00:00,2025-01-06T17:00:00,Work,Agent not found\n"
        b"Dan,dan@example.com,2025-01-06T09:00:00,2025-01-06T17:00:00,Work,Agent not found\n"
    )
    part.error_report.save("r.csv", ContentFile(report), save=True)
    lifecycle.part_finish(part=part, remote_status=RemoteStatus.IMPORTED_WITH_ERRORS)
    deliver_all()
    message = mail.wait_for(lambda m: m["To"] == "sam@example.test", seconds=10)
    assert message["Subject"] == "Imported with errors: week.csv (2 rows not imported)"


def test_a_plain_success_is_off_until_the_person_turns_it_on(mail, people, django_capture_on_commit_callbacks):
    job, part = sent_part(people, django_capture_on_commit_callbacks)
    lifecycle.part_finish(part=part, remote_status=RemoteStatus.IMPORTED)
    assert not Notification.objects.exists()
    Preference.objects.create(user=people.sam, imported=True)
    job2, part2 = sent_part(people, django_capture_on_commit_callbacks)
    lifecycle.part_finish(part=part2, remote_status=RemoteStatus.IMPORTED)
    deliver_all()
    assert mail.wait_for(lambda m: m["To"] == "sam@example.test", seconds=10)["Subject"] == "Imported: week.csv"


def test_the_other_supervisors_hear_an_import_waits_for_their_approval(mail, people):
    people.alpha.imports_need_approval = True
    people.alpha.save()
    job = services.import_create(
        team=people.alpha,
        uploaded_by=people.sam,
        file_name="week.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="America/New_York",
        date_format=None,
    )
    services.import_confirm(job=job, actor=people.sam, warnings_acknowledged=True)
    assert list(Notification.objects.values_list("user__username", "kind")) == [("tom", Kind.AWAITING_APPROVAL)]
    deliver_all()
    message = mail.wait_for(lambda m: m["To"] == "tom@example.test", seconds=10)
    assert message["Subject"] == "Waiting for your approval: week.csv"


def test_admins_hear_of_a_part_that_needs_attention(mail, people):
    job2 = services.import_create(
        team=people.bravo,
        uploaded_by=people.bea,
        file_name="other.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="America/New_York",
        date_format=None,
    )
    lifecycle.import_queue(job=job2, actor=people.bea)
    other = job2.parts.get()
    lifecycle.part_claim(part=other, held_by="w")
    lifecycle.part_upload_started(part=other)
    lifecycle.part_needs_attention(part=other, message="Check the schedule in Talkdesk WFM.")
    assert list(Notification.objects.values_list("user__username", "kind")) == [("ada", Kind.NEEDS_ATTENTION)]


def test_a_notification_is_sent_once_however_often_its_task_runs(mail, people, django_capture_on_commit_callbacks):
    job, part = sent_part(people, django_capture_on_commit_callbacks)
    lifecycle.part_finish(part=part, remote_status=RemoteStatus.FAILED)
    notification = Notification.objects.get()
    sending.notification_send(notification_id=notification.pk)
    sending.notification_send(notification_id=notification.pk)
    mail.wait_for(lambda m: m["To"] == "sam@example.test", seconds=10)
    assert len(mail.messages()) == 1
    notification.refresh_from_db()
    assert notification.attempts == 1


def test_a_mail_server_that_does_not_answer_is_tried_again_later(
    mail, people, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_PORT = int(NOWHERE.rsplit(":", 1)[1])
    job, part = sent_part(people, django_capture_on_commit_callbacks)
    lifecycle.part_finish(part=part, remote_status=RemoteStatus.FAILED)
    notification = Notification.objects.get()
    with django_capture_on_commit_callbacks() as retried:
        sending.notification_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.state == State.PENDING
    assert notification.not_before > timezone.now()
    assert "ConnectionRefusedError" in notification.error
    assert len(retried) == 1


def test_without_a_mail_server_no_notification_is_written(settings, people, django_capture_on_commit_callbacks):
    settings.EMAIL_NOTIFICATIONS = False
    job, part = sent_part(people, django_capture_on_commit_callbacks)
    lifecycle.part_finish(part=part, remote_status=RemoteStatus.FAILED)
    assert not Notification.objects.exists()


def test_each_person_chooses_on_their_page_and_the_change_is_audited(people, client):
    client.force_login(people.sam)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "sam@example.test" in page
    assert 'name="needs_attention"' not in page
    client.post(reverse("notifications:preferences"), {"imported": "on", "not_imported": "on"})
    preference = Preference.objects.get(user=people.sam)
    assert (preference.imported, preference.imported_with_errors, preference.not_imported) == (True, False, True)
    event = AuditEvent.objects.get(action=AuditEvent.Action.NOTIFICATIONS_CHANGED)
    assert "An import I uploaded was imported: on" in event.detail
