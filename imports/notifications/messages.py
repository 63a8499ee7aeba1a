"""What each e-mail says: a subject that tells the news alone, and one link
to the import."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from imports.models import Import
from imports.notifications.models import Kind, Notification
from imports.states import label_for
from imports.wfm.talkdesk.error_report import read_error_report


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def import_link(job: Import) -> str:
    return settings.PORTAL_URL.rstrip("/") + reverse("imports:detail", kwargs={"pk": job.pk})


def failed_row_count(job: Import) -> int:
    count = 0
    for part in job.parts.exclude(error_report=""):
        with part.error_report.open("rb") as stored:
            count += len(read_error_report(stored.read()))
    return count


def compose(notification: Notification) -> Message:
    job = notification.import_job
    name = job.file_name
    # Talkdesk or Genesys Cloud, and the connection's name the team knows it by.
    wfm = f"{job.connection.get_kind_display()} ({job.connection.name})"
    vendor = job.connection.get_kind_display()
    kind = Kind(notification.kind)
    if kind == Kind.IMPORTED:
        subject = f"Imported: {name}"
        news = f"Every row of {name} ({job.rows} rows, team {job.team.name}) is in {wfm}."
    elif kind == Kind.IMPORTED_WITH_ERRORS:
        failed = failed_row_count(job)
        rows = f"{failed} row{'' if failed == 1 else 's'}" if failed else "some rows"
        subject = f"Imported with errors: {name} ({rows} not imported)"
        news = (
            f"{wfm} imported {name} but rejected {rows} of {job.rows}. "
            f"The import's page lists each rejected row with {vendor}'s reason."
        )
    elif kind == Kind.NOT_IMPORTED:
        subject = f"{label_for(job.get_state_display(), wfm=vendor)}: {name}"
        news = f"{name} was not imported into {wfm}."
        if job.message:
            news += f"\n\n{job.message}"
    elif kind == Kind.AWAITING_APPROVAL:
        subject = f"Waiting for your approval: {name}"
        news = (
            f"{job.uploaded_by.get_username()} confirmed {name} ({job.rows} rows) for team {job.team.name}. "
            f"It is sent to {vendor} only once another supervisor of the team or an admin approves it."
        )
    else:
        subject = f"Needs an admin's attention: {name}"
        news = f"{name} (team {job.team.name}) needs an admin's decision before it can go on."
        if job.message:
            news += f"\n\n{job.message}"
    body = (
        f"{news}\n\nOpen the import: {import_link(job)}\n\n"
        f"-- \nYou receive this because of your e-mail choices: "
        f"{settings.PORTAL_URL.rstrip('/')}{reverse('notifications:preferences')}\n"
    )
    return Message(subject=subject, body=body)
