"""Writes: what a person does to imports and connections."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from imports import audit, enqueue, lifecycle, secret_box
from imports.models import AuditEvent, ConnectionAgent, Import, ImportPart, PersonSettings, TalkdeskConnection, Team
from imports.schedule import check as schedule_file
from imports.schedule import checked_rows
from imports.states import ImportState
from imports.uploads import safe_file_name
from imports.wfm.talkdesk.client import TalkdeskClient, TalkdeskError

Action = AuditEvent.Action


class ActionRefused(Exception):
    """What a person asked for cannot be done; the message says why, plainly."""


def account_facts(connection: TalkdeskConnection) -> schedule_file.AccountFacts:
    agents = None
    # Read from the database: the agents may have been synced since this
    # connection object was loaded.
    if TalkdeskConnection.objects.filter(pk=connection.pk, agents_synced_at__isnull=False).exists():
        agents = {
            email.lower(): name for email, name in connection.agents.filter(active=True).values_list("email", "name")
        }
    event_types = frozenset(connection.event_types) if connection.event_types else None
    return schedule_file.AccountFacts(active_agents=agents, event_types=event_types)


def _check(job: Import, data: bytes) -> schedule_file.ScheduleCheck:
    check = schedule_file.check_schedule(
        data,
        time_zone=job.time_zone,
        date_format=job.date_format or None,
        account=account_facts(job.connection),
    )
    summary = check.summary
    job.date_format = check.date_format or job.date_format
    job.rows = summary.rows
    job.agents = summary.agents
    job.first_start = summary.first_start
    job.last_end = summary.last_end
    job.events_by_type = dict(summary.events_by_type)
    as_dict = check.to_dict()
    job.findings = {
        "errors": as_dict["errors"],
        "warnings": as_dict["warnings"],
        "fixes": as_dict["fixes"],
        "skipped_checks": list(check.skipped_checks),
        "date_format_candidates": list(check.date_format_candidates),
    }
    job.error_count = len(check.errors)
    job.warning_count = len(check.warnings)
    job.warnings_acknowledged = False
    return check


def _store_parts(job: Import, check: schedule_file.ScheduleCheck) -> None:
    job.parts.all().delete()
    if not check.ok:
        return
    for number, content in enumerate(check.parts, start=1):
        part = ImportPart(
            import_job=job,
            number=number,
            account_key=job.account_key,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            rows=max(content.count(b"\n") - 1, 0),
        )
        part.content.save(f"part-{number}.csv", ContentFile(content), save=False)
        part.save()


def _store_rows(job: Import, check: schedule_file.ScheduleCheck) -> None:
    """The rows as the checks read them, for the pages that show them."""
    name = checked_rows.stored_name(job.id)
    default_storage.delete(name)
    if check.normalised:
        default_storage.save(name, ContentFile(checked_rows.write_rows(check.rows)))


def import_create(
    *,
    team: Team,
    uploaded_by,
    file_name: str,
    data: bytes,
    time_zone: str,
    date_format: str | None,
    client_address: str | None = None,
) -> Import:
    connection = team.connection
    job = Import(
        team=team,
        connection=connection,
        account_key=connection.account_key,
        uploaded_by=uploaded_by,
        file_name=safe_file_name(file_name),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        time_zone=time_zone,
        date_format=date_format or "",
        date_format_chosen=bool(date_format),
    )
    check = _check(job, data)
    if _never_sendable(check):
        # Kept to be seen once, with its message, but never a preview that
        # waits for a confirmation it cannot get.
        job.state = ImportState.REFUSED
        job.message = "This file cannot be sent, and no time zone or date format would change that."
        job.finished_at = timezone.now()
    with transaction.atomic():
        job.original.save("original", ContentFile(data), save=False)
        job.save()
        _store_parts(job, check)
        _store_rows(job, check)
        audit.record(
            Action.UPLOADED,
            user=uploaded_by,
            client_address=client_address,
            import_job=job,
            detail=f"{job.file_name} for team {team.name}: {job.size:,} bytes, {job.rows:,} rows",
        )
    return job


def _never_sendable(check: schedule_file.ScheduleCheck) -> bool:
    """No time zone or date format chosen on the preview can make the file
    sendable: it is not a readable CSV schedule, or it has no row at all."""
    return not check.readable or check.summary.rows == 0


def import_recheck(*, job: Import, time_zone: str, date_format: str | None) -> Import:
    """Checks the kept file again with another time zone or date format."""
    if job.state != ImportState.PREVIEW:
        raise ActionRefused("This import was already confirmed; upload the file again to change how it is read.")
    job.time_zone = time_zone
    job.date_format = date_format or ""
    job.date_format_chosen = bool(date_format)
    with job.original.open("rb") as stored:
        data = stored.read()
    check = _check(job, data)
    with transaction.atomic():
        job.save()
        _store_parts(job, check)
        _store_rows(job, check)
    return job


def previews_expire(*, now=None) -> int:
    """Expires the previews left unconfirmed past PORTAL_PREVIEW_EXPIRY_DAYS;
    returns how many."""
    from django.conf import settings

    days = settings.PORTAL_PREVIEW_EXPIRY_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    expired = 0
    for job in Import.objects.filter(state=ImportState.PREVIEW, created_at__lt=cutoff).defer("findings"):
        expired += lifecycle.import_expire(job=job, days=days)
    return expired


def import_confirm(*, job: Import, actor, warnings_acknowledged: bool, client_address: str | None = None) -> Import:
    if job.state != ImportState.PREVIEW:
        raise ActionRefused("This import was already confirmed or cancelled.")
    if job.error_count:
        raise ActionRefused("Fix the errors in the file and upload it again: a file with errors cannot be sent.")
    if not job.rows:
        raise ActionRefused("The file has no schedule rows to send.")
    if job.warning_count and not warnings_acknowledged:
        raise ActionRefused("Read the warnings and tick the box to confirm you want to send the file as it is.")
    with transaction.atomic():
        Import.objects.filter(pk=job.pk).update(warnings_acknowledged=bool(job.warning_count))
        if not lifecycle.import_queue(job=job, actor=actor):
            raise ActionRefused("This import was already confirmed or cancelled.")
        audit.record(
            Action.CONFIRMED,
            user=actor,
            client_address=client_address,
            import_job=job,
            detail=f"{job.file_name}: {job.rows:,} rows" + (", warnings acknowledged" if job.warning_count else ""),
        )
        account_key = job.account_key
        # Once committed the import is queued, broker or not; if the message
        # cannot be sent, the reconciler wakes the account instead.
        enqueue.account_advance_on_commit(account_key)
    return job


def import_cancel(*, job: Import, actor, client_address: str | None = None) -> Import:
    with transaction.atomic():
        if not lifecycle.import_cancel(job=job, actor=actor):
            raise ActionRefused("Only an import that has not been sent yet can be cancelled.")
        audit.record(Action.CANCELLED, user=actor, client_address=client_address, import_job=job, detail=job.file_name)
    return job


def client_for(connection: TalkdeskConnection) -> TalkdeskClient:
    from django.conf import settings

    from imports.wfm.talkdesk.client import Scopes

    custom = connection.region == TalkdeskConnection.Region.CUSTOM
    return TalkdeskClient(
        account=connection.account,
        client_id=connection.client_id,
        client_secret=connection.client_secret(),
        region="us" if custom else connection.region,
        base_url=connection.base_url if custom else None,
        scopes=Scopes(
            write=settings.TALKDESK_SCOPE_WRITE,
            read=settings.TALKDESK_SCOPE_READ,
            users=settings.TALKDESK_SCOPE_USERS,
        ),
        timeout=(settings.TALKDESK_CONNECT_TIMEOUT_SECONDS, settings.TALKDESK_READ_TIMEOUT_SECONDS),
    )


# What an admin edits on a connection, named in the audit log when it changes.
CONNECTION_FIELDS = (
    "name",
    "account",
    "region",
    "base_url",
    "client_id",
    "default_time_zone",
    "default_date_format",
    "event_types",
)


def connection_save(
    *, connection: TalkdeskConnection, client_secret: str | None, actor=None, client_address: str | None = None
) -> TalkdeskConnection:
    before = (
        TalkdeskConnection.objects.filter(pk=connection.pk).values(*CONNECTION_FIELDS).first()
        if connection.pk
        else None
    )
    if client_secret:
        connection.set_client_secret(client_secret)
    if not connection.client_secret_encrypted:
        raise ActionRefused("Enter the OAuth client secret.")
    changed = [name for name in CONNECTION_FIELDS if before is not None and before[name] != getattr(connection, name)]
    if client_secret:
        changed.append("client secret")
    with transaction.atomic():
        connection.save()
        if before is None:
            audit.record(
                Action.CONNECTION_ADDED,
                user=actor,
                client_address=client_address,
                connection=connection,
                detail=f"{connection.name}: account {connection.account}, client {connection.client_id}",
            )
        elif changed:
            audit.record(
                Action.CONNECTION_CHANGED,
                user=actor,
                client_address=client_address,
                connection=connection,
                detail=f"{connection.name}: {', '.join(changed)} changed",
            )
    return connection


def connection_test(*, connection: TalkdeskConnection, actor=None, client_address: str | None = None):
    """Fetches a token and reports which scopes the client has and lacks."""
    try:
        diagnosis = client_for(connection).diagnose()
    except (TalkdeskError, secret_box.SecretUnreadable) as error:
        audit.record(
            Action.CONNECTION_TESTED,
            user=actor,
            client_address=client_address,
            connection=connection,
            detail=f"failed: {getattr(error, 'message', None) or error}",
        )
        raise
    with transaction.atomic():
        TalkdeskConnection.objects.filter(pk=connection.pk).update(
            granted_scopes=sorted(diagnosis.granted), last_tested_at=timezone.now()
        )
        audit.record(
            Action.CONNECTION_TESTED,
            user=actor,
            client_address=client_address,
            connection=connection,
            detail=f"scopes granted: {', '.join(sorted(diagnosis.granted)) or 'none'}"
            + (f"; missing: {', '.join(problem.scope for problem in diagnosis.missing)}" if diagnosis.missing else ""),
        )
    return diagnosis


def connection_secrets_reseal() -> tuple[list[str], list[str]]:
    """Seals every stored client secret again under the first configured key.
    Returns the names of the connections resealed and of those no key opens."""
    from django.conf import settings

    resealed, unreadable = [], []
    for connection in TalkdeskConnection.objects.order_by("name"):
        try:
            sealed = secret_box.reseal(connection.client_secret_encrypted, settings.PORTAL_ENCRYPTION_KEYS)
        except secret_box.SecretUnreadable:
            unreadable.append(connection.name)
            continue
        with transaction.atomic():
            TalkdeskConnection.objects.filter(pk=connection.pk).update(client_secret_encrypted=sealed)
            audit.record(Action.SECRETS_RESEALED, connection=connection, detail=connection.name)
        resealed.append(connection.name)
    return resealed, unreadable


def connection_sync_agents(*, connection: TalkdeskConnection, actor=None, client_address: str | None = None) -> str:
    """Replaces the connection's agents with Talkdesk's current list; asked
    for by a person, it is in the audit log, as a test of the connection is."""
    try:
        agents = client_for(connection).active_agents()
    except TalkdeskError as error:
        TalkdeskConnection.objects.filter(pk=connection.pk).update(agents_sync_message=error.message)
        if actor is not None:
            audit.record(
                Action.AGENTS_SYNCED,
                user=actor,
                client_address=client_address,
                connection=connection,
                detail=f"failed: {error.message}",
            )
        raise ActionRefused(error.message) from error
    with transaction.atomic():
        connection.agents.all().delete()
        ConnectionAgent.objects.bulk_create(
            ConnectionAgent(
                connection=connection, email=a.email.lower(), name=a.name, talkdesk_id=a.id, active=a.active
            )
            for a in {a.email.lower(): a for a in agents}.values()
        )
        message = f"{len(agents):,} active agents synced from Talkdesk."
        TalkdeskConnection.objects.filter(pk=connection.pk).update(
            agents_synced_at=timezone.now(), agents_sync_message=message
        )
        if actor is not None:
            audit.record(
                Action.AGENTS_SYNCED, user=actor, client_address=client_address, connection=connection, detail=message
            )
    return message


def part_resend(*, part: ImportPart, actor, client_address: str | None = None) -> ImportPart:
    with transaction.atomic():
        if not lifecycle.part_resend(part=part, actor=actor):
            raise ActionRefused("Only a part that needs attention can be sent again.")
        audit.record(
            Action.RESENT,
            user=actor,
            client_address=client_address,
            import_job=part.import_job,
            detail=f"part {part.number}",
        )
        account_key = part.account_key
        # Once committed the import is queued, broker or not; if the message
        # cannot be sent, the reconciler wakes the account instead.
        enqueue.account_advance_on_commit(account_key)
    return part


def part_mark_imported(*, part: ImportPart, actor, client_address: str | None = None) -> ImportPart:
    with transaction.atomic():
        if not lifecycle.part_mark_imported(part=part, actor=actor):
            raise ActionRefused("Only a part that needs attention can be marked as imported.")
        audit.record(
            Action.MARKED_IMPORTED,
            user=actor,
            client_address=client_address,
            import_job=part.import_job,
            detail=f"part {part.number}",
        )
        # The rest of a split file may go now.
        account_key = part.account_key
        enqueue.account_advance_on_commit(account_key)
    return part


def connection_learn_event_types(*, connection: TalkdeskConnection, names: list[str]) -> list[str]:
    """Adds event type names Talkdesk is known to accept to the connection's list."""
    with transaction.atomic():
        locked = TalkdeskConnection.objects.select_for_update().get(pk=connection.pk)
        known = list(locked.event_types or [])
        learned = [name for name in names if name and name not in known]
        if learned:
            locked.event_types = known + learned
            locked.save(update_fields=["event_types", "updated_at"])
    return learned


def person_settings_save(*, user, time_zone: str) -> PersonSettings:
    """Blank time_zone: the zone of the person's team's connection."""
    chosen, _ = PersonSettings.objects.update_or_create(user=user, defaults={"time_zone": time_zone})
    return chosen
