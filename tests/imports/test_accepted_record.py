"""The record of what Talkdesk accepted through the portal: written by the
lifecycle with a part's final state, consulted by every check of a file for
the same account, and shared by the teams of one account without showing
one team's imports to another."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from imports import lifecycle, selectors, services
from imports.models import AcceptedEvent, AuditEvent, Import, Team
from imports.schedule import checked_rows
from imports.schedule.check import check_schedule
from imports.states import ImportState, PartState
from tests.conftest import data_file

EXAMPLE = data_file("portal/schedule-example.csv")
# The example corrected: Jane starts an hour later, Bob's break moves a day.
CORRECTED = b"""Agent Name,Agent Email,Start Time,End Time,Event Type Name
John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels
Jane Doe,jane.doe@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels
Bob Wilson,bob.wilson@example.com,12:00 2026-06-02,12:30 2026-06-02,Break
"""


def uploaded(personas, data=EXAMPLE, *, team=None, user=None, name="week.csv"):
    return services.import_create(
        team=team or personas.alpha,
        uploaded_by=user or personas.sam,
        file_name=name,
        data=data,
        time_zone="America/New_York",
        date_format=None,
    )


def imported(personas, data=EXAMPLE, *, remote_status="imported", report: bytes | None = None, **who):
    """An upload taken through every move to Talkdesk's final answer."""
    job = uploaded(personas, data, **who)
    assert lifecycle.import_queue(job=job, actor=job.uploaded_by)
    part = job.parts.get()
    assert lifecycle.part_claim(part=part, held_by="worker test")
    assert lifecycle.part_upload_started(part=part)
    assert lifecycle.part_accepted(part=part, remote_id="td-1", first_poll_at=timezone.now())
    fields = {}
    if report is not None:
        fields["error_report"] = default_storage.save(f"imports/{job.pk}/part-1-errors.csv", ContentFile(report))
    assert lifecycle.part_finish(part=part, remote_status=remote_status, **fields)
    job.refresh_from_db()
    return job


def codes(job, severity="warnings"):
    return [(finding["row"], finding["code"]) for finding in job.findings[severity]]


def test_a_part_imported_puts_each_of_its_rows_on_record_for_the_account(personas):
    job = imported(personas)
    events = AcceptedEvent.objects.order_by("agent_email")
    assert [(e.agent_email, e.event_type, e.import_job_id) for e in events] == [
        ("bob.wilson@example.com", "Break", job.pk),
        ("jane.doe@example.com", "Available for all channels", job.pk),
        ("john.smith@example.com", "Available for all channels", job.pk),
    ]
    bob = events[0]
    assert bob.account_key == personas.acme.account_key
    assert (bob.start.isoformat(), bob.end.isoformat()) == ("2026-06-01T16:00:00+00:00", "2026-06-01T16:30:00+00:00")


def test_the_rows_talkdesks_error_report_lists_are_not_on_record(personas):
    report = b"Row,Agent Email,Error\n3,jane.doe@example.com,Unknown agent\n"
    imported(personas, remote_status="imported_with_errors", report=report)
    assert sorted(AcceptedEvent.objects.values_list("agent_email", flat=True)) == [
        "bob.wilson@example.com",
        "john.smith@example.com",
    ]


def test_a_report_row_without_a_number_is_matched_by_its_values(personas):
    report = (
        b"Agent Name,Agent Email,Start Time,End Time,Event Type Name,Error\n"
        b"Bob Wilson,bob.wilson@example.com,12:00 2026-06-01,12:30 2026-06-01,Break,Unknown event type\n"
    )
    imported(personas, remote_status="imported_with_errors", report=report)
    assert "bob.wilson@example.com" not in AcceptedEvent.objects.values_list("agent_email", flat=True)
    assert AcceptedEvent.objects.count() == 2


def test_without_its_error_report_no_row_of_a_part_imported_with_errors_is_called_imported(personas):
    imported(personas, remote_status="imported_with_errors")
    assert not AcceptedEvent.objects.exists()


def test_nothing_is_on_record_for_a_part_talkdesk_failed(personas):
    imported(personas, remote_status="failed")
    assert not AcceptedEvent.objects.exists()


def test_a_repeated_final_answer_records_the_rows_once(personas):
    job = imported(personas)
    assert not lifecycle.part_finish(part=job.parts.get(), remote_status="imported")
    assert AcceptedEvent.objects.count() == 3


def test_an_admins_word_that_talkdesk_has_the_part_puts_it_on_record(personas):
    job = uploaded(personas)
    lifecycle.import_queue(job=job, actor=personas.sam)
    part = job.parts.get()
    lifecycle.part_claim(part=part, held_by="worker test")
    lifecycle.part_upload_started(part=part)
    lifecycle.part_needs_attention(part=part, message="lost")
    assert lifecycle.part_mark_imported(part=part, actor=personas.ada)
    assert AcceptedEvent.objects.filter(part=part).count() == 3


