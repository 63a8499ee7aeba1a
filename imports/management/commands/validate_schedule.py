"""Checks a schedule file (CSV, or a sheet of an .xlsx, .xls or .ods
workbook) the way the portal's preview does, for pipelines that check before
they upload. A workbook's rows give the same JSON as the same rows in a CSV
file, numbered as in the sheet.

Exit status: 0 without errors, 1 with errors, 2 when the file cannot be read.
"""

import json
import zoneinfo

from django.core.management.base import BaseCommand, CommandError

from imports.models import Connection
from imports.schedule.check import DATE_FORMATS, check_schedule
from imports.services import account_facts, workbook_limits

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
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument("--sheet", help="A workbook's sheet to check. Default: the first sheet with data.")

    def handle(self, *args, path, date_format, time_zone, connection, format, sheet, **options):
        facts = None
        if connection:
            found = Connection.objects.filter(name=connection).first()
            if found is None:
                names = ", ".join(Connection.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(f"No connection named {connection!r}. Connections: {names}.")
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
        if format == "json":
            self.stdout.write(json.dumps(check.to_dict(), indent=2, ensure_ascii=False))
        else:
            self._write_text(path, check)
        if not check.readable:
            raise SystemExit(UNREADABLE)
        if check.errors:
            raise SystemExit(1)

    def _write_text(self, path, check):
        result = check.to_dict()
        if check.sheet:
            path = f"{path} (sheet {check.sheet})"
        for key, kind in (("errors", "error"), ("warnings", "warning"), ("fixes", "fix")):
            for finding in result[key]:
                where = f"row {finding['row']}" if finding["row"] else "file"
                self.stdout.write(f"{path}: {where}: {kind}: {finding['message']}")
        for skipped in check.skipped_checks:
            self.stdout.write(f"{path}: not checked: {skipped}")
        self.stdout.write(
            f"{path}: {result['rows']} rows, date format {result['date_format'] or 'unknown'}, "
            f"{result['parts']} part{'s' if result['parts'] != 1 else ''}: "
            f"{len(result['errors'])} errors, {len(result['warnings'])} warnings, {len(result['fixes'])} fixes"
        )
