"""The files a person downloads: the upload as it came, the fixed file that
is sent, every finding, the rows held back, a WFM's error report, and the
template to start from."""

import itertools

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from imports import selectors, services
from imports.csv_download import csv_attachment
from imports.page_lookups import get_import_for_user, unless_checking


@login_required
@require_GET
def template_file(request, kind):
    from imports.schedule.template import template_csv, template_xlsx

    teams = selectors.teams_for(request.user)
    team_pk = request.GET.get("team", "")
    team = (teams.filter(pk=team_pk).first() if team_pk.isdigit() else None) or teams.first()
    if team is None:
        raise Http404
    facts = selectors.template_facts(team=team)
    name = f"schedule-template-{_stem(team.name)}"
    if kind == "csv":
        return csv_attachment(template_csv(facts), f"{name}.csv")
    response = HttpResponse(
        template_xlsx(facts), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def original_file(request, pk):
    job = get_import_for_user(request, pk)
    # The bytes as uploaded, under the name they were uploaded with (already
    # cleaned of folders and control characters): the planner's own file,
    # given back as it came, a workbook as a workbook. Opaque bytes, an
    # attachment, never sniffed; the page says the fixed file is the one
    # whose formula cells are defused (docs/security.md).
    response = FileResponse(
        job.original.open("rb"),
        as_attachment=True,
        filename=job.file_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def fixed_file(request, pk):
    job = get_import_for_user(request, pk)
    if waiting := unless_checking(request, job):
        return waiting
    chunks = selectors.fixed_file(job)
    # The first chunk read here, not once streaming has begun: a stored file
    # gone or a disk failing is then a page saying so, not a cut-off download.
    first = next(chunks, b"")
    response = StreamingHttpResponse(itertools.chain([first], chunks), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_stem(job.file_name)}-fixed.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def findings_file(request, pk):
    """Every problem and fix the check found, however many: the pages show
    the first of each kind."""
    job = get_import_for_user(request, pk)
    if waiting := unless_checking(request, job):
        return waiting
    stored = selectors.findings_file(job)
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=f"{_stem(job.file_name)}-problems.csv",
        content_type="text/csv; charset=utf-8",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def held_file(request, pk):
    job = get_import_for_user(request, pk)
    name = services.held_name(job.id)
    if not job.held_rows or not default_storage.exists(name):
        raise Http404
    with default_storage.open(name, "rb") as stored:
        data = stored.read()
    return csv_attachment(data, f"{_stem(job.file_name)}-held-rows.csv", neutralise=True)


@login_required
@require_GET
def error_report(request, pk, number):
    job = get_import_for_user(request, pk)
    part = get_object_or_404(job.parts.exclude(error_report=""), number=number)
    with part.error_report.open("rb") as stored:
        data = stored.read()
    return csv_attachment(data, f"{_stem(job.file_name)}-part{part.number}-errors.csv", neutralise=True)


def _stem(file_name: str) -> str:
    stem = file_name.rsplit(".", 1)[0]
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)[:100] or "schedule"
