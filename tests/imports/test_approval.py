"""Approval before sending: a team whose imports need a second pair of eyes."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from imports import delivery, services
from imports.models import AuditEvent
from imports.states import ImportState, PartState
from tests.conftest import data_file

Action = AuditEvent.Action


@pytest.fixture
def approving(personas):
    """Team Alpha needs approval; Tom is its second supervisor."""
    personas.alpha.imports_need_approval = True
    personas.alpha.save()
    tom = get_user_model().objects.create_user("tom", password="tom-password", email="tom@example.test")
    personas.alpha.supervisors.add(tom)
    personas.tom = tom
    return personas


def uploaded(personas, user=None):
    return services.import_create(
        team=personas.alpha,
        uploaded_by=user or personas.sam,
        file_name="week.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="America/New_York",
        date_format=None,
    )


def confirmed(personas, user=None):
    job = uploaded(personas, user)
    return services.import_confirm(job=job, actor=user or personas.sam, warnings_acknowledged=True)


def test_confirming_in_a_team_that_needs_approval_waits_for_it_and_sends_nothing(
    approving, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as sent:
        job = confirmed(approving)
    assert job.state == ImportState.AWAITING_APPROVAL
    assert job.parts.get().state == PartState.WAITING
    assert delivery.next_waiting_part(job.account_key) is None
    assert not [callback for callback in sent if "advance" in repr(callback)]
    assert (
        AuditEvent.objects.filter(action=Action.CONFIRMED, import_job=job).get().detail.endswith("waits for approval")
    )


def test_the_uploader_can_never_approve_their_own_import(approving):
    job = confirmed(approving)
    with pytest.raises(services.ActionRefused, match="you uploaded it"):
        services.import_approve(job=job, actor=approving.sam)
    job.refresh_from_db()
    assert job.state == ImportState.AWAITING_APPROVAL


def test_not_even_an_admin_who_uploaded_it(approving):
    job = confirmed(approving, user=approving.ada)
    with pytest.raises(services.ActionRefused, match="you uploaded it"):
        services.import_approve(job=job, actor=approving.ada)


def test_a_supervisor_of_another_team_cannot_approve(approving):
    job = confirmed(approving)
    with pytest.raises(services.ActionRefused, match="Only a supervisor of the team or an admin"):
        services.import_approve(job=job, actor=approving.bea)


def test_another_supervisor_approves_and_the_import_joins_the_queue_in_approval_order(approving):
    first, second = confirmed(approving), confirmed(approving)
    services.import_approve(job=second, actor=approving.tom)
    services.import_approve(job=first, actor=approving.ada)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == second.state == ImportState.QUEUED
    assert delivery.next_waiting_part(first.account_key).import_job_id == second.pk
    assert list(second.transitions.values_list("from_state", "to_state", "actor__username")) == [
        ("preview", "awaiting_approval", "sam"),
        ("awaiting_approval", "queued", "tom"),
    ]
    assert AuditEvent.objects.filter(action=Action.APPROVED, import_job=second, user=approving.tom).exists()


def test_an_approval_happens_once(approving):
    job = confirmed(approving)
    services.import_approve(job=job, actor=approving.tom)
    with pytest.raises(services.ActionRefused, match="not waiting for approval"):
        services.import_approve(job=job, actor=approving.ada)
    assert job.transitions.filter(to_state=ImportState.QUEUED).count() == 1


def test_a_rejection_needs_a_reason_and_ends_the_import_with_it(approving):
    job = confirmed(approving)
    with pytest.raises(services.ActionRefused, match="Say why"):
        services.import_reject(job=job, actor=approving.tom, reason="   ")
    services.import_reject(job=job, actor=approving.tom, reason="Week 12 is\n not final yet.")
    job.refresh_from_db()
    assert job.state == ImportState.REJECTED and job.is_final
    assert job.message == "Rejected by tom: Week 12 is not final yet."
    assert job.parts.get().state == PartState.SKIPPED
    event = AuditEvent.objects.get(action=Action.REJECTED)
    assert (event.user, event.detail) == (approving.tom, "week.csv: Week 12 is not final yet.")


def test_a_rejected_import_cannot_be_approved_after(approving):
    job = confirmed(approving)
    services.import_reject(job=job, actor=approving.tom, reason="No.")
    with pytest.raises(services.ActionRefused):
        services.import_approve(job=job, actor=approving.ada)


def test_the_uploader_may_withdraw_an_import_waiting_for_approval(approving):
    job = confirmed(approving)
    services.import_cancel(job=job, actor=approving.sam)
    job.refresh_from_db()
    assert job.state == ImportState.CANCELLED


def test_a_team_without_the_setting_sends_at_once(personas):
    job = services.import_confirm(job=uploaded(personas), actor=personas.sam, warnings_acknowledged=True)
    assert job.state == ImportState.QUEUED


def test_the_approver_sees_the_findings_and_the_buttons_and_the_uploader_sees_why_not(approving, client):
    job = confirmed(approving)
    client.force_login(approving.tom)
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "No problems found." in page
    assert "Approve and send 3 rows" in page and 'name="reason"' in page
    client.force_login(approving.sam)
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "Approve and send" not in page
    assert "you uploaded it" in page


def test_approving_and_rejecting_through_the_page(approving, client):
    job = confirmed(approving)
    client.force_login(approving.tom)
    response = client.post(reverse("imports:reject", args=[job.pk]), {"reason": ""}, follow=True)
    assert "Say why it is rejected" in response.content.decode()
    client.post(reverse("imports:approve", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportState.QUEUED


def test_a_supervisor_of_another_team_does_not_even_find_the_import(approving, client):
    job = confirmed(approving)
    client.force_login(approving.bea)
    assert client.post(reverse("imports:approve", args=[job.pk])).status_code == 404
