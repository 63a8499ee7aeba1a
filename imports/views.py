from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.crypto import salted_hmac
from django.utils.http import parse_etags, quote_etag
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh, trigger_client_event

from imports import access, person_zone, revision_services, selectors, services
from imports.forms import (
    AuditFilterForm,
    ColumnMappingForm,
    ConfirmForm,
    HistoryFilterForm,
    PersonSettingsForm,
    RecheckForm,
    RejectForm,
    UploadForm,
    time_zone_names,
)
from imports.models import ColumnMapping, Import
from imports.page_lookups import get_import_for_user, require_admin, unless_checking
from imports.page_refusals import refusal_shown_on
from imports.schedule.accepted import event_text
from imports.schedule.check import HEADER
from imports.states import ImportState
from imports.uploads import upload_refusal
from portal.client_address import client_address

ROWS_PER_PAGE = 50
IMPORTS_PER_PAGE = 25
AUDIT_EVENTS_PER_PAGE = 50


@login_required
def home(request):
    return redirect("imports:history")


@login_required
@require_GET
def history(request):
    teams = selectors.teams_for(request.user).values_list("pk", "name")
    form = HistoryFilterForm(request.GET or None, teams=teams, uploaders=selectors.uploaders_for(request.user))
    filters = selectors.HistoryFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.HistoryFilters(
            team=data["team"],
            state=data["state"] or None,
            uploader=data["uploader"],
            since=data["since"],
            until=data["until"],
            held=data["held"],
        )
    page = Paginator(selectors.history(request.user, filters), IMPORTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    is_admin = selectors.is_admin(request.user)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "any_moving": any(job.is_moving or job.is_checking for job in page),
        "filtered": filters != selectors.HistoryFilters(),
        "is_admin": is_admin,
        "needing_attention": 0 if request.htmx else selectors.needing_attention(user=request.user),
        "showing_attention": filters.state == "needs_attention",
    }
    template = "imports/history.html#rows" if request.htmx else "imports/history.html"
    return render(request, template, context)


@login_required
def upload(request):
    teams = selectors.teams_for(request.user)
    if not teams.exists():
        return render(request, "imports/no_team.html", status=200)
    if request.method == "POST":
        refusal = upload_refusal(request)
        if refusal:
            # The fields after the file were never read: start again from the team's defaults.
            form = _blank_upload_form(teams, request.POST.get("team", ""))
            context = {"form": form, "refusal": refusal, "time_zones": time_zone_names()}
            return render(request, "imports/upload.html", context, status=413)
        form = UploadForm(request.POST, request.FILES, teams=teams)
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = services.import_create(
                    team=data["team"],
                    uploaded_by=request.user,
                    file_name=data["file"].name,
                    # The file itself, read in chunks: a large one is never whole in this process.
                    data=data["file"],
                    time_zone=data["time_zone"],
                    date_format=data["date_format"] or None,
                    published=data["published"],
                    client_address=client_address(request),
                )
            except services.ActionRefused as refusal:
                # The portal's own disk refused the file: nothing was kept.
                context = {"form": form, "refusal": str(refusal), "time_zones": time_zone_names()}
                return render(request, "imports/upload.html", context, status=503)
            return redirect("imports:detail", pk=job.pk)
    else:
        form = _blank_upload_form(teams, request.GET.get("team", ""))
    template = "imports/upload.html#defaults" if request.htmx else "imports/upload.html"
    return render(request, template, {"form": form, "time_zones": time_zone_names()})


def _blank_upload_form(teams, team_pk: str) -> UploadForm:
    team = (teams.filter(pk=team_pk).first() if team_pk.isdigit() else None) or teams.first()
    return UploadForm(
        teams=teams,
        initial={
            "team": team,
            "time_zone": team.connection.default_time_zone,
            "date_format": "",
            "published": team.publish_by_default,
        },
    )


def _status_context(job: Import, *, ahead: int, is_admin: bool) -> dict:
    parts = list(selectors.import_parts(job))
    return {
        "job": job,
        "parts": parts,
        "steps": selectors.import_steps(job=job, parts=len(parts)),
        "ahead": ahead,
        "is_admin": is_admin,
    }


