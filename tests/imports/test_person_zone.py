"""Times in the portal are shown in each person's zone, and say which."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

from imports import services
from imports.models import Import
from tests.conftest import data_file


def uploaded(personas, at: datetime) -> Import:
    job = services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="week.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="Europe/Lisbon",
        date_format=None,
    )
    Import.objects.filter(pk=job.pk).update(created_at=at)
    return job


def test_a_supervisor_reads_times_in_their_teams_zone_with_the_zone_named(client, personas):
    uploaded(personas, datetime(2026, 6, 1, 14, 11, tzinfo=ZoneInfo("UTC")))
    client.force_login(personas.sam)
    page = client.get(reverse("imports:history")).content.decode()
    assert "2026-06-01 10:11" in page and "14:11" not in page
    assert 'Uploaded <span class="zone">America/New_York</span>' in page


def test_a_person_chooses_their_own_zone_and_every_page_follows(client, personas):
    job = uploaded(personas, datetime(2026, 6, 1, 14, 11, tzinfo=ZoneInfo("UTC")))
    client.force_login(personas.sam)
    response = client.post(reverse("imports:settings"), {"time_zone": "Asia/Tokyo"}, follow=True)
    assert "Times are now shown in Asia/Tokyo." in response.content.decode()
    assert "2026-06-01 23:11" in client.get(reverse("imports:history")).content.decode()
    detail = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'on 2026-06-01 23:11 <span class="zone">Asia/Tokyo</span>' in detail
    # The file's own times stay in the file's zone, labelled so.
    assert 'From <span class="zone">file\'s zone</span>' in detail.replace("&#x27;", "'")
    assert "2026-06-01 08:00" in detail
    client.post(reverse("imports:settings"), {"time_zone": ""})
    assert "2026-06-01 10:11" in client.get(reverse("imports:history")).content.decode()


def test_a_zone_that_does_not_exist_is_refused_by_name(client, personas):
    client.force_login(personas.sam)
    page = client.post(reverse("imports:settings"), {"time_zone": "Mars/Olympus"}).content.decode()
    assert "&#x27;Mars/Olympus&#x27; is not an IANA time zone" in page


def test_the_audit_log_is_in_the_admins_zone(client, personas):
    client.force_login(personas.ada)
    client.post(reverse("imports:settings"), {"time_zone": "Europe/Lisbon"})
    page = client.get(reverse("imports:audit_log")).content.decode()
    assert 'When <span class="zone">Europe/Lisbon</span>' in page
