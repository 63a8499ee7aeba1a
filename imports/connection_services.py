"""Writes about a WFM connection: saving it (the secret sealed), testing it,
syncing its agents and catalogue, resealing secrets, and the client of its
kind that delivery speaks through."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from imports import audit, recovery, secret_box
from imports.models import AuditEvent, Connection, ConnectionAgent
from imports.refusals import ActionRefused
from imports.wfm import registry
from imports.wfm.base import ConnectionSettings, Directory, Refused, Wfm, WfmError

Action = AuditEvent.Action


def directory_of(connection: Connection) -> Directory:
    """What the portal knows of the connection's WFM, to cut a file into what it takes."""
    return Directory(
        agent_ids=dict(connection.agents.filter(active=True).values_list("email", "remote_id")),
        event_types=dict(connection.activity_codes or {}),
        week_starts_on=connection.week_starts_on,
        time_zone=connection.business_unit_time_zone,
    )


def wfm_for(connection: Connection) -> Wfm:
    """The connection's WFM, spoken to by the package of its kind."""
    custom = connection.region == Connection.Region.CUSTOM
    return registry.open_wfm(
        ConnectionSettings(
            kind=connection.kind,
            client_id=connection.client_id,
            client_secret=connection.client_secret(),
            region=connection.region,
            base_url=connection.base_url if custom else None,
            account=connection.account,
            business_unit_id=connection.business_unit_id,
            connect_timeout=settings.TALKDESK_CONNECT_TIMEOUT_SECONDS,
            read_timeout=settings.TALKDESK_READ_TIMEOUT_SECONDS,
            scopes=(settings.TALKDESK_SCOPE_WRITE, settings.TALKDESK_SCOPE_READ, settings.TALKDESK_SCOPE_USERS),
        )
    )


# What an admin edits on a connection, named in the audit log when it changes.
CONNECTION_FIELDS = (
    "name",
    "kind",
    "account",
    "region",
    "base_url",
    "client_id",
    "business_unit_id",
    "default_time_zone",
    "default_date_format",
    "event_types",
)


def connection_save(
    *, connection: Connection, client_secret: str | None, actor=None, client_address: str | None = None
) -> Connection:
    before = Connection.objects.filter(pk=connection.pk).values(*CONNECTION_FIELDS).first() if connection.pk else None
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
                detail=f"{connection.name}: {connection.where}, client {connection.client_id}",
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


def _usable_wfm(connection: Connection) -> Wfm:
    """The connection's WFM, or a refusal saying what in the connection keeps
    it from being one (a setting stored before it was checked, a secret no
    configured key opens)."""
    try:
        return wfm_for(connection)
    except secret_box.SecretUnreadable as error:
        raise ActionRefused(
            f"The client secret of connection {connection.name} cannot be read with the portal's encryption keys "
            f"({error}). Enter the secret again in the connection's settings."
        ) from error
    except ValueError as error:
        raise ActionRefused(
            f"Connection {connection.name} cannot be used as it is: {error} Correct it in the connection's settings."
        ) from error


def connection_test(*, connection: Connection, actor=None, client_address: str | None = None):
    """Signs in and reports what the client may and may not do; for a WFM
    that lists them, keeps its event types and planning week too. Raises
    ActionRefused with the WFM's or the connection's problem, in its words."""
    try:
        wfm = _usable_wfm(connection)
        diagnosis = wfm.diagnose()
    except (WfmError, ActionRefused) as error:
        message = error.message if isinstance(error, WfmError) else str(error)
        audit.record(
            Action.CONNECTION_TESTED,
            user=actor,
            client_address=client_address,
            connection=connection,
            detail=f"failed: {message}",
        )
        raise ActionRefused(message) from error
    catalogue = None
    if registry.vendor(connection.kind).lists_event_types:
        try:
            catalogue = wfm.catalogue()
        except Refused as error:
            # A client without the look-up permissions is diagnosed, not
            # failed: the diagnosis already names what it lacks.
            if error.http_status != 403:
                raise ActionRefused(error.message) from error
        except WfmError as error:
            raise ActionRefused(error.message) from error
    with transaction.atomic():
        Connection.objects.filter(pk=connection.pk).update(
            granted_scopes=sorted(diagnosis.granted), last_tested_at=timezone.now()
        )
        recovery.account_reached(account_key=connection.account_key)
        if catalogue is not None:
            _keep_catalogue(connection, catalogue)
        missing = ", ".join(problem.permission for problem in diagnosis.missing)
        audit.record(
            Action.CONNECTION_TESTED,
            user=actor,
            client_address=client_address,
            connection=connection,
            detail=(
                f"scopes granted: {', '.join(sorted(diagnosis.granted)) or 'none'}"
                if diagnosis.granted or connection.kind == Connection.Kind.TALKDESK
                else "signed in"
            )
            + (f"; missing: {missing}" if missing else ""),
        )
    return diagnosis


