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
    upload(client, personas, "schedules/header-only.csv")
    upload(client, personas)
    refused = Import.objects.filter(state=ImportState.REFUSED)
    assert refused.count() == 2
    page = client.get(reverse("imports:detail", args=[refused.first().pk])).content.decode()
    assert 'data-state="refused"' in page and "Awaiting confirmation" not in page
    assert "Confirm and send" not in page and "Each agent" not in page
    history = client.get(reverse("imports:history")).content.decode()
    assert history.count("imports/new/") and "not-a-schedule.png" not in history and "header-only.csv" not in history
    assert "schedule-example.csv" in history
    asked = client.get(reverse("imports:history"), {"state": "refused"}).content.decode()
    assert "not-a-schedule.png" in asked and "header-only.csv" in asked


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