def test_the_same_file_again_is_named_with_when_by_whom_and_a_link(personas):
    first = imported(personas)
    again = uploaded(personas, EXAMPLE.replace(b",", b";"))
    assert codes(again) == [
        (None, "file_already_imported"),
        (2, "row_already_imported"),
        (3, "row_already_imported"),
        (4, "row_already_imported"),
    ]
    [same_file] = [f for f in again.warnings if f["code"] == "file_already_imported"]
    assert "in import week.csv" in same_file["message"] and "by sam" in same_file["message"]
    assert same_file["link"] == reverse("imports:detail", args=[first.pk])
    assert again.findings["already_imported_rows"] == 3
    assert again.error_count == 0 and again.can_confirm


def test_an_import_that_never_reached_talkdesk_is_not_the_same_file_imported(personas):
    imported(personas, remote_status="failed")
    assert codes(uploaded(personas)) == []


def test_a_row_colliding_with_an_earlier_event_is_a_warning_unless_the_team_makes_it_an_error(personas):
    imported(personas)
    overlapping = EXAMPLE.replace(b"08:00 2026-06-01,16:00", b"09:00 2026-06-01,17:00")
    assert (3, "overlaps_imported_event") in codes(uploaded(personas, overlapping))
    Team.objects.filter(pk=personas.alpha.pk).update(imported_overlaps_are_errors=True)
    personas.alpha.refresh_from_db()
    strict = uploaded(personas, overlapping)
    assert codes(strict, "errors") == [(3, "overlaps_imported_event")]
    assert not strict.can_confirm


def test_the_record_is_consulted_only_as_many_days_back_as_set(personas, settings):
    job = imported(personas)
    AcceptedEvent.objects.update(accepted_at=timezone.now() - timedelta(days=91))
    Import.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=91))
    assert codes(uploaded(personas)) == []
    settings.ACCEPTED_EVENTS_DAYS = 120
    assert len(codes(uploaded(personas))) == 4


@pytest.fixture
def charlie(personas, django_user_model):
    """Team Charlie, supervised by Cy, shares Alpha's Talkdesk account."""
    cy = django_user_model.objects.create_user("cy", password="cy-password")
    team = Team.objects.create(name="Charlie", connection=personas.acme)
    team.supervisors.add(cy)
    return team, cy


def test_a_team_sharing_the_account_sees_the_other_teams_events_without_its_import(personas, charlie, client):
    team, cy = charlie
    alphas = imported(personas)
    theirs = uploaded(personas, team=team, user=cy)
    assert codes(theirs)[0] == (None, "file_already_imported")
    assert len(codes(theirs)) == 4
    for finding in theirs.warnings:
        assert "link" not in finding
        assert "week.csv" not in finding["message"] and "sam" not in finding["message"]
        assert "another team sharing this Talkdesk account" in finding["message"]
    client.force_login(cy)
    page = client.get(reverse("imports:detail", args=[theirs.pk])).content.decode()
    assert "another team sharing this Talkdesk account" in page and str(alphas.pk) not in page
    assert client.get(reverse("imports:detail", args=[alphas.pk])).status_code == 404
    assert client.get(reverse("imports:changes", args=[alphas.pk])).status_code == 404


def test_a_team_on_another_account_is_not_compared_with_it(personas):
    imported(personas)
    assert codes(uploaded(personas, team=personas.bravo, user=personas.bea)) == []


def test_leaving_out_the_rows_already_imported_makes_a_revision_without_them(personas, client):
    imported(personas)
    job = uploaded(personas, CORRECTED, name="corrected.csv")
    assert codes(job) == [(2, "row_already_imported"), (3, "overlaps_imported_event")]
    client.force_login(personas.sam)
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "Leave out the rows already imported" in page
    response = client.post(reverse("imports:leave_out_imported", args=[job.pk]), follow=True)
    page = response.content.decode()
    assert "1 row already in Talkdesk left out" in page
    # Revision 1 is the file as uploaded; each change is the next.
    assert "Revision 2 by sam" in page and "Left out the 1 row already imported into Talkdesk (2)." in page
    job.refresh_from_db()
    # Jane's shift keeps its row number in the file, and still collides with her earlier one.
    assert job.rows == 2 and codes(job) == [(3, "overlaps_imported_event")] and job.state == ImportState.PREVIEW
    assert job.revisions.get().change == {"drop_rows": [2]}
    latest = b"".join(client.get(reverse("imports:fixed", args=[job.pk])).streaming_content)
    assert b"jane.doe" in latest and b"john.smith" not in latest
    [part] = job.parts.all()
    with part.content.open("rb") as sent:
        assert b"john.smith" not in sent.read()
    with job.original.open("rb") as original:
        assert original.read() == CORRECTED
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVISED, import_job=job).exists()
    again = client.post(reverse("imports:leave_out_imported", args=[job.pk]), follow=True)
    assert "nothing to leave out" in again.content.decode()