def _keep_catalogue(connection: Connection, catalogue) -> None:
    Connection.objects.filter(pk=connection.pk).update(
        activity_codes=catalogue.event_types,
        business_unit_name=catalogue.unit_name,
        week_starts_on=catalogue.week_starts_on,
        business_unit_time_zone=catalogue.time_zone,
    )
    connection.activity_codes = catalogue.event_types
    connection.business_unit_name = catalogue.unit_name
    connection.week_starts_on = catalogue.week_starts_on
    connection.business_unit_time_zone = catalogue.time_zone


def connection_secrets_reseal() -> tuple[list[str], list[str]]:
    """Seals every stored client secret again under the first configured key.
    Returns the names of the connections resealed and of those no key opens."""
    from django.conf import settings

    resealed, unreadable = [], []
    for connection in Connection.objects.order_by("name"):
        try:
            sealed = secret_box.reseal(connection.client_secret_encrypted, settings.PORTAL_ENCRYPTION_KEYS)
        except secret_box.SecretUnreadable:
            unreadable.append(connection.name)
            continue
        with transaction.atomic():
            Connection.objects.filter(pk=connection.pk).update(client_secret_encrypted=sealed)
            audit.record(Action.SECRETS_RESEALED, connection=connection, detail=connection.name)
        resealed.append(connection.name)
    return resealed, unreadable


def connection_sync_agents(*, connection: Connection, actor=None, client_address: str | None = None) -> str:
    """Replaces the connection's agents with the WFM's current list, and,
    where the WFM lists them, its event types and planning week. Asked for by
    a person, it is in the audit log, as a test of the connection is."""
    vendor = registry.vendor(connection.kind)
    try:
        wfm = _usable_wfm(connection)
        agents = wfm.active_agents()
        catalogue = wfm.catalogue() if vendor.lists_event_types else None
    except ActionRefused as refusal:
        Connection.objects.filter(pk=connection.pk).update(agents_sync_message=str(refusal)[:500])
        raise
    except WfmError as error:
        Connection.objects.filter(pk=connection.pk).update(agents_sync_message=error.message[:500])
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
            ConnectionAgent(connection=connection, email=a.email.lower(), name=a.name, remote_id=a.id, active=a.active)
            for a in {a.email.lower(): a for a in agents}.values()
        )
        message = f"{len(agents):,} active agents synced from {vendor.name}."
        if catalogue is not None:
            _keep_catalogue(connection, catalogue)
            message += f" {len(catalogue.event_types):,} activity codes."
        Connection.objects.filter(pk=connection.pk).update(agents_synced_at=timezone.now(), agents_sync_message=message)
        recovery.account_reached(account_key=connection.account_key)
        if actor is not None:
            audit.record(
                Action.AGENTS_SYNCED, user=actor, client_address=client_address, connection=connection, detail=message
            )
    return message


def connection_learn_event_types(*, connection: Connection, names: list[str]) -> list[str]:
    """Adds event type names the WFM is known to accept to the connection's list."""
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        known = list(locked.event_types or [])
        learned = [name for name in names if name and name not in known]
        if learned:
            locked.event_types = known + learned
            locked.save(update_fields=["event_types", "updated_at"])
    return learned
