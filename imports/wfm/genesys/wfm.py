"""Genesys Cloud behind the portal's WFM seam: a checked file cut into the
business unit's weeks, each week one import, followed through the week's
schedules; look-ups kept as the connection's catalogue."""

from __future__ import annotations

from datetime import date

from imports.schedule.check import ScheduleCheck
from imports.wfm.base import (
    Agent,
    Answer,
    Catalogue,
    ConnectionSettings,
    Diagnosis,
    Directory,
    Outgoing,
    PartContent,
    Refused,
    WfmError,
)
from imports.wfm.genesys import schedule
from imports.wfm.genesys.client import GenesysClient, gzip_json


class GenesysWfm:
    name = "Genesys Cloud"

    def __init__(self, settings: ConnectionSettings) -> None:
        custom = settings.region == "custom"
        self.client = GenesysClient(
            region="us-east-1" if custom else settings.region,
            base_url=settings.base_url if custom else None,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            business_unit_id=settings.business_unit_id,
            timeout=(settings.connect_timeout, settings.read_timeout),
        )

    def sign_in(self) -> None:
        self.client.sign_in()

    def upload(self, outgoing: Outgoing) -> str:
        if outgoing.week_start is None:
            raise Refused("This part has no business unit week; upload the file again.")
        return self.client.upload(week=outgoing.week_start, body=outgoing.content, file_name=outgoing.file_name)

    def status(self, remote_id: str, outgoing: Outgoing) -> Answer:
        if outgoing.week_start is None:
            raise Refused("This part has no business unit week, so its schedule cannot be looked for.")
        return Answer(status=self.client.status(week=outgoing.week_start, description=outgoing.label))

    def download_report(self, url: str) -> bytes:
        raise Refused("Genesys Cloud gives no error report file.")

    def active_agents(self) -> list[Agent]:
        return self.client.active_agents()

    def catalogue(self) -> Catalogue:
        unit = self.client.business_unit()
        codes = {
            code.name: {"id": code.id, "category": code.category, "length_in_minutes": code.length_in_minutes}
            for code in self.client.activity_codes()
        }
        return Catalogue(
            event_types=codes, unit_name=unit.name, week_starts_on=unit.start_day_of_week, time_zone=unit.time_zone
        )

    def diagnose(self) -> Diagnosis:
        return self.client.diagnose()

    def warnings(self, parts: list[PartContent]) -> list[str]:
        found: list[str] = []
        for part in parts:
            if part.week_start is None:
                continue
            try:
                held = self.client.week_schedules(part.week_start)
            except WfmError:
                # A look-up that fails only loses a warning; sending will say more.
                return found
            for existing in held:
                found.append(
                    f"The week of {_day(part.week_start)} already holds the schedule “{existing.description}” "
                    f"({'published' if existing.published else 'not published'}) in Genesys Cloud; "
                    "importing adds another schedule for the week."
                )
        return found


def _day(day: date) -> str:
    return f"{day:%A} {day.isoformat()}"


def cut(check: ScheduleCheck, directory: Directory, *, description: str, published: bool) -> list[PartContent]:
    """One part per business-unit week, each a gzip-compressed import document."""
    if not directory.week_starts_on or not directory.time_zone:
        raise Refused(
            "The portal does not know the Genesys Cloud business unit's weeks yet: an admin runs "
            "Test connection or Sync agents on the connection first."
        )
    events, unknown_agents, unknown_types = [], set(), set()
    for row in check.rows:
        if row.start is None or row.end is None:
            continue
        email = row.agent_email.lower()
        if email not in directory.agent_ids:
            unknown_agents.add(row.agent_email)
        if row.event_type.lower() not in {name.lower() for name in directory.event_types}:
            unknown_types.add(row.event_type)
        events.append(schedule.Event(row=row.row, email=email, start=row.start, end=row.end, event_type=row.event_type))
    if unknown_agents:
        raise Refused(
            "Genesys Cloud imports schedules by user id, and the portal knows none for "
            + ", ".join(sorted(unknown_agents)[:10])
            + ". An admin syncs the connection's agents, then the file is checked again."
        )
    if unknown_types:
        raise Refused(
            "These event types are not activity codes of the business unit: " + ", ".join(sorted(unknown_types)) + "."
        )
    codes = [
        schedule.Code(
            id=str(value["id"]),
            name=name,
            category=str(value.get("category") or ""),
            length_in_minutes=value.get("length_in_minutes"),
        )
        for name, value in directory.event_types.items()
    ]
    weeks = schedule.weeks(
        events,
        user_ids=directory.agent_ids,
        codes=codes,
        start_day_of_week=directory.week_starts_on,
        time_zone=directory.time_zone,
        description=description,
        published=published,
    )
    return [
        PartContent(
            content=gzip_json(week.document),
            rows=len(week.rows),
            week_start=week.start,
            label=str(week.document["description"]),
        )
        for week in weeks
    ]