# The timeline reads every row to draw a page of agents: drawn with the
# page up to this many rows, and on request beyond.
TIMELINE_ON_LOAD_ROWS = 100_000


def _detail_context(request, job: Import) -> dict:
    context = _status_context(job, ahead=selectors.imports_ahead(job), is_admin=selectors.is_admin(request.user))
    context["timeline_on_load"] = job.rows <= TIMELINE_ON_LOAD_ROWS
    context["revisions"] = job.revisions.select_related("made_by")
    if job.state == "preview":
        context["recheck_form"] = RecheckForm(
            initial={
                "time_zone": job.time_zone,
                "date_format": job.date_format if job.date_format_chosen else "",
                "sheet": job.sheet,
            }
        )
        context["confirm_form"] = ConfirmForm()
        context["time_zones"] = time_zone_names()
        if job.findings.get("columns"):
            context["mapping_fields"] = selectors.mapping_fields(job)
        counts = job.findings.get("counts", {})
        context["error_groups"] = selectors.problem_groups(job.errors, counts=counts.get("error"))
        context["warning_groups"] = selectors.problem_groups(job.warnings, counts=counts.get("warning"))
        context["expires_at"] = job.created_at + timedelta(days=settings.PORTAL_PREVIEW_EXPIRY_DAYS)
        held = selectors.rows_with_errors(job)
        if held:
            context["held_if_sent"], context["valid_if_sent"] = held, job.rows - held
    if job.state == ImportState.AWAITING_APPROVAL:
        # The approver sees what the uploader saw before confirming.
        counts = job.findings.get("counts", {})
        context["error_groups"] = selectors.problem_groups(job.errors, counts=counts.get("error"))
        context["warning_groups"] = selectors.problem_groups(job.warnings, counts=counts.get("warning"))
        context["approval_refusal"] = access.approval_refusal(job=job, user=request.user)
        context["reject_form"] = RejectForm()
    if job.state == "imported_with_errors" or job.parts.exclude(error_report="").exists():
        context["failed_rows"] = selectors.failed_rows(job)
    return context


@login_required
@require_GET
def detail(request, pk):
    if request.htmx and request.GET.get("fragment") == "status":
        return _status_fragment(request, pk)
    if request.htmx and request.GET.get("fragment") == "check":
        return _check_fragment(request, pk)
    job = get_import_for_user(request, pk)
    if job.is_checking:
        return render(request, "imports/detail.html", {"job": job})
    return render(request, "imports/detail.html", _detail_context(request, job))


def _check_fragment(request, pk):
    """Polled while the worker checks a large file: "Checking…" until the
    check is done, then one full reload shows the preview."""
    job = get_object_or_404(selectors.imports_for(request.user).defer("findings"), pk=pk)
    if not job.is_checking:
        return HttpResponseClientRefresh()
    response = render(request, "imports/detail.html#checking", {"job": job})
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _status_fragment(request, pk):
    """Polled every 2 s by every open page, and most polls find nothing new:
    the browser revalidates its copy (ETag), and an unchanged status is
    answered 304 after one small query, before anything is rendered."""
    stamp = selectors.status_stamp(request.user, pk)
    if stamp is None:
        raise Http404
    if not stamp.is_moving:
        # The import just stopped moving: one full reload brings what only
        # a finished import shows (failed rows, report links) and ends polling.
        return HttpResponseClientRefresh()
    is_admin = selectors.is_admin(request.user)
    # The CSRF secret is in it because the cached copy carries a form token,
    # which a new sign-in makes stale; get_token makes the secret when the
    # browser has none yet, so the tag does not change once it has.
    get_token(request)
    seen = f"{pk}|{stamp}|{request.user.pk}|{is_admin}|{request.META['CSRF_COOKIE']}"
    etag = quote_etag(salted_hmac("imports.status", seen).hexdigest())
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        # Read after the stamp, so never older than the tag it is sent with.
        job = get_object_or_404(
            selectors.imports_for(request.user).select_related("connection").defer("findings"), pk=pk
        )
        context = _status_context(job, ahead=stamp.queued_before, is_admin=is_admin)
        response = render(request, "imports/detail.html#status", context)
    response["ETag"] = etag
    # Kept by the browser but always revalidated; the same address without
    # HX-Request is the whole page.
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def rows(request, pk):
    job = get_import_for_user(request, pk)
    if waiting := unless_checking(request, job):
        return waiting
    return _rows_page(request, job, problem=request.GET.get("problem", ""), page_number=request.GET.get("page"))


