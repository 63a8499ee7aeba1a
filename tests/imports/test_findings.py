"""What a check keeps of its findings: every one counted by kind, the first
of each kind kept, and every one written to the complete list, however many
the file has."""

import csv
import io

from imports.schedule.check import HEADER, Problem, check_schedule
from imports.schedule.findings import CSV_HEADER, FIRST_OF_EACH_KIND, Findings, Severity

ROW = "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Break"


def repeated_rows(count: int) -> bytes:
    """A file whose every row after the first repeats it: count - 1 warnings."""
    return (",".join(HEADER) + "\n" + (ROW + "\n") * count).encode()


def test_a_kind_keeps_only_its_first_findings_but_counts_every_one():
    findings = Findings(keep=3)
    for row in range(2, 12):
        findings.add(Severity.WARNING, Problem(row, None, "duplicate_row", f"Row {row} repeats row 1."))
    findings.add(Severity.WARNING, Problem(20, "Start Time", "long_event", "Long."))
    assert [finding.row for finding in findings.kept(Severity.WARNING)] == [2, 3, 4, 20]
    assert findings.counts()["warning"] == {"duplicate_row": 10, "long_event": 1}
    assert findings.count(Severity.WARNING) == 11
    assert not findings.complete


def test_keeping_every_finding_is_asked_for_with_none():
    findings = Findings(keep=None)
    for row in range(2, 500):
        findings.add(Severity.ERROR, Problem(row, None, "empty_cell", "Empty."))
    assert len(findings.kept(Severity.ERROR)) == 498
    assert findings.complete


def test_every_finding_goes_to_the_complete_list_with_formulas_shown_as_text():
    every = io.StringIO(newline="")
    findings = Findings(keep=1, every=every)
    findings.add(Severity.ERROR, Problem(2, "Event Type Name", "unknown_event_type", "=HYPERLINK(x) is not known."))
    findings.add(Severity.ERROR, Problem(3, "Event Type Name", "unknown_event_type", "Lunch is not known."))
    findings.add(Severity.FIX, Problem(None, None, "delimiter_converted", "Semicolons became commas."))
    rows = list(csv.reader(io.StringIO(every.getvalue(), newline="")))
    assert rows == [
        list(CSV_HEADER),
        ["error", "2", "Event Type Name", "unknown_event_type", "'=HYPERLINK(x) is not known."],
        ["error", "3", "Event Type Name", "unknown_event_type", "Lunch is not known."],
        ["fix", "", "", "delimiter_converted", "Semicolons became commas."],
    ]


def test_a_file_with_200000_warnings_keeps_a_bounded_number_and_lists_every_one():
    every = io.StringIO(newline="")
    check = check_schedule(repeated_rows(200_000), time_zone="UTC", every_finding=every)
    assert check.warning_count == 199_999
    assert check.counts["warning"] == {"duplicate_row": 199_999}
    assert len(check.warnings) == FIRST_OF_EACH_KIND
    assert [warning.row for warning in check.warnings[:3]] == [3, 4, 5]
    assert check.ok
    assert every.getvalue().count("\r\nwarning,") == 199_999
    assert check.counts["fix"] == {"file_split": 1}


def test_the_command_lines_keep_everything_check_is_unchanged():
    check = check_schedule(repeated_rows(300), time_zone="UTC", keep=None)
    assert len(check.to_dict()["warnings"]) == check.warning_count == 299


def test_errors_beyond_those_kept_still_stop_the_file():
    empty_emails = (",".join(HEADER) + "\n" + "John Smith,,09:00 2026-06-01,17:00 2026-06-01,Break\n" * 500).encode()
    check = check_schedule(empty_emails, time_zone="UTC", keep=2)
    assert len(check.errors) == 2 and check.error_count == 500
    assert not check.ok
