"""Every page and every file the portal serves, walked as the people of
tests/imports/test_access.py: forms carry a CSRF token and are refused
without one, no script runs inline, and every CSV has its formulas defused."""

import csv
import io
from html.parser import HTMLParser

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from imports import services
from imports.models import ColumnMapping, Import, ImportPart
from imports.schedule.check import FORMULA_STARTS
from imports.states import ImportState, PartState
from tests.conftest import data_file
from tests.imports.test_access import ROUTES, _kwargs

GET_PAGES = sorted(name for name, (method, _, answers) in ROUTES.items() if method == "get")
# The API authenticates by a bearer key, never by a cookie, so a forged
# cross-site request carries nothing to act with: CSRF is the pages' concern.
POSTS = sorted(
    name for name, (method, _, answers) in ROUTES.items() if method == "post" and not name.startswith("api-v1:")
)
HOSTILE_REPORT = (
    b"Agent Name,Agent Email,Start Time,End Time,Event Type Name,Row,Error\r\n"
    b'=cmd|\' /C calc\'!A0,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,"@SUM(1+1)",2,"+unknown agent"\r\n'
)


@pytest.fixture
def hostile_import(personas) -> Import:
    """Alpha's import of a file with formula cells, whose part needs an
    admin's attention and has an error report with formula cells of its own."""
    job = services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="formula.csv",
        data=data_file("portal/schedule-formula.csv"),
        time_zone="UTC",
        date_format=None,
    )
    part = job.parts.get(number=1)
    part.error_report.save("errors.csv", ContentFile(HOSTILE_REPORT), save=True)
    ImportPart.objects.filter(pk=part.pk).update(state=PartState.NEEDS_ATTENTION)
    Import.objects.filter(pk=job.pk).update(state=ImportState.NEEDS_ATTENTION)
    return job


def _url(name, job, personas):
    which = ROUTES[name][1]
    if which == "template":
        # The CSV template, so that the CSV test below reads it too.
        return reverse(name, kwargs={"kind": "csv"})
    if which == "mapping" and not ColumnMapping.objects.exists():
        # Refused for its missing token before the mapping is looked up.
        return reverse(name, kwargs={"pk": 1})
    return reverse(name, kwargs=_kwargs(which, job, personas) if which else {})


def _every_answer(client, personas, job):
    """(route, response) for every GET route that answers Ada, and the login page as anyone."""
    preview = services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="preview.csv",
        data=data_file("portal/schedule-duplicate-rows.csv"),
        time_zone="UTC",
        date_format=None,
    )
    # One waiting for approval, which Ada may approve: the page with the
    # approve and reject forms.
    personas.alpha.imports_need_approval = True
    personas.alpha.save()
    awaiting = services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="awaiting.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="UTC",
        date_format=None,
    )
    services.import_confirm(job=awaiting, actor=personas.sam, warnings_acknowledged=True)
    yield "login", Client().get(reverse("login"))
    client.force_login(personas.ada)
    for name in GET_PAGES:
        yield name, client.get(_url(name, job, personas))
        if ROUTES[name][1] == "import":
            yield f"{name} (preview)", client.get(_url(name, preview, personas))
            yield f"{name} (awaiting approval)", client.get(_url(name, awaiting, personas))


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.post_forms: list[set[str]] = []
        self.inline_scripts = 0
        self.handler_attributes: list[str] = []
        self._in_post_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handler_attributes += [name for name in attrs if name.startswith("on")]
        self.handler_attributes += [
            name for name, value in attrs.items() if (value or "").strip().lower().startswith("javascript:")
        ]
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.post_forms.append(set())
            self._in_post_form = True
        elif tag == "input" and self._in_post_form:
            self.post_forms[-1].add(attrs.get("name") or "")
        elif tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            # A JSON data block (the API docs page's settings) is read by a
            # script from static/, never run: the browser executes no such type.
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_post_form = False


def _html_pages(client, personas, job):
    for name, response in _every_answer(client, personas, job):
        if response["Content-Type"].startswith("text/html") and response.status_code == 200:
            page = _Page()
            page.feed(response.content.decode())
            yield name, response, page


def test_every_form_that_posts_carries_a_csrf_token(client, personas, hostile_import):
    checked = 0
    for name, _, page in _html_pages(client, personas, hostile_import):
        for fields in page.post_forms:
            assert "csrfmiddlewaretoken" in fields, f"a form on {name} posts without a CSRF token"
            checked += 1
    assert checked >= 8


@pytest.mark.parametrize("name", POSTS)
def test_every_post_is_refused_without_a_csrf_token(personas, hostile_import, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.ada)
    response = client.post(_url(name, hostile_import, personas), {"time_zone": "UTC"})
    assert response.status_code == 403


def test_the_content_security_policy_allows_no_inline_script_and_no_page_has_one(client, personas, hostile_import):
    for name, response, page in _html_pages(client, personas, hostile_import):
        policy = dict(
            (directive.split()[0], directive.split()[1:])
            for directive in response["Content-Security-Policy"].split(";")
            if directive.strip()
        )
        assert policy["script-src"] == ["'self'"], name
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"], name
        assert page.inline_scripts == 0, f"{name} has an inline script"
        assert page.handler_attributes == [], f"{name} has script in attributes: {page.handler_attributes}"


def test_pages_cannot_be_framed_or_sniffed(client, personas, hostile_import):
    for name, response, _ in _html_pages(client, personas, hostile_import):
        assert response["X-Frame-Options"] == "DENY", name
        assert response["X-Content-Type-Options"] == "nosniff", name


def test_every_csv_the_portal_serves_has_its_formula_cells_neutralised(client, personas, hostile_import):
    served = {}
    for name, response in _every_answer(client, personas, hostile_import):
        if response.status_code == 200 and response["Content-Type"].startswith("text/csv"):
            body = b"".join(response.streaming_content) if response.streaming else response.content
            served[name] = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert {"imports:fixed", "imports:findings", "imports:error_report"} <= set(served)
    for name, rows in served.items():
        for row in rows:
            for cell in row:
                assert not cell.startswith(FORMULA_STARTS), f"{name} serves {cell!r}"
    assert served["imports:error_report"][1][0] == "'=cmd|' /C calc'!A0"


def test_the_original_file_is_served_byte_for_byte_under_its_own_name_never_as_a_page(client, personas, hostile_import):
    client.force_login(personas.sam)
    response = client.get(reverse("imports:original", args=[hostile_import.pk]))
    assert b"".join(response.streaming_content) == data_file("portal/schedule-formula.csv")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="{hostile_import.file_name}"'