def _rows_page(request, job: Import, *, problem: str, page_number, notices=()):
    page = selectors.schedule_rows_page(job, problem=problem, page=page_number, per_page=ROWS_PER_PAGE)
    codes = sorted({p["code"] for p in job.errors + job.warnings})
    context = {
        "job": job,
        "page": page,
        "problem": problem,
        "problem_codes": codes,
        "columns": HEADER,
        "revisions": job.revisions.count(),
        "notices": notices,
        # Only the first of each kind of problem is marked on the rows.
        "marks_partial": bool(problem) and not job.findings_complete,
        "timeline_on_load": job.rows <= TIMELINE_ON_LOAD_ROWS,
    }
    template = "imports/rows.html#rows" if request.htmx else "imports/rows.html"
    return render(request, template, context)


# The htmx event a change to the file's cells sends the page it was made on.
SCHEDULE_REVISED = "schedule-revised"


def _revised(request, job: Import, action) -> HttpResponse:
    """The rows again after a change: on the spot for htmx, else the page."""
    problem = request.POST.get("problem", "")
    changed = False
    try:
        action()
        job.refresh_from_db()
        notices = [("success", "Changed and checked again.")]
        changed = True
    except services.ActionRefused as refusal:
        notices = [("error", str(refusal))]
    if job.is_checking:
        # A large file is checked again by the worker: its page says
        # "Checking…" until the rows are known again.
        messages.info(request, "Changed; the file is being checked again.")
        if request.htmx:
            return HttpResponse(headers={"HX-Redirect": reverse("imports:detail", args=[job.pk])})
        return redirect("imports:detail", pk=job.pk)
    if request.htmx:
        response = _rows_page(request, job, problem=problem, page_number=request.POST.get("page"), notices=notices)
        if changed:
            # The page's timeline draws itself again on this event.
            trigger_client_event(response, SCHEDULE_REVISED)
        return response
    for kind, text in notices:
        (messages.success if kind == "success" else messages.error)(request, text)
    return redirect(reverse("imports:rows", args=[job.pk]) + (f"?problem={problem}" if problem else ""))


@login_required
@require_POST
def edit_cell(request, pk):
    job = get_import_for_user(request, pk)
    row = request.POST.get("row", "")
    return _revised(
        request,
        job,
        lambda: revision_services.import_edit_cell(
            job=job,
            actor=request.user,
            row=int(row) if row.isdigit() else 0,
            column=request.POST.get("column", ""),
            value=request.POST.get("value", ""),
            client_address=client_address(request),
        ),
    )


@login_required
@require_POST
def replace_all(request, pk):
    job = get_import_for_user(request, pk)
    return _revised(
        request,
        job,
        lambda: revision_services.import_replace_all(
            job=job,
            actor=request.user,
            column=request.POST.get("column", ""),
            find=request.POST.get("find", ""),
            replace=request.POST.get("replace", ""),
            client_address=client_address(request),
        ),
    )


TIMELINE_AGENTS = 40
TIMELINE_VIEWS = [("day", "a day"), ("week", "a week"), ("all", "the whole file")]


@login_required
@require_GET
def timeline(request, pk):
    job = get_import_for_user(request, pk)
    if waiting := unless_checking(request, job):
        return waiting
    page = request.GET.get("agents", "1")
    first = (int(page) - 1) * TIMELINE_AGENTS if page.isdigit() and int(page) > 0 else 0
    try:
        start = date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start = None
    drawn = selectors.timeline(
        job, first_agent=first, max_agents=TIMELINE_AGENTS, view=request.GET.get("view"), start=start
    )
    context = {
        "job": job,
        "drawn": drawn,
        "first": first + 1,
        "last": first + drawn.agents_shown,
        "agents_page": first // TIMELINE_AGENTS + 1,
        "timeline_views": TIMELINE_VIEWS,
        "window_last": drawn.window and drawn.window.first + timedelta(days=drawn.window.days - 1),
        "previous_page": first // TIMELINE_AGENTS if first else None,
        "next_page": first // TIMELINE_AGENTS + 2 if first + drawn.agents_shown < drawn.agents_total else None,
    }
    template = "imports/timeline.html#picture" if request.htmx else "imports/timeline.html"
    return render(request, template, context)


