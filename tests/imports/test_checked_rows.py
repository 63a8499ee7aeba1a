"""The rows a check read are kept at upload, and the pages that show rows
read them back instead of checking the file again on every view."""

import io
from itertools import islice
from unittest import mock

import pytest
from django.urls import reverse

from imports.models import Import
from imports.schedule import checked_rows
from imports.schedule.check import check_schedule, download_csv
from tests.conftest import DATA

AWKWARD = (
    b"Agent Name,Agent Email,Start Time,End Time,Event Type Name\r\n"
    b"John Smith,john.smith@example.com,01:30 2026-11-01,02:30 2026-11-01,Break\r\n"
    b"\r\n"
    b'"Doe, Jane",jane.doe@example.com,02:30 2026-03-08,09:00 2026-03-08,"Lunch ""late"""\r\n'
    b"Bob Wilson,bob.wilson@example.com,not a time,17:00 2026-06-01,=cmd\r\n"
)


@pytest.mark.parametrize("data", [AWKWARD, (DATA / "portal" / "schedule-example.csv").read_bytes()])
def test_kept_rows_read_back_as_the_check_read_them(data):
    check = check_schedule(data, time_zone="America/New_York")
    kept = checked_rows.read_rows(checked_rows.write_rows(check.rows), time_zone="America/New_York")
    assert kept == check.rows
    assert [(row.start.utcoffset(), row.start.fold) for row in kept if row.start] == [
        (row.start.utcoffset(), row.start.fold) for row in check.rows if row.start
    ]


@pytest.mark.parametrize("data", [AWKWARD, (DATA / "portal" / "schedule-example.csv").read_bytes()])
def test_kept_rows_read_back_as_the_events_the_check_compares(data):
    check = check_schedule(data, time_zone="America/New_York")
    assert checked_rows.read_events(checked_rows.write_rows(check.rows)) == check.read_events()
    assert checked_rows.read_events(b"") == ([], [], [], [], [])


def test_the_pages_that_show_rows_do_not_check_the_file_again(client, personas):
    client.force_login(personas.sam)
    with open(DATA / "portal" / "schedule-formula.csv", "rb") as file:
        client.post(
            reverse("imports:upload"),
            {"team": personas.alpha.pk, "file": file, "time_zone": "America/New_York", "date_format": ""},
        )
    job = Import.objects.get()
    with job.original.open("rb") as stored:
        expected = download_csv(check_schedule(stored.read(), time_zone=job.time_zone))
    with mock.patch("imports.selectors.check_schedule", side_effect=AssertionError("checked again")):
        assert client.get(reverse("imports:rows", args=[job.pk])).status_code == 200
        assert client.get(reverse("imports:timeline", args=[job.pk])).status_code == 200
        assert b"".join(client.get(reverse("imports:fixed", args=[job.pk])).streaming_content) == expected


def test_kept_rows_are_read_one_at_a_time_from_the_open_file():
    row = "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Break\r\n"
    data = ("Agent Name,Agent Email,Start Time,End Time,Event Type Name\r\n" + row * 20_000).encode()
    check = check_schedule(data, time_zone="UTC")
    stored = io.BytesIO(checked_rows.write_rows(check.rows))
    first = list(islice(checked_rows.iter_rows(stored, time_zone="UTC"), 2))
    assert [kept.row for kept in first] == [2, 3]
    assert stored.tell() < len(stored.getvalue()) / 10
