import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from imports import secret_box
from imports.schedule.check import DATE_FORMATS, DEFAULT_DATE_FORMAT
from imports.states import PART_IN_FLIGHT, ImportState, PartState

DATE_FORMAT_CHOICES = [(f, f) for f in DATE_FORMATS]


class Connection(models.Model):
    """One WFM the portal sends schedules to, of a kind (Talkdesk or Genesys
    Cloud), and the OAuth client the portal uses for it."""

    class Kind(models.TextChoices):
        TALKDESK = "talkdesk", "Talkdesk"
        GENESYS = "genesys", "Genesys Cloud"

    class Region(models.TextChoices):
        US = "us", "Talkdesk United States (talkdeskapp.com)"
        EU = "eu", "Talkdesk Europe (talkdeskapp.eu)"
        CA = "ca", "Talkdesk Canada (talkdeskappca.com)"
        US_EAST_1 = "us-east-1", "Genesys Cloud Americas (US East), mypurecloud.com"
        US_EAST_2 = "us-east-2", "Genesys Cloud Americas (US East 2, FedRAMP), use2.us-gov-pure.cloud"
        US_WEST_2 = "us-west-2", "Genesys Cloud Americas (US West), usw2.pure.cloud"
        CA_CENTRAL_1 = "ca-central-1", "Genesys Cloud Americas (Canada), cac1.pure.cloud"
        SA_EAST_1 = "sa-east-1", "Genesys Cloud Americas (São Paulo), sae1.pure.cloud"
        MX_CENTRAL_1 = "mx-central-1", "Genesys Cloud Americas (Mexico), mxc1.pure.cloud"
        EU_WEST_1 = "eu-west-1", "Genesys Cloud EMEA (Dublin), mypurecloud.ie"
        EU_WEST_2 = "eu-west-2", "Genesys Cloud EMEA (London), euw2.pure.cloud"
        EU_CENTRAL_1 = "eu-central-1", "Genesys Cloud EMEA (Frankfurt), mypurecloud.de"
        EU_CENTRAL_2 = "eu-central-2", "Genesys Cloud EMEA (Zurich), euc2.pure.cloud"
        ME_CENTRAL_1 = "me-central-1", "Genesys Cloud EMEA (UAE), mec1.pure.cloud"
        AP_SOUTH_1 = "ap-south-1", "Genesys Cloud Asia Pacific (Mumbai), aps1.pure.cloud"
        AP_SOUTHEAST_1 = "ap-southeast-1", "Genesys Cloud Asia Pacific (Jakarta), apse1.pure.cloud"
        AP_SOUTHEAST_2 = "ap-southeast-2", "Genesys Cloud Asia Pacific (Sydney), mypurecloud.com.au"
        AP_NORTHEAST_1 = "ap-northeast-1", "Genesys Cloud Asia Pacific (Tokyo), mypurecloud.jp"
        AP_NORTHEAST_2 = "ap-northeast-2", "Genesys Cloud Asia Pacific (Seoul), apne2.pure.cloud"
        AP_NORTHEAST_3 = "ap-northeast-3", "Genesys Cloud Asia Pacific (Osaka), apne3.pure.cloud"
        CUSTOM = "custom", "Custom base URL"

    TALKDESK_REGIONS = ("us", "eu", "ca", "custom")

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TALKDESK)
    account = models.CharField(
        max_length=100, blank=True, help_text="Talkdesk: the account name, as in https://ACCOUNT.mytalkdesk.com."
    )
    region = models.CharField(max_length=20, choices=Region.choices, default=Region.US)
    base_url = models.URLField(blank=True, help_text="Only for a custom region, such as the built-in simulator.")
    client_id = models.CharField(max_length=200)
    client_secret_encrypted = models.TextField(editable=False)
    business_unit_id = models.CharField(
        max_length=100, blank=True, help_text="Genesys Cloud: the id of the business unit the schedules are for."
    )
    # The business unit as Genesys Cloud last described it: its name, the day
    # its weeks start on and its time zone, read at test and sync.
    business_unit_name = models.CharField(max_length=200, blank=True)
    week_starts_on = models.CharField(max_length=10, blank=True)
    business_unit_time_zone = models.CharField(max_length=64, blank=True)
    # Genesys Cloud's activity codes of the business unit, by name: {"Break": {"id": ..., "category": ...}}.
    activity_codes = models.JSONField(default=dict, blank=True)
    default_time_zone = models.CharField(max_length=64, default="UTC")
    default_date_format = models.CharField(max_length=32, choices=DATE_FORMAT_CHOICES, default=DEFAULT_DATE_FORMAT)
    event_types = models.JSONField(default=list, blank=True)
    granted_scopes = models.JSONField(default=list, blank=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    agents_synced_at = models.DateTimeField(null=True, blank=True)
    agents_sync_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def account_key(self) -> str:
        """Identifies what the WFM runs one import at a time for, whichever
        connection points at it: a Talkdesk account, a Genesys Cloud business unit."""
        location = self.base_url.rstrip("/") if self.region == self.Region.CUSTOM else self.region
        if self.kind == self.Kind.GENESYS:
            return f"genesys|{location}|{self.business_unit_id.lower()}"
        return f"{location}|{self.account.lower()}"

    @property
    def where(self) -> str:
        """The connection's WFM in a few words, for pages and messages."""
        if self.kind == self.Kind.GENESYS:
            return f"Genesys Cloud business unit {self.business_unit_name or self.business_unit_id}"
        return f"Talkdesk account {self.account}"

    def set_client_secret(self, secret: str) -> None:
        self.client_secret_encrypted = secret_box.seal(secret, settings.PORTAL_ENCRYPTION_KEYS)

    def client_secret(self) -> str:
        return secret_box.open_sealed(self.client_secret_encrypted, settings.PORTAL_ENCRYPTION_KEYS)


class ConnectionAgent(models.Model):
    """An agent of the connection's WFM, as its users API last listed it."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="agents")
    email = models.EmailField()
    name = models.CharField(max_length=200)
    remote_id = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(fields=["connection", "email"], name="one_agent_per_email")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="teams")
    supervisors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    imports_need_approval = models.BooleanField(
        default=False,
        help_text="A confirmed import waits until another supervisor of the team or an admin approves it.",
    )
    publish_by_default = models.BooleanField(
        default=False, help_text="Genesys Cloud: whether an imported schedule is published, unless the uploader says."
    )
    imported_overlaps_are_errors = models.BooleanField(
        default=False,
        help_text="A row that overlaps an event already imported into the Talkdesk account is an error "
        "that stops the file, not a warning.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _original_path(instance: "Import", filename: str) -> str:
    # Stored under a random name: the planner's file name is kept in the row,
    # never trusted as a path.
    return f"imports/{instance.id}/original"


def _part_path(instance: "ImportPart", filename: str) -> str:
    return f"imports/{instance.import_job_id}/part-{instance.number}.csv"


def _report_path(instance: "ImportPart", filename: str) -> str:
    return f"imports/{instance.import_job_id}/part-{instance.number}-errors.csv"


class Import(models.Model):
    """A schedule file from upload to its final answer from the WFM."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="imports")
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="imports")
    account_key = models.CharField(max_length=300)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="imports")
    file_name = models.CharField(max_length=255)
    original = models.FileField(upload_to=_original_path)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # Of the file as it would be sent: the same schedule saved again, with
    # other spaces, quotes or delimiter, is still the same file.
    normalised_sha256 = models.CharField(max_length=64, blank=True)
    time_zone = models.CharField(max_length=64)
    date_format = models.CharField(max_length=32, blank=True)
    date_format_chosen = models.BooleanField(default=False)
    sheet = models.CharField(
        max_length=255, blank=True, help_text="The workbook's sheet the rows are read from; empty for a CSV file."
    )
    column_mapping = models.JSONField(
        default=dict, blank=True, help_text="Which of the file's columns is which field, as a person mapped them."
    )
    column_mapping_name = models.CharField(
        max_length=100, blank=True, help_text="The team's saved mapping applied, when one was."
    )
    held_rows = models.PositiveIntegerField(
        default=0, help_text="Rows with errors held back when the valid rows alone were sent."
    )
    # Genesys Cloud: import the schedule published, or as a draft.
    published = models.BooleanField(default=False)

    rows = models.PositiveIntegerField(default=0)
    agents = models.PositiveIntegerField(default=0)
    first_start = models.DateTimeField(null=True, blank=True)
    last_end = models.DateTimeField(null=True, blank=True)
    events_by_type = models.JSONField(default=dict)
    # The checks' findings, computed once at upload (or re-check) and read by
    # every page after: {"errors": [...], "warnings": [...], "fixes": [...],
    # "skipped_checks": [...], "date_format_candidates": [...]}.
    findings = models.JSONField(default=dict)
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    warnings_acknowledged = models.BooleanField(default=False)

    state = models.CharField(max_length=24, choices=ImportState.choices, default=ImportState.PREVIEW)
    state_changed_at = models.DateTimeField(auto_now_add=True)
    message = models.TextField(blank=True)
    # While the worker checks the file (state "checking"): how many times a
    # worker took the check, and when the one that holds it last said it was
    # alive; a holder silent for too long died, and the check is taken again.
    check_attempts = models.PositiveSmallIntegerField(default=0)
    check_heartbeat_at = models.DateTimeField(null=True, blank=True)
    # An API upload with confirm=true whose check the worker does: what the
    # request asked ({"warnings_acknowledged": bool, "client_address": str}),
    # so that the import confirms itself once checked; and, when it could not,
    # why (the job that uploaded it reads it in the API's document).
    confirm_when_checked = models.JSONField(null=True, blank=True)
    confirmation_refused = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-created_at"], name="import_newest_first"),
            models.Index(fields=["team", "-created_at"], name="import_team_newest"),
            models.Index(fields=["state", "-created_at"], name="import_state_newest"),
            models.Index(fields=["uploaded_by", "-created_at"], name="import_uploader_newest"),
            models.Index(fields=["account_key", "confirmed_at"], name="import_account_queue"),
            # How many imports are ahead in an account's queue, asked by every
            # live-status poll: read from the few moving ones, not from the
            # account's whole history.
            models.Index(fields=["account_key", "state", "confirmed_at"], name="import_account_state_queue"),
            # Who uploaded to a supervisor's teams, for the history's filter.
            models.Index(fields=["team", "uploaded_by"], name="import_team_uploader"),
            # The same file imported before into the account, asked by every check.
            models.Index(fields=["account_key", "normalised_sha256"], name="import_account_normalised"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"

    @property
    def is_final(self) -> bool:
        return ImportState(self.state).is_final

    @property
    def is_moving(self) -> bool:
        return ImportState(self.state).is_moving

    @property
    def is_checking(self) -> bool:
        return self.state == ImportState.CHECKING

    def _count(self, severity: str, kept: list[dict]) -> int:
        # Imports checked before findings were bounded kept every one.
        counts = self.findings.get("counts")
        return sum(counts[severity].values()) if counts else len(kept)

    @property
    def fix_count(self) -> int:
        return self._count("fix", self.fixes)

    @property
    def findings_complete(self) -> bool:
        """Whether every finding is in `findings`, not only the first of each kind."""
        return self.error_count + self.warning_count + self.fix_count == len(self.errors) + len(self.warnings) + len(
            self.fixes
        )

    @property
    def errors(self) -> list[dict]:
        return self.findings.get("errors", [])

    @property
    def warnings(self) -> list[dict]:
        return self.findings.get("warnings", [])

    @property
    def fixes(self) -> list[dict]:
        return self.findings.get("fixes", [])

    @property
    def sent_rows(self) -> int:
        return self.rows - self.held_rows

    @property
    def can_confirm(self) -> bool:
        return self.state == ImportState.PREVIEW and self.error_count == 0 and self.rows > 0


class ColumnMapping(models.Model):
    """A team's mapping of a file's own columns to Talkdesk's, saved under a
    name and applied by itself to a later file with the same header."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="column_mappings")
    name = models.CharField(max_length=100)
    header_signature = models.CharField(max_length=64)
    header = models.JSONField(default=list, help_text="The header of the file it was made for.")
    columns = models.JSONField(default=dict, help_text="Field -> the file's column name.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__name", "name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="one_mapping_name_per_team")]
        indexes = [models.Index(fields=["team", "header_signature"], name="mapping_team_header")]

    def __str__(self) -> str:
        return f"{self.team}: {self.name}"


class ImportRevision(models.Model):
    """A change a person made to an import's file in the portal: each makes a
    new revision; the original stays as uploaded, and what is checked and
    sent is the original with every change in order."""

    import_job = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(help_text="2 for the first change: revision 1 is the file as uploaded.")
    change = models.JSONField(
        help_text="A cell (row, column, value), a replace-all (column, find, replace) or rows left out (drop_rows)."
    )
    detail = models.CharField(max_length=500)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["import_job", "number"]
        constraints = [models.UniqueConstraint(fields=["import_job", "number"], name="one_revision_per_number")]

    def __str__(self) -> str:
        return f"{self.import_job_id} revision {self.number}"


class ImportPart(models.Model):
    """What is sent to the WFM in one import: for Talkdesk the whole file, or
    one slice of a file over its 5 MB limit; for Genesys Cloud one week of
    the business unit."""

    import_job = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveSmallIntegerField()
    account_key = models.CharField(max_length=300)
    content = models.FileField(upload_to=_part_path)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    state = models.CharField(max_length=24, choices=PartState.choices, default=PartState.WAITING)
    state_changed_at = models.DateTimeField(auto_now_add=True)
    # The WFM's id for the import once it took it: Talkdesk's import id, Genesys's operation id.
    remote_id = models.CharField(max_length=64, blank=True)
    # Genesys Cloud: the business unit's week the part holds, and the
    # description the schedule bears there, by which it is found.
    week_start = models.DateField(null=True, blank=True)
    label = models.CharField(max_length=300, blank=True)
    remote_status = models.CharField(max_length=32, blank=True)
    message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    # The worker holding the part while it is prepared and sent, and when it
    # last said it was alive: a holder silent for too long died, and what
    # happens to its part depends on whether the upload had started.
    held_by = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    polls = models.PositiveIntegerField(default=0)
    # Status checks that failed in a row, which alone set the wait before the
    # next (a long import's earlier good answers must not lengthen it), and
    # since when Talkdesk's answers could not be read: that lasts a bounded
    # time before an admin is asked to look.
    poll_failures = models.PositiveIntegerField(default=0)
    unreadable_since = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    # When the next status check is due: a wake-up that comes well before it
    # is a duplicate (a redelivered or reconciler message) and does nothing.
    next_poll_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_report = models.FileField(upload_to=_report_path, blank=True)
    error_report_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["import_job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["import_job", "number"], name="one_part_per_number"),
            # Talkdesk allows one import per account at a time; the database,
            # not a lock, guarantees that no two workers ever both send.
            models.UniqueConstraint(
                fields=["account_key"],
                condition=Q(state__in=list(PART_IN_FLIGHT)),
                name="one_part_in_flight_per_account",
            ),
        ]
        indexes = [
            models.Index(fields=["account_key", "state"], name="part_account_state"),
            # The account's latest finished parts, which tell how long
            # Talkdesk takes, read at every status check.
            models.Index(fields=["account_key", "-finished_at"], name="part_account_finished"),
        ]

    def __str__(self) -> str:
        return f"part {self.number} of import {self.import_job_id}"


class AcceptedEvent(models.Model):
    """An event Talkdesk accepted through the portal: a row of a part that
    ended Imported, or Imported with errors and not in its error report.
    Recorded once, by the lifecycle move that records the part's final
    state, and kept per Talkdesk account (teams may share one), so that a
    new file can be compared with what is already in Talkdesk.

    Start and end are instants as whole minutes since the epoch (the file
    formats have no seconds), not DateTimeFields: a check reads tens of
    thousands of them, and SQLite's datetimes come back as text that Django
    parses one by one in Python, several times the whole check's time."""

    account_key = models.CharField(max_length=300)
    agent_email = models.CharField(max_length=254)
    start_minute = models.IntegerField()
    end_minute = models.IntegerField()
    event_type = models.CharField(max_length=200)
    import_job = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="accepted_events")
    part = models.ForeignKey(ImportPart, on_delete=models.CASCADE, related_name="accepted_events")
    accepted_at = models.DateTimeField()

    class Meta:
        ordering = ["account_key", "start_minute"]
        indexes = [
            # The events of an account still going on or to come after a
            # moment: what every check and "what changes" view asks for.
            # Schedules are loaded ahead, so the history before the file
            # lies outside the range read. Every column a check reads is in
            # the index, so a file sent again, whose tens of thousands of
            # events all come back, is answered from the index alone instead
            # of a visit to the table for each (both backends: SQLite has no
            # INCLUDE, so they are key columns).
            models.Index(
                fields=[
                    "account_key",
                    "end_minute",
                    "start_minute",
                    "accepted_at",
                    "agent_email",
                    "event_type",
                    "part",
                ],
                name="accepted_account_end_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} for {self.agent_email} at {self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def start(self):
        return datetime.fromtimestamp(self.start_minute * 60, UTC)

    @property
    def end(self):
        return datetime.fromtimestamp(self.end_minute * 60, UTC)


class Transition(models.Model):
    """Every state an import and its parts went through, with its time."""

    import_job = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="transitions")
    part = models.ForeignKey(ImportPart, on_delete=models.CASCADE, null=True, blank=True, related_name="transitions")
    from_state = models.CharField(max_length=24)
    to_state = models.CharField(max_length=24)
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state} at {self.at:%Y-%m-%d %H:%M:%S}"

    @property
    def label(self) -> str:
        states = PartState if self.part_id else ImportState
        return states(self.to_state).label


