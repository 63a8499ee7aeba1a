import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from imports import checking, lifecycle, services
from imports.models import Import
from imports.states import ImportState
from tests.conftest import DATA


def upload(client, personas, name="portal/schedule-example.csv", **fields):
    client.force_login(personas.sam)
    with open(DATA / name, "rb") as file:
        data = {"team": personas.alpha.pk, "file": file, "time_zone": "America/New_York", "date_format": "", **fields}
        return client.post(reverse("imports:upload"), data)


def test_the_upload_page_takes_the_time_zone_from_the_teams_connection(client, personas):
    client.force_login(personas.sam)
    page = client.get(reverse("imports:upload")).content.decode()
    assert 'value="America/New_York"' in page


def test_changing_the_team_refreshes_only_its_defaults(client, personas):
    personas.bravo.supervisors.add(personas.sam)
    personas.globex.default_time_zone = "Europe/Lisbon"
    personas.globex.save()
    client.force_login(personas.sam)
    response = client.get(reverse("imports:upload"), {"team": personas.bravo.pk}, headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert 'value="Europe/Lisbon"' in fragment
    assert "<html" not in fragment


def test_an_upload_leads_to_its_preview_with_a_summary(client, personas):
    response = upload(client, personas)
    job = Import.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert job.state == ImportState.PREVIEW
    assert 'data-summary="rows">3<' in page
    assert "Available for all channels" in page
    assert "Confirm and send 3 rows" in page


def test_a_file_with_errors_shows_each_with_its_row_and_cannot_be_confirmed(client, personas):
    upload(client, personas, "portal/schedule-bad-times.csv")
    job = Import.objects.get()
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert job.error_count >= 2
    assert "Row 3" in page and "Row 4" in page
    assert "Confirm and send" not in page
    response = client.post(reverse("imports:confirm", args=[job.pk]), follow=True)
    assert "cannot be sent" in response.content.decode()
    job.refresh_from_db()
    assert job.state == ImportState.PREVIEW


def test_a_file_that_is_not_a_schedule_gets_one_clear_message(client, personas):
    response = upload(client, personas, "portal/not-a-schedule.png")
    page = client.get(response["Location"]).content.decode()
    assert Import.objects.get().error_count == 1
    assert "The whole file" in page


def test_a_file_that_can_never_be_sent_is_refused_and_left_out_of_the_history(client, personas):
    upload(client, personas, "portal/not-a-schedule.png")
    upload(client, personas)
    refused = Import.objects.filter(state=ImportState.REFUSED)
    assert refused.count() == 1
    page = client.get(reverse("imports:detail", args=[refused.first().pk])).content.decode()
    assert 'data-state="refused"' in page and "Awaiting confirmation" not in page
    assert "Confirm and send" not in page and "Each agent" not in page
    history = client.get(reverse("imports:history")).content.decode()
    assert "not-a-schedule.png" not in history
    assert "schedule-example.csv" in history
    asked = client.get(reverse("imports:history"), {"state": "refused"}).content.decode()
    assert "not-a-schedule.png" in asked


def test_an_empty_filtered_history_says_nothing_matches_and_offers_to_clear_the_filters(client, personas):
    upload(client, personas)
    page = client.get(reverse("imports:history"), {"state": "stalled"}).content.decode()
    assert "No import matches these filters." in page and "No imports yet" not in page
    assert 'href="/imports/" data-clear-filters>Clear the filters</a>' in page
    client.force_login(personas.bea)
    assert "No imports yet." in client.get(reverse("imports:history")).content.decode()


def test_warnings_need_an_explicit_acknowledgement(client, personas, django_capture_on_commit_callbacks):
    upload(client, personas, "portal/schedule-duplicate-rows.csv")
    job = Import.objects.get()
    assert job.warning_count and not job.error_count
    client.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportState.PREVIEW
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("imports:confirm", args=[job.pk]), {"acknowledge_warnings": "on"})
    job.refresh_from_db()
    assert job.state == ImportState.QUEUED
    assert job.warnings_acknowledged
    assert len(callbacks) == 1


def test_an_ambiguous_date_format_asks_and_a_recheck_settles_it(client, personas):
    upload(client, personas, "portal/schedule-ambiguous-dates.csv")
    job = Import.objects.get()
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "choose the one the file uses under “Read the file differently” below and check again" in page
    assert "choose the one the file uses under “Read the file differently” above and check again" in page
    assert "in your spreadsheet" not in page
    client.post(
        reverse("imports:recheck", args=[job.pk]), {"time_zone": "Europe/Lisbon", "date_format": "HH:mm dd/MM/yyyy"}
    )
    job.refresh_from_db()
    assert job.error_count == 0
    assert job.date_format == "HH:mm dd/MM/yyyy" and job.time_zone == "Europe/Lisbon"
    assert job.parts.count() == 1


