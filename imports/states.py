"""The states an import and each of its parts can be in, and the moves allowed
between them. `imports.lifecycle` is the only code that moves them."""

from django.db import models


def label_for(label: str, *, wfm: str) -> str:
    """A state's label for an import to another WFM: the labels below name
    Talkdesk, the first WFM, and read as true only for its imports."""
    return label.replace("Talkdesk", wfm)


class PartState(models.TextChoices):
    WAITING = "waiting", "Waiting its turn"
    # A worker holds the account's slot for the part but has sent nothing yet:
    # if it dies here, the part can safely wait its turn again.
    PREPARING = "preparing", "Getting ready to send"
    # The upload has started: from here on Talkdesk may have the file.
    SENDING = "sending", "Sending to Talkdesk"
    PROCESSING = "processing", "Talkdesk is processing"
    IMPORTED = "imported", "Imported"
    IMPORTED_WITH_ERRORS = "imported_with_errors", "Imported with errors"
    ERROR = "error", "Failed in Talkdesk"
    # Only for a part that provably never reached Talkdesk.
    FAILED = "failed", "Not sent"
    STALLED = "stalled", "Stalled in Talkdesk"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    SKIPPED = "skipped", "Not sent"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_PART_STATES


_FINAL_PART_STATES = {
    PartState.IMPORTED,
    PartState.IMPORTED_WITH_ERRORS,
    PartState.ERROR,
    PartState.FAILED,
    PartState.STALLED,
    PartState.SKIPPED,
}

# The states in which a part holds its account's single slot.
PART_IN_FLIGHT = (PartState.PREPARING, PartState.SENDING, PartState.PROCESSING)

PART_MOVES: dict[PartState, set[PartState]] = {
    PartState.WAITING: {PartState.PREPARING, PartState.SKIPPED},
    PartState.PREPARING: {PartState.SENDING, PartState.WAITING, PartState.FAILED},
    # Back to WAITING only when Talkdesk provably received nothing.
    PartState.SENDING: {PartState.PROCESSING, PartState.WAITING, PartState.FAILED, PartState.NEEDS_ATTENTION},
    # Talkdesk acknowledged the file: never FAILED ("Not sent") from here.
    PartState.PROCESSING: {
        PartState.IMPORTED,
        PartState.IMPORTED_WITH_ERRORS,
        PartState.ERROR,
        PartState.STALLED,
        PartState.NEEDS_ATTENTION,
    },
    # An admin decides: send again, or record that Talkdesk did get it.
    PartState.NEEDS_ATTENTION: {PartState.WAITING, PartState.IMPORTED, PartState.SKIPPED},
    PartState.IMPORTED: set(),
    PartState.IMPORTED_WITH_ERRORS: set(),
    PartState.ERROR: set(),
    PartState.FAILED: set(),
    PartState.STALLED: set(),
    PartState.SKIPPED: set(),
}


class ImportState(models.TextChoices):
    # A file over CHECK_IN_WEB_MAX_BYTES waits here while the worker checks
    # it; nothing about its rows or problems is known yet.
    CHECKING = "checking", "Checking the file"
    PREVIEW = "preview", "Awaiting confirmation"
    # Confirmed by its uploader in a team whose imports need a second pair of
    # eyes: it joins the queue only when another supervisor or an admin approves.
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending to Talkdesk"
    PROCESSING = "processing", "Talkdesk is processing"
    IMPORTED = "imported", "Imported"
    IMPORTED_WITH_ERRORS = "imported_with_errors", "Imported with errors"
    ERROR = "error", "Failed in Talkdesk"
    FAILED = "failed", "Not sent"
    STALLED = "stalled", "Stalled in Talkdesk"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    CANCELLED = "cancelled", "Cancelled"
    # A file that no choice on the preview can make sendable (not a CSV, no
    # header, no rows): kept to be seen once, left out of the usual history.
    REFUSED = "refused", "Refused"
    # A preview nobody confirmed within PORTAL_PREVIEW_EXPIRY_DAYS.
    EXPIRED = "expired", "Expired unconfirmed"
    REJECTED = "rejected", "Rejected"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_IMPORT_STATES

    @property
    def is_moving(self) -> bool:
        return self in (ImportState.QUEUED, ImportState.SENDING, ImportState.PROCESSING)


_FINAL_IMPORT_STATES = {
    ImportState.IMPORTED,
    ImportState.IMPORTED_WITH_ERRORS,
    ImportState.ERROR,
    ImportState.FAILED,
    ImportState.STALLED,
    ImportState.CANCELLED,
    ImportState.REFUSED,
    ImportState.EXPIRED,
    ImportState.REJECTED,
}

# Moves a person makes, and the one the clock makes for them: a preview left
# unconfirmed expires.
IMPORT_MOVES_BY_PERSON: dict[ImportState, set[ImportState]] = {
    ImportState.CHECKING: {ImportState.CANCELLED},
    ImportState.PREVIEW: {
        ImportState.QUEUED,
        ImportState.AWAITING_APPROVAL,
        ImportState.CANCELLED,
        ImportState.EXPIRED,
    },
    # Approved, it joins the queue; rejected, it ends with the approver's reason;
    # its uploader may still withdraw it.
    ImportState.AWAITING_APPROVAL: {ImportState.QUEUED, ImportState.REJECTED, ImportState.CANCELLED},
    ImportState.QUEUED: {ImportState.CANCELLED},
}

# States in which the import's parts are not its state's source: a person
# moves it, and the parts wait or are skipped.
IMPORT_STATES_SET_BY_PEOPLE = (
    ImportState.PREVIEW,
    ImportState.AWAITING_APPROVAL,
    ImportState.CANCELLED,
    ImportState.REJECTED,
)


def import_state_from_parts(part_states: list[PartState]) -> ImportState:
    """Once confirmed, an import is where its parts are."""
    states = set(part_states)
    if PartState.NEEDS_ATTENTION in states:
        return ImportState.NEEDS_ATTENTION
    if states & {PartState.PREPARING, PartState.SENDING}:
        return ImportState.SENDING
    if PartState.PROCESSING in states:
        return ImportState.PROCESSING
    if states <= {PartState.WAITING}:
        return ImportState.QUEUED
    if PartState.WAITING in states:
        # Between two parts of a split file: still on its way.
        return ImportState.PROCESSING
    if PartState.STALLED in states:
        return ImportState.STALLED
    if PartState.FAILED in states:
        return ImportState.FAILED
    if PartState.ERROR in states:
        return ImportState.ERROR
    if PartState.IMPORTED_WITH_ERRORS in states:
        return ImportState.IMPORTED_WITH_ERRORS
    if states == {PartState.SKIPPED}:
        return ImportState.CANCELLED
    return ImportState.IMPORTED


# A large file is checked by the worker: on upload, or when the planner has
# it read again with another time zone or date format.
IMPORT_CHECK_MOVES: dict[ImportState, set[ImportState]] = {
    ImportState.PREVIEW: {ImportState.CHECKING},
    ImportState.CHECKING: {ImportState.PREVIEW},
}
