"""Who may see what: every URL of the portal, as each person.

The table below must name every route; a new page without its row fails
`test_every_route_is_in_the_table`.
"""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from imports import services
from imports.api.keys import api_key_create
from imports.models import ColumnMapping, Import
from imports.webhooks.services import webhook_endpoint_create, webhook_test_send
from tests.conftest import data_file

ANON, SAM, BEA, ADA = "anonymous", "sam", "bea", "ada"
LOGIN = "login"

# route name → (method, which object, {person: expected status})
# Alpha is Sam's team; Bea supervises Bravo; Ada is an admin.
ROUTES = {
    "imports:home": ("get", None, {ANON: LOGIN, SAM: 302, BEA: 302, ADA: 302}),
    "imports:history": ("get", None, {ANON: LOGIN, SAM: 200, BEA: 200, ADA: 200}),
    "imports:upload": ("get", None, {ANON: LOGIN, SAM: 200, BEA: 200, ADA: 200}),
    "imports:detail": ("get", "import", {ANON: LOGIN, SAM: 200, BEA: 404, ADA: 200}),
    "imports:rows": ("get", "import", {ANON: LOGIN, SAM: 200, BEA: 404, ADA: 200}),
    "imports:timeline": ("get", "import", {ANON: LOGIN, SAM: 200, BEA: 404, ADA: 200}),
    "imports:recheck": ("post", "import", {ANON: LOGIN, SAM: 302, BEA: 404, ADA: 302}),
    "imports:confirm": ("post", "import", {ANON: LOGIN, SAM: 302, BEA: 404, ADA: 302}),
    "imports:cancel": ("post", "import", {ANON: LOGIN, SAM: 302, BEA: 404, ADA: 302}),
    "imports:original": ("get", "import", {ANON: LOGIN, SAM: 200, BEA: 404, ADA: 200}),
    "imports:fixed": ("get", "import", {ANON: LOGIN, SAM: 200, BEA: 404, ADA: 200}),
    "imports:findings": ("get", "import", {ANON: LOGIN, SAM: 200, BEA: 404, ADA: 200}),
    "imports:error_report": ("get", "part", {ANON: LOGIN, SAM: 200, BEA: 404, ADA: 200}),
    "imports:part_resend": ("post", "part", {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 302}),
    "imports:part_mark_imported": ("post", "part", {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 302}),
    "imports:connections": ("get", None, {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 200}),
    "imports:connection_new": ("get", None, {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 200}),
    "imports:connection_edit": ("get", "connection", {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 200}),
    "imports:connection_test": ("post", "connection", {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 302}),
    "imports:connection_sync_agents": ("post", "connection", {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 302}),
    "imports:audit_log": ("get", None, {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 200}),
    "imports:settings": ("get", None, {ANON: LOGIN, SAM: 200, BEA: 200, ADA: 200}),
    "imports:template": ("get", "template", {ANON: LOGIN, SAM: 200, BEA: 200, ADA: 200}),
    "imports:map_columns": ("post", "import", {ANON: LOGIN, SAM: 302, BEA: 404, ADA: 302}),
    "imports:edit_cell": ("post", "import", {ANON: LOGIN, SAM: 302, BEA: 404, ADA: 302}),
    "imports:replace_all": ("post", "import", {ANON: LOGIN, SAM: 302, BEA: 404, ADA: 302}),
    "imports:held": ("get", "import", {ANON: LOGIN, SAM: 200, BEA: 404, ADA: 200}),
    "imports:mappings": ("get", None, {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 200}),
    "imports:mapping_delete": ("post", "mapping", {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 302}),
    "imports:api_keys": ("get", None, {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 200}),
    "imports:api_key_revoke": ("post", "api_key", {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 302}),
    "imports:webhooks": ("get", None, {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 200}),
    "imports:webhook_detail": ("get", "webhook", {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 200}),
    "imports:webhook_test": ("post", "webhook", {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 302}),
    "imports:webhook_toggle": ("post", "webhook", {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 302}),
    "imports:webhook_resend": ("post", "message", {ANON: LOGIN, SAM: 404, BEA: 404, ADA: 302}),
    # The API takes its keys only, never a session: whoever is signed in to
    # the pages gets 401 from it (so no page can be made to call it for them).
    "api-v1:import_list": ("get", None, {ANON: 401, SAM: 401, BEA: 401, ADA: 401}),
    "api-v1:import_create": ("post", None, {ANON: 401, SAM: 401, BEA: 401, ADA: 401}),
    "api-v1:import_detail": ("get", "api_import", {ANON: 401, SAM: 401, BEA: 401, ADA: 401}),
    "api-v1:import_findings": ("get", "api_import", {ANON: 401, SAM: 401, BEA: 401, ADA: 401}),
    "api-v1:import_failed_rows": ("get", "api_import", {ANON: 401, SAM: 401, BEA: 401, ADA: 401}),
    "api-v1:error_report": ("get", "api_import", {ANON: 401, SAM: 401, BEA: 401, ADA: 401}),
    "api-v1:import_confirm": ("post", "api_import", {ANON: 401, SAM: 401, BEA: 401, ADA: 401}),
    "api-v1:import_cancel": ("post", "api_import", {ANON: 401, SAM: 401, BEA: 401, ADA: 401}),
    "api-v1:check": ("post", None, {ANON: 401, SAM: 401, BEA: 401, ADA: 401}),
    "api-v1:api-root": ("get", None, {ANON: 404, SAM: 404, BEA: 404, ADA: 404}),
    "api-v1:openapi-json": ("get", None, {ANON: 200, SAM: 200, BEA: 200, ADA: 200}),
    "api-v1:openapi-view": ("get", None, {ANON: 200, SAM: 200, BEA: 200, ADA: 200}),
    "login": ("get", None, {ANON: 200, SAM: 302, BEA: 302, ADA: 302}),
    "logout": ("post", None, {ANON: 302, SAM: 302, BEA: 302, ADA: 302}),
    "healthz": ("get", None, {ANON: 200, SAM: 200, BEA: 200, ADA: 200}),
    # Not ready in this test (no beat has run): what matters is that it answers anyone.
    "readyz": ("get", None, {ANON: 503, SAM: 503, BEA: 503, ADA: 503}),
    # For the monitoring system only, whoever is signed in.
    "metrics": ("get", None, {ANON: 403, SAM: 403, BEA: 403, ADA: 403}),
    # Single sign-on is not set up in these tests.
    "oidc_authentication_init": ("get", None, {ANON: 404, SAM: 404, BEA: 404, ADA: 404}),
    "oidc_authentication_callback": ("get", None, {ANON: 302, SAM: 302, BEA: 302, ADA: 302}),
    # The import is not awaiting approval, and Sam uploaded it: refused with a message.
    "imports:approve": ("post", "import", {ANON: LOGIN, SAM: 302, BEA: 404, ADA: 302}),
    "imports:reject": ("post", "import", {ANON: LOGIN, SAM: 302, BEA: 404, ADA: 302}),
    "notifications:preferences": ("get", None, {ANON: LOGIN, SAM: 200, BEA: 200, ADA: 200}),
}