@login_required
@require_POST
@refusal_shown_on("imports:detail")
def recheck(request, pk):
    job = get_import_for_user(request, pk)
    form = RecheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("imports:detail", pk=job.pk)
    try:
        services.import_recheck(
            job=job,
            time_zone=form.cleaned_data["time_zone"],
            date_format=form.cleaned_data["date_format"] or None,
            sheet=form.cleaned_data["sheet"] or None,
            discard_changes=form.cleaned_data["discard_changes"],
            actor=request.user,
            client_address=client_address(request),
        )
    except services.ChangesWouldBeDiscarded as refusal:
        # Asked, not done: the same choice again, with the person's word.
        return render(
            request,
            "imports/recheck_confirm.html",
            {"job": job, "refusal": refusal, "choice": form.cleaned_data},
        )
    return redirect("imports:detail", pk=job.pk)


CHANGED_DAYS_PER_PAGE = 50
CHANGE_FILTERS = {
    "": ("new", "differs", "left_empty"),
    "new": ("new",),
    "differs": ("differs",),
    "left_empty": ("left_empty",),
    "identical": ("identical",),
    "all": ("new", "differs", "left_empty", "identical"),
}


@login_required
@require_GET
def changes(request, pk):
    job = get_import_for_user(request, pk)
    show = request.GET.get("show", "")
    if show not in CHANGE_FILTERS:
        show = ""
    changed = selectors.what_changes(job)
    days = changed.days.with_status(CHANGE_FILTERS[show])
    page = Paginator(days, CHANGED_DAYS_PER_PAGE).get_page(request.GET.get("page"))
    zone = ZoneInfo(job.time_zone)
    shown = [
        {
            "agent": day.agent,
            "day": day.day,
            "status": day.status,
            "file_events": [event_text(event, zone) for event in day.file_events],
            "earlier": [event_text(event, zone) for event in day.earlier],
        }
        for day in page
    ]
    context = {"job": job, "changes": changed, "page": page, "shown": shown, "show": show}
    template = "imports/changes.html#days" if request.htmx else "imports/changes.html"
    return render(request, template, context)


@login_required
@require_POST
@refusal_shown_on("imports:detail")
def leave_out_imported(request, pk):
    job = get_import_for_user(request, pk)
    left_out = revision_services.import_leave_out_imported_rows(
        job=job, actor=request.user, client_address=client_address(request)
    )
    messages.success(
        request,
        f"{left_out} row{'s' if left_out != 1 else ''} already in {job.connection.get_kind_display()} left out: "
        "this is now a revision of the file without them, checked again. The original upload is kept.",
    )
    return redirect("imports:detail", pk=job.pk)


@login_required
@require_POST
def map_columns(request, pk):
    job = get_import_for_user(request, pk)
    form = ColumnMappingForm(request.POST, header=job.findings.get("header", []))
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("imports:detail", pk=job.pk)
    try:
        revision_services.import_map_columns(
            job=job,
            actor=request.user,
            columns=form.columns(),
            save_as=form.cleaned_data["save_as"],
            client_address=client_address(request),
        )
        if form.cleaned_data["save_as"]:
            messages.success(
                request,
                f"The mapping is saved for team {job.team.name} as '{' '.join(form.cleaned_data['save_as'].split())}': "
                "a file with the same header will be read this way by itself.",
            )
    except services.ActionRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("imports:detail", pk=job.pk)


@login_required
@require_GET
def mappings(request):
    require_admin(request)
    return render(request, "imports/mappings.html", {"mappings": selectors.column_mappings()})