def test_the_page_says_how_many_imports_are_ahead(client, personas):
    jobs = []
    for _ in range(3):
        upload(client, personas)
        job = Import.objects.order_by("-created_at").first()
        services.import_confirm(job=job, actor=personas.sam, warnings_acknowledged=False)
        jobs.append(job)
    page = client.get(reverse("imports:detail", args=[jobs[2].pk])).content.decode()
    assert "2 imports ahead of yours" in page


def test_the_status_fragment_asks_for_one_reload_once_the_import_stops_moving(client, personas):
    upload(client, personas)
    job = Import.objects.get()
    services.import_confirm(job=job, actor=personas.sam, warnings_acknowledged=False)
    url = reverse("imports:detail", args=[job.pk]) + "?fragment=status"
    moving = client.get(url, headers={"HX-Request": "true"})
    assert 'id="status"' in moving.content.decode() and "<html" not in moving.content.decode()
    assert 'hx-trigger="every 2s"' in moving.content.decode()
    services.import_cancel(job=job, actor=personas.sam)
    stopped = client.get(url, headers={"HX-Request": "true"})
    assert stopped["HX-Refresh"] == "true"


def _poll_status(client, job, etag=None):
    headers = {"HX-Request": "true", **({"If-None-Match": etag} if etag else {})}
    return client.get(reverse("imports:detail", args=[job.pk]) + "?fragment=status", headers=headers)


