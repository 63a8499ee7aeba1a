"""Checks a schedule file (CSV, or a sheet of an .xlsx, .xls or .ods
workbook) the way the portal's preview does, for pipelines that check before
they upload. A workbook's rows give the same JSON as the same rows in a CSV
file, numbered as in the sheet. With --connection it is also checked against
what Talkdesk already accepted through the portal for that account (the same
file, rows already imported, collisions: docs/finding-codes.md).

Exit status: 0 without errors, 1 with errors, 2 when the file cannot be read.
"""

import json
import zoneinfo

from django.core.management.base import BaseCommand, CommandError

from imports.models import Connection, Team
from imports.schedule.check import DATE_FORMATS, check_schedule
from imports.selectors import account_facts, workbook_limits
from imports.services import RecordFindings, record_findings

UNREADABLE = 2


class Command(BaseCommand):
    help = "Checks a schedule file before it is sent to Talkdesk, and prints every problem with its row."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--date-format", choices=DATE_FORMATS, help="Default: detected from the file.")
        parser.add_argument("--time-zone", help="IANA time zone of the times. Default: the connection's, else UTC.")
        parser.add_argument(
            "--connection", help="Name of a Talkdesk connection: check agents and event types against it."
        )
        parser.add_argument(
            "--team",
            help="Name of a team of the connection: collisions are errors if the team says so, and only its own "
            "imports are named. Default: every import is named and collisions are warnings.",
        )
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument("--sheet", help="A workbook's sheet to check. Default: the first sheet with data.")

    def handle(self, *args, path, date_format, time_zone, connection, team, format, sheet, **options):
        facts, found, on_team = None, None, None
        if team and not connection:
            raise CommandError("--team needs --connection: the team's account is the connection's.")
        if connection:
            found = Connection.objects.filter(name=connection).first()
            if found is None:
                names = ", ".join(Connection.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(f"No connection named {connection!r}. Connections: {names}.")
            if team:
                on_team = Team.objects.filter(name=team, connection=found).first()
                if on_team is None:
                    names = ", ".join(found.teams.values_list("name", flat=True)) or "none"
                    raise CommandError(f"No team named {team!r} uses connection {connection!r}. Its teams: {names}.")
            facts = account_facts(found)
            time_zone = time_zone or found.default_time_zone
        time_zone = time_zone or "UTC"
        if time_zone not in zoneinfo.available_timezones():
            raise CommandError(f"{time_zone!r} is not an IANA time zone, such as America/New_York or UTC.")
        try:
            with open(path, "rb") as file:
                data = file.read()
        except OSError as error:
            self.stderr.write(f"{path}: cannot be read: {error.strerror}.")
            raise SystemExit(UNREADABLE) from None
        # Every finding kept: the output lists each one.
        check = check_schedule(
            data,
            time_zone=time_zone,
            date_format=date_format,
            account=facts,
            keep=None,
            sheet=sheet,
            workbook_limits=workbook_limits(),
        )
        record = RecordFindings()
        if found is not None and found.kind == Connection.Kind.TALKDESK:
            record = record_findings(check, account_key=found.account_key, time_zone=time_zone, team=on_team)
        result = check.to_dict()
        for key in ("errors", "warnings"):
            if getattr(record, key):
                result[key] = sorted(result[key] + getattr(record, key), key=lambda finding: finding["row"] or 0)
        if format == "json":
            self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
        else:
            self._write_text(path, check, result)
        if not check.readable:
            raise SystemExit(UNREADABLE)
        if result["errors"]:
            raise SystemExit(1)

    def _write_text(self, path, check, result):
        if check.sheet:
            path = f"{path} (sheet {check.sheet})"
        for key, kind in (("errors", "error"), ("warnings", "warning"), ("fixes", "fix")):
            for finding in result[key]:
                where = f"row {finding['row']}" if finding["row"] else "file"
                link = f" ({finding['link']})" if finding.get("link") else ""
                self.stdout.write(f"{path}: {where}: {kind}: {finding['message']}{link}")
        for skipped in check.skipped_checks:
            self.stdout.write(f"{path}: not checked: {skipped}")
        self.stdout.write(
            f"{path}: {_count(result['rows'], 'row')}, date format {result['date_format'] or 'unknown'}, "
            f"{_count(result['parts'], 'part')}: "
            + ", ".join(
                _count(len(result[key]), noun)
                for key, noun in (("errors", "error"), ("warnings", "warning"), ("fixes", "fix"))
            )
        )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 'es' if noun.endswith('x') else 's'}"
