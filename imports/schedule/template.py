"""The schedule template a planner starts from: Talkdesk's exact header and
an example row, as CSV, or as an .xlsx workbook whose name, e-mail and event
type cells offer the account's agents and event types to pick from.

Plain module: no Django.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from imports.schedule.check import HEADER, LINE_END
from imports.schedule.formulas import neutralise_cell
from imports.schedule.java_date_format import DEFAULT_DATE_FORMAT, format_day

_EXAMPLE_AGENT = ("Jane Doe", "jane.doe@example.com")
_EXAMPLE_EVENT_TYPE = "Available for all channels"
# Excel's own limit on the rows a list to pick from may name.
_LIST_ROWS = 1_048_575


@dataclass(frozen=True)
class TemplateFacts:
    agents: list[tuple[str, str]]
    """(name, e-mail) of the account's active agents, as known."""
    event_types: list[str]
    date_format: str
    day: date
    """The example row's day."""


def _example(facts: TemplateFacts) -> list[str]:
    name, email = facts.agents[0] if facts.agents else _EXAMPLE_AGENT
    kind = facts.event_types[0] if facts.event_types else _EXAMPLE_EVENT_TYPE
    pattern = (facts.date_format if facts.date_format.startswith("HH:mm ") else DEFAULT_DATE_FORMAT)[6:]
    day = format_day(facts.day, pattern)
    return [name, email, f"09:00 {day}", f"17:00 {day}", kind]


def template_csv(facts: TemplateFacts) -> bytes:
    """With a UTF-8 byte-order mark, without which Excel shows accented names
    garbled."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=LINE_END)
    writer.writerow(HEADER)
    writer.writerow([neutralise_cell(cell) for cell in _example(facts)])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def template_xlsx(facts: TemplateFacts) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    text = book.add_format({"num_format": "@"})
    sheet = book.add_worksheet("Schedule")
    lists = book.add_worksheet("Lists")
    sheet.write_row(0, 0, HEADER, bold)
    # Times as text, in the format Talkdesk is told: Excel would otherwise
    # turn them into its own date cells, shown in the machine's own format.
    for column, value in enumerate(_example(facts)):
        sheet.write_string(1, column, value, text)
    sheet.set_column(0, 1, 28, text)
    sheet.set_column(2, 3, 20, text)
    sheet.set_column(4, 4, 30, text)
    sheet.freeze_panes(1, 0)
    lists.write_row(0, 0, ["Agent Name", "Agent Email", "Event Type Name"], bold)
    for row, (name, email) in enumerate(facts.agents[:_LIST_ROWS], start=1):
        lists.write_string(row, 0, name)
        lists.write_string(row, 1, email)
    for row, kind in enumerate(facts.event_types[:_LIST_ROWS], start=1):
        lists.write_string(row, 2, kind)
    for column, source, count in (
        (0, "A", len(facts.agents)),
        (1, "B", len(facts.agents)),
        (4, "C", len(facts.event_types)),
    ):
        if count:
            sheet.data_validation(
                1,
                column,
                _LIST_ROWS,
                column,
                {
                    "validate": "list",
                    "source": f"=Lists!${source}$2:${source}${count + 1}",
                    # A name not on the list is still allowed: the lists are
                    # what the portal last learned of the account.
                    "error_type": "information",
                    "error_title": "Not on the account's list",
                    "error_message": "The portal checks every value again when the file is uploaded.",
                },
            )
    book.set_properties({"title": "Talkdesk schedule import template", "created": datetime(2026, 1, 1)})
    book.close()
    return out.getvalue()