@login_required
@require_POST
def mapping_delete(request, pk):
    require_admin(request)
    mapping = get_object_or_404(ColumnMapping.objects.select_related("team"), pk=pk)
    revision_services.column_mapping_delete(mapping=mapping, actor=request.user, client_address=client_address(request))
    messages.success(request, f"The mapping '{mapping.name}' of team {mapping.team.name} is deleted.")
    return redirect("imports:mappings")


@login_required
@require_POST
@refusal_shown_on("imports:detail")
def confirm(request, pk):
    job = get_import_for_user(request, pk)
    form = ConfirmForm(request.POST)
    form.is_valid()
    services.import_confirm(
        job=job,
        actor=request.user,
        warnings_acknowledged=form.cleaned_data.get("acknowledge_warnings", False),
        valid_rows_only=form.cleaned_data.get("valid_rows_only", False),
        client_address=client_address(request),
    )
    # Straight to the live status, not to the summary above it.
    return redirect(reverse("imports:detail", args=[job.pk]) + "#status")


@login_required
@require_POST
@refusal_shown_on("imports:detail")
def approve(request, pk):
    job = get_import_for_user(request, pk)
    services.import_approve(job=job, actor=request.user, client_address=client_address(request))
    messages.success(request, "Approved: the import joined its account's queue.")
    return redirect("imports:detail", pk=job.pk)


@login_required
@require_POST
@refusal_shown_on("imports:detail")
def reject(request, pk):
    job = get_import_for_user(request, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        raise services.ActionRefused(" ".join(e for errors in form.errors.values() for e in errors))
    services.import_reject(
        job=job, actor=request.user, reason=form.cleaned_data["reason"], client_address=client_address(request)
    )
    messages.success(
        request,
        f"Rejected: nothing was sent to {job.connection.get_kind_display()}, and the uploader can read your reason.",
    )
    return redirect("imports:detail", pk=job.pk)


@login_required
@require_POST
@refusal_shown_on("imports:detail")
def cancel(request, pk):
    job = get_import_for_user(request, pk)
    services.import_cancel(job=job, actor=request.user, client_address=client_address(request))
    messages.success(request, f"The import was cancelled; nothing was sent to {job.connection.get_kind_display()}.")
    return redirect("imports:detail", pk=job.pk)


def _get_part_for_admin(request, pk, number):
    require_admin(request)
    return get_object_or_404(get_import_for_user(request, pk).parts, number=number)


@login_required
@require_POST
def part_resend(request, pk, number):
    return _act_on_part(
        request, pk, number, services.part_resend, f"Part {number} will be sent again when its turn comes."
    )


@login_required
@require_POST
def part_mark_imported(request, pk, number):
    return _act_on_part(request, pk, number, services.part_mark_imported, f"Part {number} is recorded as imported.")


@refusal_shown_on("imports:detail")
def _act_on_part(request, pk, number, action, done: str):
    """An admin's answer to a part that needs attention."""
    part = _get_part_for_admin(request, pk, number)
    action(part=part, actor=request.user, client_address=client_address(request))
    messages.success(request, done)
    return redirect("imports:detail", pk=pk)


@login_required
@require_GET
def audit_log(request):
    require_admin(request)
    form = AuditFilterForm(request.GET or None)
    filters = selectors.AuditFilters()
    if form.is_valid():
        filters = selectors.AuditFilters(**form.cleaned_data)
    page = Paginator(selectors.audit_events(filters), AUDIT_EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "imports/audit.html#events" if request.htmx else "imports/audit.html"
    return render(request, template, context)


@login_required
def person_settings(request):
    chosen = selectors.person_settings(request.user)
    form = PersonSettingsForm(request.POST or None, initial={"time_zone": chosen.time_zone if chosen else ""})
    if request.method == "POST" and form.is_valid():
        services.person_settings_save(user=request.user, time_zone=form.cleaned_data["time_zone"])
        zone = person_zone.remember(request, request.user)
        messages.success(request, f"Times are now shown in {zone}.")
        return redirect("imports:settings")
    context = {
        "form": form,
        "team_zone": selectors.team_time_zone(request.user),
        "time_zones": time_zone_names(),
    }
    return render(request, "imports/settings.html", context)
