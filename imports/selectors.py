"""Reads: what a person may see, and the questions pages ask.

Over 600 lines on purpose: one module of reads, so that the pages, the API
and the services ask the same questions the same way (the browser and the
API never disagree), and the record's reads sit beside the file's checked
rows they are compared with."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from itertools import compress, islice
from typing import BinaryIO, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from imports.access import is_admin
from imports.models import (
    AcceptedEvent,
    AuditEvent,
    ColumnMapping,
    Connection,
    Import,
    ImportPart,
    PersonSettings,
    Team,
    Transition,
)
from imports.schedule import checked_rows, findings, held_rows
from imports.schedule.accepted import (
    KEY_SEPARATOR,
    NUMBERS_SEPARATOR,
    TEXTS_SEPARATOR,
    Accepted,
    AcceptedColumns,
    Changes,
    Comparison,
    Source,
    add_overlaps,
    already_imported,
    moment,
)
from imports.schedule.accepted import what_changes as changes_of
from imports.schedule.check import (
    HEADER,
    AccountFacts,
    EventColumns,
    ScheduleRow,
    check_schedule,
    download_csv,
    download_rows_csv,
)
from imports.schedule.timeline import EarlierEvent
from imports.schedule.workbook import WorkbookLimits
from imports.states import ImportState, PartState
from imports.wfm import registry
from imports.wfm.talkdesk.error_report import read_error_report


def teams_for(user) -> QuerySet[Team]:
    teams = Team.objects.select_related("connection")
    return teams if is_admin(user) else teams.filter(supervisors=user)


def imports_for(user) -> QuerySet[Import]:
    imports = Import.objects.all()
    return imports if is_admin(user) else imports.filter(team__supervisors=user)


def needing_attention(*, user) -> int:
    """How many of the imports an admin may act on wait for a person to say
    whether Talkdesk has them; 0 for everyone else, who cannot act on them."""
    if not is_admin(user):
        return 0
    return Import.objects.filter(state=ImportState.NEEDS_ATTENTION).count()


@dataclass(frozen=True)
class HistoryFilters:
    team: int | None = None
    state: str | None = None
    uploader: int | None = None
    since: date | None = None
    until: date | None = None
    held: bool = False
    """Only imports that sent their valid rows and held the others back."""


def uploaders_for(user) -> QuerySet:
    """(id, username) of the people who uploaded an import the user may see."""
    people = get_user_model().objects.order_by("username").values_list("pk", "username")
    # Joining the imports and removing duplicates read the whole history:
    # for an admin, one index probe per person instead; for a supervisor,
    # the uploaders of the supervised teams' imports, read from an index.
    if is_admin(user):
        return people.filter(Exists(Import.objects.filter(uploaded_by=OuterRef("pk"))))
    return people.filter(pk__in=Import.objects.filter(team__in=teams_for(user).values("pk")).values("uploaded_by"))


def history(user, filters: HistoryFilters) -> QuerySet[Import]:
    # Only what a row of the history shows: the findings of an import with
    # thousands of problems alone weigh megabytes.
    imports = (
        imports_for(user)
        .select_related("team", "uploaded_by", "connection")
        .only(
            "file_name",
            "rows",
            "held_rows",
            "state",
            "created_at",
            "finished_at",
            "team__name",
            "uploaded_by__username",
            "connection__kind",
        )
    )
    if filters.team:
        imports = imports.filter(team_id=filters.team)
    # Files refused at upload were shown then; asked for by name, they are listed.
    imports = imports.filter(state=filters.state) if filters.state else imports.exclude(state=ImportState.REFUSED)
    if filters.uploader:
        imports = imports.filter(uploaded_by_id=filters.uploader)
    if filters.held:
        imports = imports.filter(held_rows__gt=0)
    tz = timezone.get_current_timezone()
    if filters.since:
        imports = imports.filter(created_at__gte=datetime.combine(filters.since, time.min, tz))
    if filters.until:
        imports = imports.filter(created_at__lt=datetime.combine(filters.until, time.max, tz))
    return imports.order_by("-created_at")


@dataclass(frozen=True)
class StatusStamp:
    """What says whether an import's live status changed: its state, its
    last transition (the lifecycle records one with every change the status
    shows) and how many imports go before it in its account's queue."""

    state: str
    last_step: int | None
    queued_before: int

    @property
    def is_moving(self) -> bool:
        return ImportState(self.state).is_moving