def test_a_file_whose_every_row_is_imported_is_not_made_empty(personas, client):
    imported(personas)
    job = uploaded(personas)
    client.force_login(personas.sam)
    response = client.post(reverse("imports:leave_out_imported", args=[job.pk]), follow=True)
    assert "Every row of this file is in Talkdesk already" in response.content.decode()
    assert not job.revisions.exists()


def test_what_a_corrected_file_changes_is_shown_day_by_day(personas, client):
    imported(personas)
    job = uploaded(personas, CORRECTED, name="corrected.csv")
    client.force_login(personas.sam)
    response = client.get(reverse("imports:changes", args=[job.pk]) + "?show=all")
    page = response.content.decode()
    counts = {
        name: page.split(f'data-changes="{name}">', 1)[1].split("<", 1)[0]
        for name in ("new", "identical", "differing", "left_empty")
    }
    assert counts == {"new": "1", "identical": "1", "differing": "1", "left_empty": "1"}
    assert "Importing does not remove earlier events from Talkdesk" in page
    assert "row 3: Available for all channels 09:00–17:00" in page
    assert "Available for all channels 08:00–16:00" in page
    assert page.count('data-status="left_empty"') == 1


def test_an_imported_file_is_compared_with_what_came_before_not_with_itself(personas, client):
    job = imported(personas)
    client.force_login(personas.sam)
    page = client.get(reverse("imports:changes", args=[job.pk])).content.decode()
    assert 'data-changes="new">3<' in page and 'data-changes="identical">0<' in page


def test_a_part_state_imported_is_never_without_its_record(personas):
    job = imported(personas)
    part = job.parts.get()
    assert part.state == PartState.IMPORTED
    assert part.accepted_events.count() == part.rows


def test_the_timeline_draws_the_earlier_events_of_the_files_agents_faintly_saying_which_import(personas, client):
    imported(personas)
    job = uploaded(personas, CORRECTED, name="corrected.csv")
    client.force_login(personas.sam)
    page = client.get(reverse("imports:timeline", args=[job.pk])).content.decode()
    assert page.count('data-earlier="1"') == 3
    assert "Earlier, imported on " in page and " in import week.csv by sam</title>" in page
    assert 'data-legend="earlier"' in page and "3 earlier events already in Talkdesk" in page


def test_another_teams_earlier_events_on_the_timeline_name_neither_its_file_nor_its_uploader(personas, charlie, client):
    team, cy = charlie
    alphas = imported(personas)
    theirs = uploaded(personas, CORRECTED, team=team, user=cy, name="corrected.csv")
    client.force_login(cy)
    page = client.get(reverse("imports:timeline", args=[theirs.pk])).content.decode()
    assert page.count('data-earlier="1"') == 3
    assert "by another team sharing this Talkdesk account" in page
    assert "week.csv" not in page and "by sam" not in page and str(alphas.pk) not in page


def test_an_imported_file_is_not_drawn_behind_itself(personas, client):
    job = imported(personas)
    client.force_login(personas.sam)
    page = client.get(reverse("imports:timeline", args=[job.pk])).content.decode()
    assert 'data-row="2"' in page and "data-earlier" not in page


def test_the_record_read_column_by_column_holds_the_same_events_as_read_one_by_one(personas):
    imported(personas)
    imported(personas, CORRECTED, name="corrected.csv")
    near = {"account_key": personas.alpha.connection.account_key, "first_minute": 0, "last_minute": 2**31}
    columns = selectors.accepted_columns_near(**near)
    assert sorted(zip(*columns, strict=True)) == sorted(selectors.accepted_events_near(**near))
    assert len(columns.agents) == 6
    assert selectors.accepted_columns_near(**{**near, "last_minute": 1}) == ([], [], [], [], [])


def test_the_events_kept_beside_the_rows_are_the_rows_own_and_an_import_without_them_reads_its_rows(personas):
    job = uploaded(personas, CORRECTED)
    kept = selectors.file_events(job)
    assert kept == check_schedule(CORRECTED, time_zone="America/New_York").read_events()
    default_storage.delete(checked_rows.events_name(job.id))
    assert selectors.file_events(job) == kept
