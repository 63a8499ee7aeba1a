"""Hostile uploads: too large, oddly named, not what they claim to be."""

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.models import Import
from imports.uploads import FORM_ALLOWANCE_BYTES, SizeCappedUploadHandler, safe_file_name
from tests.conftest import data_file

CAP = 200 * 1024


@pytest.fixture
def capped(settings):
    settings.UPLOAD_MAX_BYTES = CAP
    return settings


def post_file(client, personas, content: bytes, name="week.csv", content_type="text/csv"):
    client.force_login(personas.sam)
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(
        reverse("imports:upload"), {"team": personas.alpha.pk, "file": upload, "time_zone": "UTC", "date_format": ""}
    )


def capping_handler(response) -> SizeCappedUploadHandler:
    return next(h for h in response.wsgi_request.upload_handlers if isinstance(h, SizeCappedUploadHandler))


def test_a_request_whose_length_is_over_the_cap_is_refused_before_any_of_the_file_is_kept(client, personas, capped):
    response = post_file(client, personas, b"x" * (3 * CAP))
    assert response.status_code == 413
    assert "the portal takes files up to 200 KB" in response.content.decode()
    assert capping_handler(response).received == 0
    assert not response.wsgi_request.FILES
    assert not Import.objects.exists()


def test_a_file_that_crosses_the_cap_while_it_streams_in_is_stopped_at_that_chunk(client, personas, capped):
    response = post_file(client, personas, b"x" * (CAP + FORM_ALLOWANCE_BYTES // 2))
    assert response.status_code == 413
    assert "The file is over 200 KB" in response.content.decode()
    handler = capping_handler(response)
    assert CAP < handler.received <= CAP + handler.chunk_size
    assert not response.wsgi_request.FILES
    assert not Import.objects.exists()


def test_the_refusal_keeps_the_team_and_its_defaults_so_the_planner_can_pick_a_smaller_file(client, personas, capped):
    page = post_file(client, personas, b"x" * (3 * CAP)).content.decode()
    assert 'role="alert" data-refusal' in page
    assert 'value="America/New_York"' in page
    assert "Check the file" in page


def test_a_file_at_the_cap_is_taken(client, personas, capped):
    example = data_file("portal/schedule-example.csv")
    padded = example + b"\n" * (CAP - len(example))
    assert len(padded) == CAP
    assert post_file(client, personas, padded).status_code == 302
    assert Import.objects.get().size == CAP


def test_djangos_own_upload_settings_are_not_what_caps_the_size():
    assert django_settings.FILE_UPLOAD_HANDLERS[0] == "imports.uploads.SizeCappedUploadHandler"
    assert django_settings.UPLOAD_MAX_BYTES > django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE


@pytest.mark.parametrize(
    "sent, kept",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\sam\\Desktop\\week 23.csv", "week 23.csv"),
        ("week\u202evsc.exe", "weekvsc.exe"),
        ("week\x00\r\n.csv", "week.csv"),
        ("   ...hidden.csv", "hidden.csv"),
        ("..", "schedule.csv"),
        ("a" * 300 + ".csv", "a" * 251 + ".csv"),
    ],
)
def test_a_file_name_loses_folders_control_and_direction_characters_and_excess_length(sent, kept):
    assert safe_file_name(sent) == kept


def test_the_stored_name_is_random_and_the_given_one_only_a_label(client, personas):
    post_file(client, personas, data_file("portal/schedule-example.csv"), name="../../static/portal.js")
    job = Import.objects.get()
    assert job.file_name == "portal.js"
    assert job.original.name == f"imports/{job.pk}/original"
    assert str(job.pk) not in str(job.uploaded_by_id)


def test_uploads_are_kept_outside_every_folder_served_as_static_files_and_have_no_url(client, personas):
    post_file(client, personas, data_file("portal/schedule-example.csv"))
    job = Import.objects.get()
    stored = django_settings.MEDIA_ROOT.resolve()
    for served in [django_settings.STATIC_ROOT, *django_settings.STATICFILES_DIRS]:
        assert not stored.is_relative_to(served.resolve())
    for url in (f"/media/{job.original.name}", f"/static/../media/{job.original.name}", f"/static/{job.original.name}"):
        assert client.get(url).status_code == 404


def test_the_content_decides_not_the_name_or_the_type_the_browser_claims(client, personas):
    response = post_file(
        client, personas, data_file("portal/not-a-schedule.png"), name="week.csv", content_type="text/csv"
    )
    job = Import.objects.get()
    assert job.error_count == 1 and not job.can_confirm
    assert "The whole file" in client.get(response["Location"]).content.decode()


def test_a_page_of_html_uploaded_as_a_schedule_is_never_served_as_a_page(client, personas):
    hostile = b"<html><script>alert(document.cookie)</script></html>"
    post_file(client, personas, hostile, name="week.html", content_type="text/html")
    job = Import.objects.get()
    response = client.get(reverse("imports:original", args=[job.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == hostile