def status_stamp(user, pk) -> StatusStamp | None:
    """The stamp of an import the user may see, or None. Every open page
    asks for it every 2 s; written by hand, it is one round trip and 0.6 ms,
    where building the same query with the ORM took 4 ms. Who may see what
    is the rule of imports_for, and tests hold the two to each other."""
    imports, transitions = Import._meta.db_table, Transition._meta.db_table
    supervisors = Team.supervisors.through._meta.db_table
    # Only table names are formatted in; every value is a parameter.
    sql = f"""
        SELECT i.state,
               (SELECT MAX(t.id) FROM {transitions} t WHERE t.import_job_id = i.id),
               (SELECT COUNT(*) FROM {imports} q
                 WHERE q.account_key = i.account_key AND q.state IN (%s, %s, %s)
                   AND (q.confirmed_at < i.confirmed_at OR (q.confirmed_at = i.confirmed_at AND q.id < i.id)))
          FROM {imports} i
         WHERE i.id = %s
           AND (%s OR EXISTS (SELECT 1 FROM {supervisors} s WHERE s.team_id = i.team_id AND s.user_id = %s))
    """  # noqa: S608
    params = [
        ImportState.QUEUED.value,
        ImportState.SENDING.value,
        ImportState.PROCESSING.value,
        Import._meta.pk.get_db_prep_value(pk, connection),
        is_admin(user),
        user.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    state, last_step, queued_before = found
    return StatusStamp(
        state=state, last_step=last_step, queued_before=queued_before if state == ImportState.QUEUED else 0
    )


def imports_ahead(job: Import) -> int:
    """How many confirmed imports for the same Talkdesk account go first."""
    if job.state not in (ImportState.QUEUED,) or job.confirmed_at is None:
        return 0
    return (
        Import.objects.filter(
            account_key=job.account_key,
            state__in=[ImportState.QUEUED, ImportState.SENDING, ImportState.PROCESSING],
        )
        .filter(Q(confirmed_at__lt=job.confirmed_at) | Q(confirmed_at=job.confirmed_at, pk__lt=job.pk))
        .count()
    )


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    username: str = ""
    since: date | None = None
    until: date | None = None


def audit_events(filters: AuditFilters) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("import_job", "connection")
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.username:
        events = events.filter(username__iexact=filters.username)
    tz = timezone.get_current_timezone()
    if filters.since:
        events = events.filter(at__gte=datetime.combine(filters.since, time.min, tz))
    if filters.until:
        events = events.filter(at__lte=datetime.combine(filters.until, time.max, tz))
    return events.order_by("-at", "-id")


def connections_for_admin() -> QuerySet[Connection]:
    return Connection.objects.prefetch_related("teams")


@dataclass(frozen=True)
class FailedRowView:
    part: int
    row: int | None
    cells: tuple[str, ...]
    reason: str


def failed_rows(job: Import, limit: int = 500) -> list[FailedRowView]:
    """The rows Talkdesk rejected, numbered as rows of the file the planner
    uploaded."""
    parts = list(job.parts.exclude(error_report=""))
    if not parts:
        return []
    offsets, offset = {}, 0
    for part in job.parts.order_by("number"):
        offsets[part.number] = offset
        offset += part.rows
    rejected = []
    for part in parts:
        with part.error_report.open("rb") as stored:
            report = read_error_report(stored.read())
        for failed in report:
            index = None if failed.row is None else offsets[part.number] + failed.row - 2
            rejected.append((part.number, index, failed))
            if len(rejected) >= limit:
                break
        if len(rejected) >= limit:
            break
    # The rows' numbers in the planner's file, read in one pass for only
    # the rows rejected.
    wanted = {index for _, index, _ in rejected if index is not None and index >= 0}
    original_rows: dict[int, int] = {}
    if wanted:
        with _checked_rows(job) as rows:
            for index, row in enumerate(rows):
                if index in wanted:
                    original_rows[index] = row.row
                    if len(original_rows) == len(wanted):
                        break
    return [
        FailedRowView(
            part=number,
            row=None if index is None else original_rows.get(index),
            cells=tuple(failed.values.get(name, "") for name in HEADER),
            reason=failed.reason,
        )
        for number, index, failed in rejected
    ]


@dataclass(frozen=True)
class Step:
    at: datetime
    label: str
    part: int | None
    actor: str
    note: str


def import_steps(*, job: Import, parts: int) -> list[Step]:
    """What happened, when: each step once. A file sent whole has one part
    whose moves repeat the import's, so only a part's step that says
    something more is shown; a note that is the import's own message, shown
    above the steps, is not repeated."""
    steps: list[Step] = []
    for move in job.transitions.select_related("part", "actor"):
        note = "" if move.note == job.message else move.note
        if move.part_id and parts <= 1 and (not note or move.to_state == PartState.SKIPPED):
            continue
        step = Step(
            at=move.at,
            label=move.label,
            part=move.part.number if move.part is not None and parts > 1 else None,
            actor=move.actor.get_username() if move.actor is not None else "",
            note=note,
        )
        if steps and (steps[-1].label, steps[-1].part) == (step.label, step.part):
            # The same step told twice (a one-part file's part and the import
            # move together): keep the telling that says more.
            if step.note and not steps[-1].note:
                steps[-1] = step
            continue
        steps.append(step)
    return steps


def import_parts(job: Import) -> QuerySet[ImportPart]:
    return job.parts.order_by("number")


@contextmanager
def _checked_rows(job: Import) -> Iterator[Iterator[ScheduleRow]]:
    """The rows kept when the file was checked, read one at a time; an
    import uploaded before they were kept has its file checked again."""
    name = checked_rows.stored_name(job.id)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as stored:
            # A storage's File proxies the binary file it opened.
            rows = checked_rows.iter_rows(cast("BinaryIO", stored), time_zone=job.time_zone)
            try:
                yield rows
            finally:
                # Done with while the file is still open, however far it was read.
                rows.close()
    else:
        yield iter(_recheck(job).rows)


def account_facts(connection: Connection) -> AccountFacts:
    agents: dict[str, str] | None = None
    # Read from the database: the agents may have been synced since this
    # connection object was loaded.
    if Connection.objects.filter(pk=connection.pk, agents_synced_at__isnull=False).exists():
        agents = {
            email.lower(): name for email, name in connection.agents.filter(active=True).values_list("email", "name")
        }
    vendor = registry.vendor(connection.kind)
    names = list(connection.activity_codes) if vendor.lists_event_types else connection.event_types
    return AccountFacts(
        active_agents=agents,
        event_types=frozenset(names) if names else None,
        where=vendor.where,
        wfm=vendor.name,
        event_type_called=vendor.event_type_called,
    )


def workbook_limits() -> WorkbookLimits:
    """What reading a workbook may take, as the settings say."""
    return WorkbookLimits(memory_bytes=settings.WORKBOOK_MEMORY_MB * 1024 * 1024, seconds=settings.WORKBOOK_SECONDS)


def _recheck(job: Import):
    # Read as the import reads it: its columns and the portal's changes too.
    with job.original.open("rb") as stored:
        return check_schedule(
            stored.read(),
            time_zone=job.time_zone,
            date_format=job.date_format or None,
            account=account_facts(job.connection),
            sheet=job.sheet or None,
            workbook_limits=workbook_limits(),
            mapping=job.column_mapping or None,
            edits=[revision.change for revision in job.revisions.order_by("number")],
        )


@dataclass(frozen=True)
class RowView:
    row: int
    cells: tuple[str, ...]
    problems: list[dict]

    @property
    def columns(self) -> list[tuple[str, str, bool]]:
        """(column, value, whether a problem names the column), in order."""
        named = {problem.get("column") for problem in self.problems}
        return [(column, value, column in named) for column, value in zip(HEADER, self.cells, strict=True)]


class _Window(Sequence):
    """count rows of which only one page's, from start, are held: what a
    Paginator needs of them."""

    def __init__(self, count: int, start: int, rows: list[RowView]):
        self.count_ = count
        self.start = start
        self.rows = rows

    def __len__(self) -> int:
        return self.count_

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("only the page held can be read")
        return self.rows[index.start - self.start : index.stop - self.start]


def schedule_rows_page(job: Import, *, problem: str, page: str | None, per_page: int) -> Page:
    """One page of the file's rows as the checks read them, each with its
    problems; problem "any" keeps the rows with a problem, a code those with
    that problem. The rows are read one at a time and only the page's are
    held, so that the page of a 700,000-row file costs what a small one does."""
    by_row: dict[int, list[dict]] = {}
    for severity in ("errors", "warnings"):
        for found in job.findings.get(severity, []):
            if found.get("row"):
                by_row.setdefault(found["row"], []).append({**found, "severity": severity[:-1]})
    number = int(page) if page and page.isdigit() and int(page) > 0 else 1
    count, held = _rows_window(job, by_row, problem, (number - 1) * per_page, per_page)
    last = max(1, -(-count // per_page))
    if number > last:
        number = last
        count, held = _rows_window(job, by_row, problem, (number - 1) * per_page, per_page)
    return Paginator(_Window(count, (number - 1) * per_page, held), per_page).page(number)


def _rows_window(job: Import, by_row: dict[int, list[dict]], problem: str, start: int, size: int):
    """How many rows are shown, and those of the page from start. Rows are
    kept in file order, so reading stops at the page's last row."""
    if problem:
        numbers = sorted(
            number
            for number, problems in by_row.items()
            if problem == "any" or any(found["code"] == problem for found in problems)
        )
        wanted = set(numbers[start : start + size])
        if not wanted:
            return len(numbers), []
        last = max(wanted)
        held = []
        with _checked_rows(job) as rows:
            for row in rows:
                if row.row in wanted:
                    held.append(_row_view(row, by_row))
                if row.row >= last:
                    break
        return len(numbers), held
    with _checked_rows(job) as rows:
        return job.rows, [_row_view(row, by_row) for row in islice(rows, start, start + size)]


def _row_view(row: ScheduleRow, by_row: dict[int, list[dict]]) -> RowView:
    cells = (row.agent_name, row.agent_email, row.start_text, row.end_text, row.event_type)
    return RowView(row=row.row, cells=cells, problems=by_row.get(row.row, []))


def findings_file(job: Import):
    """Every finding of the check as a CSV file, open for reading: the one
    kept beside the upload, or, for an import checked before one was kept,
    made from its findings, which then held every one."""
    name = findings.stored_name(job.id)
    if default_storage.exists(name):
        return default_storage.open(name, "rb")
    every = io.StringIO(newline="")
    collected = findings.Findings(keep=0, every=every)
    for severity, kept in (
        (findings.Severity.ERROR, job.errors),
        (findings.Severity.WARNING, job.warnings),
        (findings.Severity.FIX, job.fixes),
    ):
        for finding in kept:
            collected.add(severity, findings.Found(**finding))
    return io.BytesIO(every.getvalue().encode("utf-8"))


def fixed_file(job: Import) -> Iterator[bytes]:
    """The fixed file, a few thousand rows at a time."""
    if not default_storage.exists(checked_rows.stored_name(job.id)):
        yield download_csv(_recheck(job))
        return
    with _checked_rows(job) as rows:
        first = True
        while batch := list(islice(rows, 5_000)):
            chunk = download_rows_csv(batch)
            if not first:
                # Each batch is written as a file of its own: the byte-order
                # mark and header belong only at the start.
                chunk = chunk[chunk.index(b"\r\n") + 2 :]
            first = False
            yield chunk
        if first:
            yield download_rows_csv([])


def every_error(job: Import) -> list[tuple[int | None, str]]:
    """(row, message) of every error, not only the first of each kind kept
    on the import: from the complete list kept beside the upload."""
    name = findings.stored_name(job.id)
    if not default_storage.exists(name):
        return [(problem.get("row"), problem["message"]) for problem in job.errors]
    with default_storage.open(name, "rb") as stored:
        return held_rows.every_error(stored.read())


def rows_with_errors(job: Import) -> int | None:
    """How many rows sending the valid rows only would hold back; None when
    an error is not in one row, so the file cannot be sent in part."""
    rows = set()
    for row, _message in every_error(job):
        if row is None:
            return None
        rows.add(row)
    return len(rows) if rows and len(rows) < job.rows else None


@dataclass(frozen=True)
class MappingField:
    field: str
    input_name: str
    required: bool
    options: list[tuple[str, str, bool]]
    """(value, label with a few of the column's values, chosen)."""


def mapping_fields(job: Import) -> list[MappingField]:
    """The question the preview asks when the header cannot be mapped: for
    each field, the file's columns to choose from, the likely one chosen."""
    from imports.forms import mapping_field_name
    from imports.schedule.columns import MAPPABLE
    from imports.schedule.header import column_meant

    columns = job.findings.get("columns") or []
    chosen = dict(job.column_mapping or {})
    for column in columns:
        meant = column_meant(column["name"])
        if meant and meant not in chosen:
            chosen[meant] = column["name"].strip()
    fields = []
    for field in MAPPABLE:
        options = []
        for column in columns:
            name = column["name"].strip()
            if not name:
                continue
            samples = ", ".join(column["samples"])
            label = f"{column['letter']} · {name}" + (f" (e.g. {samples})" if samples else "")
            options.append((name, label, chosen.get(field) == name))
        fields.append(MappingField(field, mapping_field_name(field), field in HEADER, options))
    return fields


def template_facts(*, team: Team):
    from datetime import timedelta

    from django.utils import timezone

    from imports.schedule.template import TemplateFacts

    connection = team.connection
    agents = list(connection.agents.filter(active=True).order_by("name", "email").values_list("name", "email"))
    return TemplateFacts(
        agents=agents,
        event_types=sorted(connection.event_types or []),
        date_format=connection.default_date_format,
        day=timezone.localdate() + timedelta(days=1),
    )


def column_mappings() -> QuerySet[ColumnMapping]:
    return ColumnMapping.objects.select_related("team", "created_by")


@dataclass(frozen=True)
class ProblemGroup:
    code: str
    title: str
    count: int
    first: list[dict]


def problem_groups(problems: list[dict], *, counts: dict[str, int] | None = None, first: int = 5) -> list[ProblemGroup]:
    """Problems of one kind together, most frequent first. counts: how many
    of each kind were found, where problems holds only the first of each."""
    grouped: dict[str, list[dict]] = {}
    for problem in problems:
        grouped.setdefault(problem["code"], []).append(problem)
    counts = counts or {}
    groups = [
        ProblemGroup(
            code=code,
            title=code.replace("_", " ").capitalize(),
            count=counts.get(code, len(items)),
            first=items[:first],
        )
        for code, items in grouped.items()
    ]
    return sorted(groups, key=lambda group: -group.count)


def timeline(job: Import, *, first_agent: int, max_agents: int, view: str | None = None, start: date | None = None):
    from zoneinfo import ZoneInfo

    from imports.schedule.timeline import Event, draw_timeline

    zone = ZoneInfo(job.time_zone)

    problems: dict[int, str] = {}
    for problem in job.errors + job.warnings:
        if problem.get("row"):
            problems.setdefault(problem["row"], problem["message"])
    # Every row, those whose times cannot be read too: the picture lists
    # them under their agent with the reason, rather than leaving them out.
    with _checked_rows(job) as rows:
        events = (
            Event(
                agent=row.agent_email.lower(),
                label=row.agent_name or row.agent_email,
                start=row.start,
                end=row.end,
                kind=row.event_type,
                row=row.row,
                problem=problems.get(row.row),
            )
            for row in rows
        )
        return draw_timeline(
            events,
            zone=zone,
            first_agent=first_agent,
            max_agents=max_agents,
            view=view,
            start=start,
            earlier=partial(_earlier_events, job, zone),
        )


def _earlier_events(job: Import, zone, agents: list[str], begin: datetime, finish: datetime) -> list[EarlierEvent]:
    """The events Talkdesk accepted before for the page's agents and days,
    told as the job's team may hear of them: another team's import sharing
    the account is neither named nor linked."""
    own = _own_parts(job)
    found = [
        event
        for event in accepted_events_near(
            account_key=job.account_key,
            first_minute=int(begin.timestamp()) // 60,
            last_minute=-(-int(finish.timestamp()) // 60),
            agents=agents,
        )
        if event.source not in own
    ]
    if not found:
        return []
    sources = accepted_sources({event.source for event in found}, team_id=job.team_id)
    told = {part: source.imported(zone) for part, source in sources.items()}
    return [
        EarlierEvent(event.agent, moment(event.start, UTC), moment(event.end, UTC), event.kind, told[event.source])
        for event in found
    ]


def person_settings(user) -> PersonSettings | None:
    return PersonSettings.objects.filter(user=user).first()


def team_time_zone(user) -> str | None:
    """The zone of the person's (first) team's connection: their default."""
    return teams_for(user).order_by("name").values_list("connection__default_time_zone", flat=True).first()


# The record of what Talkdesk accepted


_make_accepted = partial(tuple.__new__, Accepted)


def _consulted_since():
    return timezone.now() - timedelta(days=settings.ACCEPTED_EVENTS_DAYS)


def _accepted_near(*, account_key: str, first_minute: int, last_minute: int, agents: list[str] | None = None):
    events = AcceptedEvent.objects.filter(
        account_key=account_key,
        end_minute__gt=first_minute,
        start_minute__lt=last_minute,
        accepted_at__gte=_consulted_since(),
    )
    if agents is not None:
        events = events.filter(agent_email__in=agents)
    # Without the model's ordering: a sort of every row found, which no
    # caller needs.
    return events.values_list("agent_email", "start_minute", "end_minute", "event_type", "part_id").order_by()


def accepted_events_near(
    *, account_key: str, first_minute: int, last_minute: int, agents: list[str] | None = None
) -> list[Accepted]:
    """The account's events accepted within the days the record is
    consulted for that overlap the span (of the agents, lower case, if
    given)."""
    found = _accepted_near(account_key=account_key, first_minute=first_minute, last_minute=last_minute, agents=agents)
    # Read as plain tuples: tens of thousands of rows come back when a file
    # is sent again, and the ORM's row objects would take longer than the
    # whole check of the file.
    sql, params = found.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(map(_make_accepted, cursor.fetchall()))


def _accepted_texts(*, account_key: str, first_minute: int, last_minute: int) -> list[str]:
    """The events accepted_events_near reads, column by column, each column
    joined into one text by the database (agents and types by line breaks,
    which the check takes out of every cell; numbers by commas): tens of
    thousands of events come back as five texts, split in C, not as a row
    and five values each made into Python objects, which took longer than
    checking the file. Five columns, not one key joined in SQL: the
    database joins texts slower than Python does."""
    inner, params = _accepted_near(
        account_key=account_key, first_minute=first_minute, last_minute=last_minute
    ).query.sql_with_params()
    sqlite = connection.vendor == "sqlite"
    aggregate, as_text, line = ("group_concat", "{}", "char(10)") if sqlite else ("string_agg", "{}::text", "chr(10)")
    columns = ", ".join(
        f"{aggregate}({as_text.format(column)}, {separator})"
        for column, separator in (
            ("agent_email", line),
            ("start_minute", f"'{NUMBERS_SEPARATOR}'"),
            ("end_minute", f"'{NUMBERS_SEPARATOR}'"),
            ("event_type", line),
            ("part_id", f"'{NUMBERS_SEPARATOR}'"),
        )
    )
    # Only the query Django made and fixed SQL are formatted in; every value
    # is a parameter. The five aggregates read the rows in one pass, in the
    # same order. Not grouped by part: grouped, SQLite's planner (which
    # cannot tell that the span holds few of the account's events) read the
    # whole table in part order to spare the grouping's sort, a second for
    # a million events when the span held none.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM ({inner}) AS near", params)  # noqa: S608
        found = cursor.fetchone()
    return [] if found[0] is None else list(found)


def accepted_keys_near(*, account_key: str, first_minute: int, last_minute: int) -> tuple[list[str], list[str]]:
    """The same events as accepted_events_near, as keys (see
    accepted.KEY_SEPARATOR) and their parts' ids as text, in the same order."""
    texts = _accepted_texts(account_key=account_key, first_minute=first_minute, last_minute=last_minute)
    if not texts:
        return [], []
    agents, starts, ends, kinds, parts = texts
    keys = map(
        KEY_SEPARATOR.join,
        zip(
            agents.split(TEXTS_SEPARATOR),
            starts.split(NUMBERS_SEPARATOR),
            ends.split(NUMBERS_SEPARATOR),
            kinds.split(TEXTS_SEPARATOR),
            strict=True,
        ),
    )
    return list(keys), parts.split(NUMBERS_SEPARATOR)


def accepted_columns_near(*, account_key: str, first_minute: int, last_minute: int) -> AcceptedColumns:
    """The same events as accepted_events_near, column by column."""
    texts = _accepted_texts(account_key=account_key, first_minute=first_minute, last_minute=last_minute)
    if not texts:
        return AcceptedColumns([], [], [], [], [])
    agents, starts, ends, kinds, parts = texts
    minutes = {text: int(text) for text in {*starts.split(NUMBERS_SEPARATOR), *ends.split(NUMBERS_SEPARATOR)}}
    ids = {text: int(text) for text in set(parts.split(NUMBERS_SEPARATOR))}
    return AcceptedColumns(
        agents.split(TEXTS_SEPARATOR),
        list(map(minutes.__getitem__, starts.split(NUMBERS_SEPARATOR))),
        list(map(minutes.__getitem__, ends.split(NUMBERS_SEPARATOR))),
        kinds.split(TEXTS_SEPARATOR),
        list(map(ids.__getitem__, parts.split(NUMBERS_SEPARATOR))),
    )


def accepted_sources(part_ids, *, team_id: int | None) -> dict[int, Source]:
    """What to tell of the imports the parts belong to: named, with a link,
    when they are the team's own (or for an operator, team_id None);
    otherwise only that another team sharing the account imported them."""
    sources = {}
    parts = ImportPart.objects.filter(pk__in=set(part_ids)).values_list(
        "pk",
        "import_job_id",
        "import_job__team_id",
        "import_job__file_name",
        "import_job__uploaded_by__username",
        "finished_at",
        "import_job__finished_at",
    )
    for pk, import_id, owner, name, by, part_finished, finished in parts:
        imported_at = part_finished or finished
        if team_id is None or owner == team_id:
            sources[pk] = Source(imported_at, name, by, reverse("imports:detail", args=[import_id]))
        else:
            sources[pk] = Source(imported_at)
    return sources


def file_imported_before(*, account_key: str, normalised_sha256: str, team_id: int | None, exclude=None):
    """The latest import into the account of the same file as sent, within
    the days the record is consulted for, as a Source; or None."""
    if not normalised_sha256:
        return None
    found = (
        Import.objects.filter(
            account_key=account_key,
            normalised_sha256=normalised_sha256,
            state__in=[ImportState.IMPORTED, ImportState.IMPORTED_WITH_ERRORS],
            finished_at__gte=_consulted_since(),
        )
        .exclude(pk=exclude)
        .order_by("-finished_at")
        .values_list("pk", "team_id", "file_name", "uploaded_by__username", "finished_at")
        .first()
    )
    if found is None:
        return None
    pk, owner, name, by, finished = found
    if team_id is None or owner == team_id:
        return Source(finished, name, by, reverse("imports:detail", args=[pk]))
    return Source(finished)


def compare_with_accepted(events: EventColumns, *, account_key: str, team_id: int | None, zone) -> Comparison:
    """The file's events against the account's accepted events they could
    meet: the rows already imported found by their keys, and only if some
    row is not, the events read one by one for the collisions."""
    timed = [minute for minute in events.starts if minute is not None]
    ends = [minute for minute in events.ends if minute is not None]
    if not timed or not ends:
        return Comparison()
    first, last = min(timed), max(ends)
    keyed = accepted_keys_near(account_key=account_key, first_minute=first, last_minute=last)
    if not keyed[0]:
        return Comparison()
    sources = accepted_sources({int(part) for part in set(keyed[1])}, team_id=team_id)
    result = already_imported(events, keyed, sources, zone=zone)
    del keyed
    if len(result.already_rows) < len(events.rows):
        accepted = accepted_events_near(account_key=account_key, first_minute=first, last_minute=last)
        # A part recorded between the two reads is told of too.
        if missing := {event.source for event in accepted} - sources.keys():
            sources |= accepted_sources(missing, team_id=team_id)
        add_overlaps(result, events, accepted, sources, zone=zone)
    return result


def file_events(job: Import) -> EventColumns:
    name = checked_rows.stored_name(job.id)
    if default_storage.exists(name):
        # The events are kept beside the rows by the check; an import
        # checked before they were has them read from its rows.
        events = checked_rows.events_name(job.id)
        if default_storage.exists(events):
            with default_storage.open(events, "rb") as stored:
                return checked_rows.load_events(stored.read())
        with default_storage.open(name, "rb") as stored:
            return checked_rows.read_events(stored.read())
    rows = _recheck(job).rows
    minute: dict[datetime | None, int | None] = {None: None}
    for row in rows:
        for instant in (row.start, row.end):
            if instant not in minute:
                minute[instant] = int(instant.timestamp()) // 60
    return EventColumns(
        [row.row for row in rows],
        [row.agent_email for row in rows],
        [minute[row.start] for row in rows],
        [minute[row.end] for row in rows],
        [row.event_type for row in rows],
    )


def what_changes(job: Import) -> Changes:
    """The import's file against what was accepted before for its agents
    and days: whole days, in the file's time zone."""
    from zoneinfo import ZoneInfo

    events = file_events(job)
    zone = ZoneInfo(job.time_zone)
    timed = [minute for minute in events.starts if minute is not None]
    if not timed:
        return Changes()
    first = moment(min(timed), zone).replace(hour=0, minute=0)
    last = moment(max(timed), zone).replace(hour=0, minute=0) + timedelta(days=1)
    accepted = accepted_columns_near(
        account_key=job.account_key,
        first_minute=int(first.timestamp()) // 60,
        last_minute=int(last.timestamp()) // 60,
    )
    own = _own_parts(job)
    if own and own & set(accepted.sources):
        kept = [source not in own for source in accepted.sources]
        accepted = AcceptedColumns(
            list(compress(accepted.agents, kept)),
            list(compress(accepted.starts, kept)),
            list(compress(accepted.ends, kept)),
            list(compress(accepted.kinds, kept)),
            list(compress(accepted.sources, kept)),
        )
    return changes_of(events, accepted, zone=zone)


def _own_parts(job: Import) -> set[int]:
    # Once the import itself is accepted, its events are on record too:
    # it is compared with what came before it, not with itself.
    return set(job.parts.values_list("pk", flat=True))