def _route_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _route_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_route_is_in_the_table():
    assert set(_route_names()) == set(ROUTES)


@pytest.fixture
def alpha_import(personas):
    """Alpha's import, with Talkdesk's error report kept for its part, so
    that every file the portal serves is behind a check."""
    job = services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="alpha.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="America/New_York",
        date_format=None,
    )
    part = job.parts.get(number=1)
    part.error_report.save(
        "errors.csv", ContentFile(b"Agent Email,Row,Error\r\njohn.smith@example.com,2,Unknown agent\r\n")
    )
    default_storage.save(services.held_name(job.id), ContentFile(b"Agent Name,Problem\r\nAnn,Row 3: held\r\n"))
    Import.objects.filter(pk=job.pk).update(held_rows=1)
    ColumnMapping.objects.create(team=personas.alpha, name="HRIS", header_signature="x", columns={})
    return job


def _kwargs(which, job, personas):
    if which == "import":
        return {"pk": job.pk}
    if which == "part":
        return {"pk": job.pk, "number": 1}
    if which == "connection":
        return {"pk": personas.acme.pk}
    if which == "template":
        return {"kind": "xlsx"}
    if which == "mapping":
        return {"pk": ColumnMapping.objects.get().pk}
    if which == "api_import":
        return {"import_id": job.pk}
    if which == "api_key":
        return {"pk": api_key_create(team=personas.alpha, name="walk", scopes=["imports:read"])[0].pk}
    if which in ("webhook", "message"):
        endpoint, _ = webhook_endpoint_create(
            team=personas.alpha, url="https://93.184.215.14/hook", events=["import.*"]
        )
        if which == "webhook":
            return {"pk": endpoint.pk}
        return {"pk": endpoint.pk, "message_id": webhook_test_send(endpoint=endpoint).pk}
    return {}


@pytest.mark.parametrize("person", [ANON, SAM, BEA, ADA])
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_person_gets_the_right_answer(client, personas, alpha_import, name, person):
    method, which, answers = ROUTES[name]
    expected = answers[person]
    if person != ANON:
        client.force_login(getattr(personas, person))
    url = reverse(name, kwargs=_kwargs(which, alpha_import, personas))
    data = {"time_zone": "UTC"} if name == "imports:recheck" else {}
    response = getattr(client, method)(url, data)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected, f"{person} {method.upper()} {url}"


def test_a_supervisor_sees_only_their_teams_imports_in_the_history(client, personas, alpha_import):
    client.force_login(personas.bea)
    assert "alpha.csv" not in client.get(reverse("imports:history")).content.decode()
    client.force_login(personas.sam)
    assert "alpha.csv" in client.get(reverse("imports:history")).content.decode()


def test_a_supervisor_can_upload_only_for_their_own_team(client, personas):
    client.force_login(personas.bea)
    with open("tests/data/portal/schedule-example.csv", "rb") as upload:
        response = client.post(
            reverse("imports:upload"),
            {"team": personas.alpha.pk, "file": upload, "time_zone": "UTC", "date_format": ""},
        )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not personas.alpha.imports.exists()


@pytest.mark.parametrize("person, expected, with_sams_tag", [(SAM, 200, 304), (BEA, 404, 404), (ADA, 200, 200)])
def test_the_live_status_of_an_import_answers_only_those_who_may_see_it(
    client, personas, alpha_import, person, expected, with_sams_tag
):
    services.import_confirm(job=alpha_import, actor=personas.sam, warnings_acknowledged=False)
    url = reverse("imports:detail", kwargs={"pk": alpha_import.pk}) + "?fragment=status"
    client.force_login(personas.sam)
    sams_tag = client.get(url, headers={"HX-Request": "true"})["ETag"]
    client.force_login(getattr(personas, person))
    assert client.get(url, headers={"HX-Request": "true"}).status_code == expected
    assert client.get(url, headers={"HX-Request": "true", "If-None-Match": sams_tag}).status_code == with_sams_tag