class AuditEvent(models.Model):
    """Who did what, when and from where: sign-ins, what people do to imports,
    and every change to a Talkdesk connection. Never a secret."""

    class Action(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        LOCKED_OUT = "locked_out", "Locked out after failed sign-ins"
        UPLOADED = "uploaded", "Uploaded a file"
        CONFIRMED = "confirmed", "Confirmed an import"
        CANCELLED = "cancelled", "Cancelled an import"
        APPROVED = "approved", "Approved an import"
        REJECTED = "rejected", "Rejected an import"
        ACCESS_FROM_PROVIDER = "access_from_provider", "Teams and role set by the identity provider"
        NOTIFICATIONS_CHANGED = "notifications_changed", "Changed e-mail notifications"
        RESENT = "resent", "Sent a part again"
        MARKED_IMPORTED = "marked_imported", "Recorded a part as imported"
        REVISED = "revised", "Changed an import's file"
        CONNECTION_ADDED = "connection_added", "Added a connection"
        CONNECTION_CHANGED = "connection_changed", "Changed a connection"
        CONNECTION_TESTED = "connection_tested", "Tested a connection"
        AGENTS_SYNCED = "agents_synced", "Synced a connection's agents"
        SECRETS_RESEALED = "secrets_resealed", "Re-encrypted a client secret under the new key"
        COLUMNS_MAPPED = "columns_mapped", "Mapped a file's columns"
        MAPPING_SAVED = "mapping_saved", "Saved a column mapping"
        MAPPING_DELETED = "mapping_deleted", "Deleted a column mapping"
        CELL_EDITED = "cell_edited", "Changed a cell of a file"
        REPLACED_ALL = "replaced_all", "Replaced a value in a column of a file"
        CHECKED = "checked", "Checked a file without keeping it"
        API_READ = "api_read", "Read through the API"
        API_KEY_CREATED = "api_key_created", "Created an API key"
        API_KEY_REVOKED = "api_key_revoked", "Revoked an API key"
        WEBHOOK_ADDED = "webhook_added", "Added a webhook endpoint"
        WEBHOOK_CHANGED = "webhook_changed", "Changed a webhook endpoint"
        WEBHOOK_RESENT = "webhook_resent", "Sent a webhook again"

    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=32, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    # As typed for a failed sign-in, and kept when the user is deleted.
    username = models.CharField(max_length=150, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    import_job = models.ForeignKey(
        Import, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    connection = models.ForeignKey(
        Connection, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at"], name="audit_newest_first"),
            models.Index(fields=["action", "-at"], name="audit_action_newest"),
            models.Index(fields=["username", "-at"], name="audit_username_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or 'the portal'}: {self.get_action_display()}"


class PersonSettings(models.Model):
    """How the portal shows things to one person."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_settings")
    # Blank: the zone of the person's team's Talkdesk connection.
    time_zone = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"settings of {self.user}"


# The API's and the webhooks' models live beside their code and belong to
# this app; Django finds an app's models through this module.
from imports.api.models import ApiKey, IdempotentRequest  # noqa: E402
from imports.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage  # noqa: E402

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Connection",
    "ConnectionAgent",
    "IdempotentRequest",
    "Import",
    "ImportPart",
    "PersonSettings",
    "Team",
    "Transition",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WebhookMessage",
]