def test_an_unchanged_status_is_answered_not_modified_without_a_body(client, personas):
    upload(client, personas)
    job = Import.objects.get()
    services.import_confirm(job=job, actor=personas.sam, warnings_acknowledged=False)
    first = _poll_status(client, job)
    assert first.status_code == 200 and first["ETag"]
    assert "private" in first["Cache-Control"] and "no-cache" in first["Cache-Control"]
    assert "HX-Request" in first["Vary"]
    again = _poll_status(client, job, first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_a_status_that_moved_is_sent_again_in_full(client, personas):
    upload(client, personas)
    job = Import.objects.get()
    services.import_confirm(job=job, actor=personas.sam, warnings_acknowledged=False)
    etag = _poll_status(client, job)["ETag"]
    lifecycle.part_claim(part=job.parts.get(), held_by="worker-1")
    moved = _poll_status(client, job, etag)
    assert moved.status_code == 200
    assert moved["ETag"] != etag
    assert "Getting ready to send" in moved.content.decode()


def test_a_status_is_sent_again_when_the_queue_ahead_of_it_moves(client, personas):
    upload(client, personas)
    first = Import.objects.get()
    services.import_confirm(job=first, actor=personas.sam, warnings_acknowledged=False)
    upload(client, personas)
    second = Import.objects.order_by("-created_at").first()
    services.import_confirm(job=second, actor=personas.sam, warnings_acknowledged=False)
    behind = _poll_status(client, second)
    assert "1 import ahead of yours" in behind.content.decode()
    services.import_cancel(job=first, actor=personas.sam)
    next_in_line = _poll_status(client, second, behind["ETag"])
    assert next_in_line.status_code == 200
    assert "Next in line" in next_in_line.content.decode()


def test_a_status_kept_by_one_person_is_not_taken_as_anothers(client, personas):
    upload(client, personas)
    job = Import.objects.get()
    services.import_confirm(job=job, actor=personas.sam, warnings_acknowledged=False)
    sams = _poll_status(client, job)["ETag"]
    client.force_login(personas.ada)
    adas = _poll_status(client, job, sams)
    assert adas.status_code == 200
    assert adas["ETag"] != sams


def test_the_history_filters_by_state_team_and_uploader(client, personas):
    upload(client, personas)
    first = Import.objects.get()
    services.import_confirm(job=first, actor=personas.sam, warnings_acknowledged=False)
    upload(client, personas)
    client.force_login(personas.ada)
    history = reverse("imports:history")
    assert list(client.get(history, {"state": "queued"}).context["page"]) == [first]
    assert len(client.get(history, {"team": personas.alpha.pk}).context["page"]) == 2
    assert len(client.get(history, {"team": personas.bravo.pk}).context["page"]) == 0
    assert len(client.get(history, {"uploader": personas.sam.pk}).context["page"]) == 2


def test_the_history_refreshes_itself_only_while_an_import_is_moving(client, personas):
    upload(client, personas)
    client.force_login(personas.sam)
    assert "every 3s" not in client.get(reverse("imports:history")).content.decode()
    services.import_confirm(job=Import.objects.get(), actor=personas.sam, warnings_acknowledged=False)
    assert "every 3s" in client.get(reverse("imports:history")).content.decode()


def test_the_original_file_is_kept_byte_for_byte(client, personas):
    upload(client, personas)
    job = Import.objects.get()
    response = client.get(reverse("imports:original", args=[job.pk]))
    assert b"".join(response.streaming_content) == (DATA / "portal/schedule-example.csv").read_bytes()
    assert response["Content-Disposition"].startswith("attachment")


def test_the_fixed_file_defuses_formula_cells(client, personas):
    upload(client, personas, "portal/schedule-formula.csv")
    job = Import.objects.get()
    body = b"".join(client.get(reverse("imports:fixed", args=[job.pk])).streaming_content).decode()
    assert "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body
    assert "'=HYPERLINK" in body


def test_the_preview_draws_each_agents_days_on_demand(client, personas):
    upload(client, personas, "portal/schedule-duplicate-rows.csv")
    job = Import.objects.get()
    assert (
        reverse("imports:timeline", args=[job.pk])
        in client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    )
    fragment = client.get(reverse("imports:timeline", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "<svg" in fragment and "<html" not in fragment
    assert 'data-row="3"' in fragment and 'stroke="#b42318"' in fragment
    assert "1 agent." in fragment


def test_a_file_over_talkdesks_5_mb_is_one_import_sent_in_parts(client, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    row = "John Smith,john.smith@example.com,09:00 2026-06-{day:02d},17:00 2026-06-{day:02d},Available for all channels\r\n"
    body = "Agent Name,Agent Email,Start Time,End Time,Event Type Name\r\n" + "".join(
        row.format(day=1 + n % 28) for n in range(70_000)
    )
    assert len(body) > 5 * 1024 * 1024
    client.force_login(personas.sam)
    client.post(
        reverse("imports:upload"),
        {
            "team": personas.alpha.pk,
            "file": SimpleUploadedFile("big.csv", body.encode()),
            "time_zone": "UTC",
            "date_format": "",
        },
    )
    job = Import.objects.get()
    assert job.state == ImportState.CHECKING
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    parts = list(job.parts.order_by("number"))
    assert len(parts) == 2
    assert all(part.size < 5_000_000 for part in parts)
    assert sum(part.rows for part in parts) == job.rows == 70_000
    assert (
        "2 (over Talkdesk's 5 MB limit, sent one after another)"
        in client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    )


def test_the_history_refuses_a_team_or_uploader_the_person_cannot_see(client, personas):
    client.force_login(personas.bea)
    history = reverse("imports:history")
    for query in ({"team": personas.alpha.pk}, {"uploader": personas.sam.pk}, {"team": "not-a-number"}):
        page = client.get(history, query)
        assert page.status_code == 200
        assert "Select a valid choice" in page.content.decode() or "Enter a whole number" in page.content.decode()


def test_a_cancelled_preview_shows_who_cancelled_it_once_and_no_empty_parts_table(client, personas):
    upload(client, personas)
    job = Import.objects.get()
    client.post(reverse("imports:cancel", args=[job.pk]))
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert page.count("Cancelled by sam before it was sent.") == 1
    assert 'class="compact parts"' not in page
    steps = page.split('<ol class="transitions">')[1].split("</ol>")[0]
    assert steps.count("<li>") == 1 and "Cancelled by sam" in steps


def test_after_confirming_the_page_opens_on_the_live_status(client, personas):
    upload(client, personas)
    job = Import.objects.get()
    response = client.post(reverse("imports:confirm", args=[job.pk]))
    assert response["Location"] == reverse("imports:detail", args=[job.pk]) + "#status"


def test_the_original_file_downloads_under_its_own_name_and_extension(client, personas):
    upload(client, personas)
    job = Import.objects.get()
    response = client.get(reverse("imports:original", args=[job.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="schedule-example.csv"'


def test_the_fix_list_says_the_fixed_file_starts_with_a_byte_order_mark(client, personas):
    upload(client, personas, "schedules/one-digit-hours.csv")
    job = Import.objects.get()
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "9:00 became 09:00" in page
    assert "starts with a byte-order mark, so that Excel shows accented names as written" in page
    assert b"".join(client.get(reverse("imports:fixed", args=[job.pk])).streaming_content).startswith(b"\xef\xbb\xbf")


def test_a_preview_says_when_it_expires_in_the_persons_zone(client, personas, settings):
    settings.PORTAL_PREVIEW_EXPIRY_DAYS = 3
    upload(client, personas)
    job = Import.objects.get()
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    expires = timezone.localtime(job.created_at + timedelta(days=3), ZoneInfo("America/New_York"))
    assert f'Not confirmed by {expires:%Y-%m-%d %H:%M} <span class="zone">America/New_York</span>' in page


def test_numbers_are_grouped_by_thousands(client, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    lines = ["Agent Name,Agent Email,Start Time,End Time,Event Type Name"]
    lines += [f"A{n},a{n}@example.com,09:00 2026-06-01,10:00 2026-06-01,Break" for n in range(1200)]
    client.force_login(personas.sam)
    data = SimpleUploadedFile("big.csv", ("\n".join(lines) + "\n").encode(), content_type="text/csv")
    client.post(
        reverse("imports:upload"),
        {"team": personas.alpha.pk, "file": data, "time_zone": "UTC", "date_format": ""},
    )
    job = Import.objects.get()
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'data-summary="rows">1,200<' in page and "Confirm and send 1,200 rows" in page
    assert '<td class="num" data-label="Rows">1,200</td>' in client.get(reverse("imports:history")).content.decode()
    rows = client.get(reverse("imports:rows", args=[job.pk])).content.decode()
    assert "Page 1 of 24 (1,200 rows)" in rows


def _upload_bytes(client, personas, name, data, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(personas.sam)
    form = {"team": personas.alpha.pk, "time_zone": "America/New_York", "date_format": "", **fields}
    return client.post(reverse("imports:upload"), {**form, "file": SimpleUploadedFile(name, data)})


def test_a_workbook_upload_previews_its_sheet_with_rows_numbered_as_in_it_and_another_sheet_can_be_chosen(
    client, personas
):
    from tests.imports.test_workbook import ROWS
    from tests.imports.workbooks import xlsx

    book = xlsx({"Week 23": ROWS, "Week 24": ROWS[:2]}, start=(2, 0))
    response = _upload_bytes(client, personas, "week.xlsx", book)
    job = Import.objects.get()
    page = client.get(response["Location"]).content.decode()

    assert (job.sheet, job.rows, job.findings["sheets"]) == ("Week 23", 3, ["Week 23", "Week 24"])
    assert 'data-summary="sheet">Week 23' in page and "Row 5" in page
    assert '<option value="Week 24" >Week 24</option>' in page

    client.post(
        reverse("imports:recheck", args=[job.pk]),
        {"time_zone": "America/New_York", "date_format": "", "sheet": "Week 24"},
    )
    job.refresh_from_db()
    assert (job.sheet, job.rows, job.error_count) == ("Week 24", 1, 0)
    rows_page = client.get(reverse("imports:rows", args=[job.pk])).content.decode()
    assert "sheet <strong>Week 24</strong>" in rows_page and "<td>4</td>" in rows_page
    original = client.get(reverse("imports:original", args=[job.pk]))
    assert original["Content-Disposition"].endswith('week.xlsx"')
    assert b"".join(original.streaming_content) == book


def test_reading_another_sheet_asks_before_it_discards_the_changes_made_to_this_ones_rows(client, personas):
    from imports.models import AuditEvent
    from tests.imports.test_workbook import ROWS
    from tests.imports.workbooks import xlsx

    _upload_bytes(client, personas, "week.xlsx", xlsx({"Week 23": ROWS, "Week 24": ROWS[:2]}))
    job = Import.objects.get()
    client.post(
        reverse("imports:edit_cell", args=[job.pk]),
        {"row": "3", "column": "Agent Email", "value": "jane.doe@example.com"},
    )
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "Another sheet discards the 1 change made to the rows of 'Week 23' (you are asked first)" in page
    choice = {"time_zone": "America/New_York", "date_format": "", "sheet": "Week 24"}

    asked = client.post(reverse("imports:recheck", args=[job.pk]), choice).content.decode()
    job.refresh_from_db()

    assert (
        "Reading the sheet &#x27;Week 24&#x27; discards the 1 change made to the rows of &#x27;Week 23&#x27;" in asked
    )
    assert "the original file and the audit log keep it" in asked
    assert '<input type="hidden" name="discard_changes" value="on">' in asked
    assert (job.sheet, job.revisions.count()) == ("Week 23", 1)

    client.post(reverse("imports:recheck", args=[job.pk]), {**choice, "discard_changes": "on"})
    job.refresh_from_db()

    assert (job.sheet, job.rows, job.revisions.count()) == ("Week 24", 1, 0)
    assert AuditEvent.objects.filter(action="cell_edited").exists()
    assert AuditEvent.objects.get(action="revised").detail == (
        "sheet 'Week 23' -> 'Week 24': 1 change to the rows of 'Week 23' discarded"
    )


def test_another_time_zone_keeps_the_changes_and_asks_nothing(client, personas):
    from tests.imports.test_workbook import ROWS
    from tests.imports.workbooks import xlsx

    _upload_bytes(client, personas, "week.xlsx", xlsx({"Week 23": ROWS, "Week 24": ROWS[:2]}))
    job = Import.objects.get()
    client.post(
        reverse("imports:edit_cell", args=[job.pk]),
        {"row": "3", "column": "Agent Email", "value": "jane.doe@example.com"},
    )

    response = client.post(
        reverse("imports:recheck", args=[job.pk]),
        {"time_zone": "Europe/Lisbon", "date_format": "", "sheet": "Week 23"},
    )
    job.refresh_from_db()

    assert response.status_code == 302
    assert (job.time_zone, job.revisions.count(), job.error_count) == ("Europe/Lisbon", 1, 1)


def test_a_hostile_workbook_upload_gets_one_clear_message(client, personas):
    from tests.imports.test_workbook import _zip

    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b" " * (20 * 1024 * 1024)})
    response = _upload_bytes(client, personas, "week.xlsx", bomb)
    page = client.get(response["Location"]).content.decode()

    assert Import.objects.get().error_count == 1
    assert "decompression bomb" in page


MAPPED = {
    "column_agent_name": "Employee",
    "column_agent_email": "Mail addr",
    "column_start_time": "Begins",
    "column_end_time": "Ends",
    "column_event_type_name": "Kind",
    "column_date": "Day",
}


def test_a_header_that_cannot_be_mapped_asks_which_column_is_which_with_sample_values(client, personas):
    response = upload(client, personas, "portal/hris-export.csv")
    page = client.get(response["Location"]).content.decode()

    assert "Which column is which?" in page
    assert '<option value="Mail addr">B · Mail addr (e.g. john.smith@example.com, jane.doe@example.com, ' in page
    # Employee is known to mean Agent Name, so it is chosen already.
    assert '<option value="Employee" selected>A · Employee' in page


def test_a_mapping_is_checked_at_once_saved_for_the_team_and_applied_by_itself_next_time(client, personas):
    from imports.models import AuditEvent, ColumnMapping

    upload(client, personas, "portal/hris-export.csv")
    job = Import.objects.get()
    client.post(reverse("imports:map_columns", args=[job.pk]), {**MAPPED, "save_as": "HRIS export"})
    job.refresh_from_db()

    assert (job.rows, job.error_count) == (3, 1)
    assert job.errors[0]["row"] == 4 and "'bob.wilson@example' is not a valid" in job.errors[0]["message"]
    assert {f["code"] for f in job.fixes} >= {"columns_mapped", "date_and_times_joined", "end_next_day"}
    assert ColumnMapping.objects.get().name == "HRIS export"
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {"columns_mapped", "mapping_saved"}

    upload(client, personas, "portal/hris-export.csv")
    later = Import.objects.exclude(pk=job.pk).get()
    assert (later.rows, later.error_count, later.column_mapping_name) == (3, 1, "HRIS export")
    page = client.get(reverse("imports:detail", args=[later.pk])).content.decode()
    assert "The team&#x27;s saved mapping &#x27;HRIS export&#x27; was applied by itself" in page
    assert "Which column is which?" not in page


def test_a_mapping_without_a_required_field_is_refused_plainly(client, personas):
    upload(client, personas, "portal/hris-export.csv")
    job = Import.objects.get()
    response = client.post(
        reverse("imports:map_columns", args=[job.pk]), {**MAPPED, "column_agent_email": ""}, follow=True
    )

    assert "Choose a column for Agent Email." in response.content.decode()


def test_admins_see_and_delete_saved_mappings_and_others_cannot(client, personas):
    from imports.models import AuditEvent, ColumnMapping

    upload(client, personas, "portal/hris-export.csv")
    job = Import.objects.get()
    client.post(reverse("imports:map_columns", args=[job.pk]), {**MAPPED, "save_as": "HRIS export"})
    mapping = ColumnMapping.objects.get()
    assert client.get(reverse("imports:mappings")).status_code == 404
    assert client.post(reverse("imports:mapping_delete", args=[mapping.pk])).status_code == 404

    client.force_login(personas.ada)
    page = client.get(reverse("imports:mappings")).content.decode()
    assert "HRIS export" in page and "Agent Email ← Mail addr" in page
    client.post(reverse("imports:mapping_delete", args=[mapping.pk]))
    assert not ColumnMapping.objects.exists()
    assert AuditEvent.objects.filter(action="mapping_deleted", detail="'HRIS export' of team Alpha").exists()


def test_the_template_has_the_exact_header_an_example_row_and_the_teams_lists_to_pick_from(client, personas):
    import io

    import openpyxl

    from imports.models import ConnectionAgent

    personas.acme.event_types = ["Meeting", "Break"]
    personas.acme.save()
    ConnectionAgent.objects.create(connection=personas.acme, email="ann@example.com", name="Ann Lee")
    client.force_login(personas.sam)
    page = client.get(reverse("imports:upload")).content.decode()
    assert f'href="/imports/template.xlsx?team={personas.alpha.pk}"' in page

    as_csv = client.get(reverse("imports:template", args=["csv"]), {"team": personas.alpha.pk})
    lines = as_csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Agent Name,Agent Email,Start Time,End Time,Event Type Name"
    assert lines[1].startswith("Ann Lee,ann@example.com,09:00 ") and lines[1].endswith(",Break")

    as_xlsx = client.get(reverse("imports:template", args=["xlsx"]), {"team": personas.alpha.pk})
    book = openpyxl.load_workbook(io.BytesIO(as_xlsx.content))
    schedule, lists = book["Schedule"], book["Lists"]
    assert [cell.value for cell in schedule[1]] == [
        "Agent Name",
        "Agent Email",
        "Start Time",
        "End Time",
        "Event Type Name",
    ]
    assert [cell.value for cell in lists["C"]][1:] == ["Break", "Meeting"]
    sources = {str(rule.sqref): rule.formula1 for rule in schedule.data_validations.dataValidation}
    assert sources["E2:E1048576"] == "Lists!$C$2:$C$3"
    assert sources["B2:B1048576"] == "Lists!$B$2:$B$2"

    # The template itself is a clean schedule.
    _upload_bytes(client, personas, "template.xlsx", as_xlsx.content)
    job = Import.objects.get()
    assert (job.rows, job.error_count, job.sheet) == (1, 0, "Schedule")


def test_the_valid_rows_alone_can_be_sent_and_the_rows_with_errors_are_held_back_to_download(
    client, personas, django_capture_on_commit_callbacks
):
    from imports.models import AuditEvent

    upload(client, personas, "portal/hris-export.csv")
    job = Import.objects.get()
    client.post(reverse("imports:map_columns", args=[job.pk]), MAPPED)
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "Send the 2 valid rows only, hold back 1" in page

    with django_capture_on_commit_callbacks():
        client.post(reverse("imports:confirm", args=[job.pk]), {"valid_rows_only": "on"})
    job.refresh_from_db()

    assert (job.state, job.rows, job.held_rows, job.sent_rows) == (ImportState.QUEUED, 3, 1, 2)
    (part,) = job.parts.all()
    with part.content.open("rb") as sent:
        assert sent.read().decode().splitlines() == [
            "Agent Name,Agent Email,Start Time,End Time,Event Type Name",
            "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels",
            "Jane Doe,jane.doe@example.com,22:00 2026-06-01,06:00 2026-06-02,Available for all channels",
        ]
    held = client.get(reverse("imports:held", args=[job.pk])).content.decode().splitlines()
    assert held == [
        "Employee,Mail addr,Day,Begins,Ends,Kind,Site,Problem",
        "Bob Wilson,bob.wilson@example,2026-06-01,12:00,12:30,Break,Porto,Row 4: 'bob.wilson@example' is not a valid e-mail address.",
    ]
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "2 rows without errors are sent" in page and "1 row with errors was held back" in page
    assert AuditEvent.objects.filter(
        action="confirmed", detail__contains="2 valid rows sent, 1 rows with errors held back"
    ).exists()

    history = client.get(reverse("imports:history"), {"held": "on"}).content.decode()
    assert "(1 held back)" in history
    upload(client, personas)
    assert Import.objects.count() == 2
    assert client.get(reverse("imports:history"), {"held": "on"}).content.decode().count('data-held="1"') == 1


def test_a_file_whose_every_row_has_an_error_offers_nothing_to_send(client, personas):
    rows = "Agent Name,Agent Email,Start Time,End Time,Event Type Name\r\n" + "".join(
        f"Ann,ann{n}@example,09:00 2026-06-01,10:00 2026-06-01,Break\r\n" for n in range(2)
    )
    _upload_bytes(client, personas, "all-bad.csv", rows.encode())
    job = Import.objects.get()
    assert "valid rows only" not in client.get(reverse("imports:detail", args=[job.pk])).content.decode()

    response = client.post(reverse("imports:confirm", args=[job.pk]), {"valid_rows_only": "on"}, follow=True)

    job.refresh_from_db()
    assert job.state == ImportState.PREVIEW and not job.parts.exists()
    assert "Every row has an error: there is nothing to send." in response.content.decode()


def test_a_cell_fixed_in_the_rows_view_makes_a_revision_checked_again_on_the_spot_and_audited(client, personas):
    from imports.models import AuditEvent

    upload(client, personas, "portal/hris-export.csv")
    job = Import.objects.get()
    client.post(reverse("imports:map_columns", args=[job.pk]), MAPPED)
    rows_page = client.get(reverse("imports:rows", args=[job.pk]), {"problem": "any"}).content.decode()
    assert 'aria-label="Agent Email of row 4"' in rows_page

    fragment = client.post(
        reverse("imports:edit_cell", args=[job.pk]),
        {"row": "4", "column": "Agent Email", "value": "bob.wilson@example.com", "problem": "any"},
        headers={"HX-Request": "true"},
    ).content.decode()
    job.refresh_from_db()

    assert job.error_count == 0 and "<html" not in fragment
    assert "0 errors" in fragment and "revision 2 of the file" in fragment
    assert job.revisions.get().change == {"row": 4, "column": "Agent Email", "value": "bob.wilson@example.com"}
    assert any(f["code"] == "edited_in_portal" and f["row"] == 4 for f in job.fixes)
    event = AuditEvent.objects.get(action="cell_edited")
    assert event.detail == "revision 2: row 4, Agent Email: 'bob.wilson@example' -> 'bob.wilson@example.com'"
    assert event.user == personas.sam
    fixed = b"".join(client.get(reverse("imports:fixed", args=[job.pk])).streaming_content).decode("utf-8-sig")
    assert "bob.wilson@example.com" in fixed
    original = b"".join(client.get(reverse("imports:original", args=[job.pk])).streaming_content)
    assert original == (DATA / "portal" / "hris-export.csv").read_bytes()


def test_a_large_files_mapping_and_fixed_cell_are_checked_again_by_the_worker(client, personas, settings):
    settings.CHECK_IN_WEB_MAX_BYTES = 100
    upload(client, personas, "portal/hris-export.csv")
    job = Import.objects.get()
    checking.import_check(import_id=str(job.pk))

    client.post(reverse("imports:map_columns", args=[job.pk]), MAPPED)
    job.refresh_from_db()
    assert job.state == ImportState.CHECKING and job.column_mapping["Agent Email"] == "Mail addr"
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()
    assert (job.state, job.error_count) == (ImportState.PREVIEW, 1)

    response = client.post(
        reverse("imports:edit_cell", args=[job.pk]),
        {"row": "4", "column": "Agent Email", "value": "bob.wilson@example.com"},
        headers={"HX-Request": "true"},
    )
    job.refresh_from_db()
    assert response.headers["HX-Redirect"] == reverse("imports:detail", args=[job.pk])
    assert job.state == ImportState.CHECKING and job.revisions.count() == 1
    checking.import_check(import_id=str(job.pk))
    job.refresh_from_db()

    assert (job.state, job.error_count) == (ImportState.PREVIEW, 0)
    assert any(f["code"] == "edited_in_portal" and f["row"] == 4 for f in job.fixes)


def test_replace_all_changes_every_equal_cell_of_a_column_in_one_revision(client, personas):
    from imports.models import AuditEvent

    upload(client, personas)
    job = Import.objects.get()
    client.post(
        reverse("imports:replace_all", args=[job.pk]),
        {"column": "Event Type Name", "find": "Available for all channels", "replace": "Meeting"},
    )
    job.refresh_from_db()

    assert job.events_by_type == {"Meeting": 2, "Break": 1}
    assert job.revisions.count() == 1
    assert AuditEvent.objects.get(action="replaced_all").detail.endswith(
        "every 'Available for all channels' in Event Type Name -> 'Meeting' (2 cells)"
    )
    response = client.post(
        reverse("imports:replace_all", args=[job.pk]),
        {"column": "Event Type Name", "find": "Lunch", "replace": "Break"},
        follow=True,
    )
    assert "No cell of Event Type Name is &#x27;Lunch&#x27;." in response.content.decode()


def test_a_change_tells_the_rows_views_timeline_to_draw_itself_again_and_a_refused_one_does_not(client, personas):
    upload(client, personas)
    job = Import.objects.get()
    rows_page = client.get(reverse("imports:rows", args=[job.pk])).content.decode()
    timeline = client.get(reverse("imports:timeline", args=[job.pk]), headers={"HX-Request": "true"})
    assert f'hx-get="{reverse("imports:timeline", args=[job.pk])}" hx-trigger="load"' in rows_page
    assert 'hx-trigger="schedule-revised from:body"' in timeline.content.decode()

    def replace(find):
        return client.post(
            reverse("imports:replace_all", args=[job.pk]),
            {"column": "Event Type Name", "find": find, "replace": "Meeting"},
            headers={"HX-Request": "true"},
        )

    assert json.loads(replace("Available for all channels").headers["HX-Trigger"]) == {"schedule-revised": {}}
    assert "HX-Trigger" not in replace("Lunch").headers


def test_a_large_file_shows_checking_until_the_worker_is_done_and_then_its_preview(client, personas, settings):
    settings.CHECK_IN_WEB_MAX_BYTES = 100
    upload(client, personas)
    job = Import.objects.get()
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "Checking…" in page and 'hx-get="' in page
    assert "Summary" not in page and "Confirm and send" not in page
    fragment = client.get(
        reverse("imports:detail", args=[job.pk]), {"fragment": "check"}, headers={"HX-Request": "true"}
    )
    assert "Checking…" in fragment.content.decode() and "<html" not in fragment.content.decode()
    checking.import_check(import_id=str(job.pk))
    fragment = client.get(
        reverse("imports:detail", args=[job.pk]), {"fragment": "check"}, headers={"HX-Request": "true"}
    )
    assert fragment.headers["HX-Refresh"] == "true"
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'data-summary="rows">3<' in page and "Confirm and send 3 rows" in page


def test_the_rows_of_a_file_still_being_checked_wait_for_the_check(client, personas, settings):
    settings.CHECK_IN_WEB_MAX_BYTES = 100
    upload(client, personas)
    job = Import.objects.get()
    for name in ("imports:rows", "imports:timeline", "imports:fixed", "imports:findings"):
        response = client.get(reverse(name, args=[job.pk]))
        assert response.status_code == 302 and response["Location"] == reverse("imports:detail", args=[job.pk])


def test_a_file_being_checked_can_be_discarded(client, personas, settings):
    settings.CHECK_IN_WEB_MAX_BYTES = 100
    upload(client, personas)
    job = Import.objects.get()
    client.post(reverse("imports:cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportState.CANCELLED


def test_the_preview_counts_every_problem_and_offers_them_all_as_a_download(client, personas, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    row = "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels\r\n"
    body = "Agent Name,Agent Email,Start Time,End Time,Event Type Name\r\n" + row * 1_000
    client.force_login(personas.sam)
    client.post(
        reverse("imports:upload"),
        {"team": personas.alpha.pk, "file": SimpleUploadedFile("d.csv", body.encode()), "time_zone": "UTC"},
    )
    job = Import.objects.get()
    assert job.warning_count == 999 and len(job.warnings) == 100
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "999 warnings</strong>: Duplicate row" in page
    assert "I have read the 999 warnings" in page
    response = client.get(reverse("imports:findings", args=[job.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "Severity,Row,Column,Kind,Message"
    assert len(lines) == 1 + 999
    assert lines[1].startswith("warning,3,,duplicate_row,")


def test_the_fixed_file_of_many_rows_is_streamed_whole_with_one_header(client, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    row = "John Smith,john.smith@example.com,09:00 2026-06-{day:02d},17:00 2026-06-{day:02d},Break\r\n"
    body = "Agent Name,Agent Email,Start Time,End Time,Event Type Name\r\n" + "".join(
        row.format(day=1 + n % 28) for n in range(12_000)
    )
    client.force_login(personas.sam)
    client.post(
        reverse("imports:upload"),
        {"team": personas.alpha.pk, "file": SimpleUploadedFile("w.csv", body.encode()), "time_zone": "UTC"},
    )
    job = Import.objects.get()
    response = client.get(reverse("imports:fixed", args=[job.pk]))
    lines = b"".join(response.streaming_content).decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Agent Name,Agent Email,Start Time,End Time,Event Type Name"
    assert lines.count(lines[0]) == 1
    assert len(lines) == 1 + 12_000 + 1 and lines[-1] == ""


def test_the_rows_page_reads_only_the_page_it_shows(client, personas):
    upload(client, personas, "portal/schedule-duplicate-rows.csv")
    job = Import.objects.get()
    page = client.get(reverse("imports:rows", args=[job.pk]), {"problem": "duplicate_row"}).content.decode()
    assert "Page 1 of 1" in page and "repeats row" in page
    beyond = client.get(reverse("imports:rows", args=[job.pk]), {"page": "99"}).content.decode()
    assert "Page 1 of 1" in beyond


def _needing_attention(client, personas):
    upload(client, personas)
    job = Import.objects.get()
    services.import_confirm(job=job, actor=personas.sam, warnings_acknowledged=True)
    part = job.parts.get()
    lifecycle.part_claim(part=part, held_by="a worker")
    lifecycle.part_upload_started(part=part)
    lifecycle.part_needs_attention(part=part, message="The connection broke after week.csv was sent.")
    return job


def test_admins_see_imports_needing_attention_as_something_to_act_on(client, personas):
    job = _needing_attention(client, personas)
    client.force_login(personas.ada)
    history = client.get(reverse("imports:history")).content.decode()
    assert 'data-needing-attention="1"' in history and "1 import needs an admin's decision" in history
    assert 'href="?state=needs_attention"' in history
    assert f'<a href="{reverse("imports:detail", args=[job.pk])}#status" data-act>Check and decide</a>' in history
    filtered = client.get(reverse("imports:history"), {"state": "needs_attention"}).content.decode()
    assert job.file_name in filtered and "data-needing-attention" not in filtered
    detail = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "Your decision is needed" in detail and "Talkdesk has it" in detail and "Send again" in detail


def test_a_supervisor_is_told_an_admin_decides_and_not_to_upload_again(client, personas):
    job = _needing_attention(client, personas)
    client.force_login(personas.sam)
    history = client.get(reverse("imports:history")).content.decode()
    assert "data-needing-attention" not in history and "an admin decides" in history
    detail = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "Do not upload it again" in detail and "<button>Send again</button>" not in detail


def test_the_rows_view_names_the_files_time_zone_beside_the_files_times(client, personas):
    upload(client, personas)
    job = Import.objects.get()

    page = client.get(reverse("imports:rows", args=[job.pk])).content.decode()

    assert "in the file's time zone: <strong>America/New_York</strong>" in page
    assert 'Start Time <span class="zone">(America/New_York)</span>' in page
