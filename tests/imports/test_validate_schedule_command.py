import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "portal"


def run(*args):
    """As a pipeline runs it: its own process, its exit status and output."""
    return subprocess.run(
        [sys.executable, "manage.py", "validate_schedule", *map(str, args)], cwd=ROOT, capture_output=True, text=True
    )


def test_a_clean_file_exits_0_and_prints_one_json_object():
    result = run(DATA / "schedule-example.csv", "--format", "json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["rows"] == 3 and report["date_format"] == "HH:mm yyyy-MM-dd" and report["parts"] == 1
    assert report["errors"] == [] and report["warnings"] == []


def test_a_file_with_errors_exits_1_and_names_each_row_and_column():
    result = run(DATA / "schedule-bad-times.csv", "--format", "json")
    assert result.returncode == 1
    errors = json.loads(result.stdout)["errors"]
    assert {(e["row"], e["column"]) for e in errors} >= {(3, "Start Time"), (4, "Start Time"), (4, "End Time")}
    assert all(set(e) == {"row", "column", "code", "message"} for e in errors)


def test_an_unreadable_file_exits_2_with_a_problem_of_the_whole_file():
    result = run(DATA / "not-a-schedule.png", "--format", "json")
    assert result.returncode == 2
    (error,) = json.loads(result.stdout)["errors"]
    assert error["row"] is None


def test_a_missing_file_exits_2_and_says_so():
    result = run(DATA / "no-such-file.csv")
    assert result.returncode == 2
    assert "cannot be read" in result.stderr


def test_the_text_format_gives_one_line_per_problem_and_a_summary():
    result = run(DATA / "schedule-bad-times.csv", "--date-format", "HH:mm yyyy-MM-dd", "--time-zone", "Europe/Lisbon")
    lines = result.stdout.splitlines()
    assert any(": row 3: error:" in line for line in lines)
    assert lines[-1].endswith("3 rows, date format HH:mm yyyy-MM-dd, 1 part: 3 errors, 0 warnings, 0 fixes")


def test_the_summary_counts_one_of_a_kind_in_the_singular():
    workbook = DATA.parent / "workbooks" / "libreoffice-hidden-row-and-errors.xls"
    result = run(workbook, "--time-zone", "America/New_York")
    assert result.stdout.splitlines()[-1].endswith(
        "3 rows, date format HH:mm yyyy-MM-dd, 1 part: 2 errors, 0 warnings, 1 fix"
    )


def test_a_chosen_date_format_that_does_not_fit_is_an_error():
    result = run(DATA / "schedule-example.csv", "--date-format", "HH:mm dd/MM/yyyy", "--format", "json")
    assert result.returncode == 1


def test_with_a_connection_unknown_agents_are_errors(personas):
    from django.utils import timezone

    from imports.models import ConnectionAgent

    ConnectionAgent.objects.create(connection=personas.acme, email="john.smith@example.com", name="John Smith")
    personas.acme.agents_synced_at = timezone.now()
    personas.acme.save()
    with pytest.raises(SystemExit) as exit_status:
        call_command(
            "validate_schedule", str(DATA / "schedule-example.csv"), "--connection", "Acme", "--format", "json"
        )
    assert exit_status.value.code == 1


def test_an_unknown_connection_is_named(personas):
    with pytest.raises(CommandError, match="No connection named 'Nope'. Connections: Acme, Globex"):
        call_command("validate_schedule", str(DATA / "schedule-example.csv"), "--connection", "Nope")


def _imported_example(personas):
    from tests.imports.test_accepted_record import imported

    return imported(personas)


def test_with_a_connection_the_file_and_its_rows_already_imported_are_warnings_with_stable_codes(personas, capsys):
    first = _imported_example(personas)
    call_command("validate_schedule", str(DATA / "schedule-example.csv"), "--connection", "Acme", "--format", "json")
    report = json.loads(capsys.readouterr().out)
    assert [(w["row"], w["code"]) for w in report["warnings"]] == [
        (None, "file_already_imported"),
        (2, "row_already_imported"),
        (3, "row_already_imported"),
        (4, "row_already_imported"),
    ]
    assert report["warnings"][0]["link"] == f"/imports/{first.pk}/"
    assert report["errors"] == []


def test_with_a_team_that_makes_collisions_errors_a_colliding_file_exits_1(personas, tmp_path, capsys):
    from imports.models import Team

    _imported_example(personas)
    Team.objects.filter(pk=personas.alpha.pk).update(imported_overlaps_are_errors=True)
    colliding = tmp_path / "later.csv"
    colliding.write_bytes(
        (DATA / "schedule-example.csv").read_bytes().replace(b"08:00 2026-06-01", b"07:00 2026-06-01")
    )
    with pytest.raises(SystemExit) as exit_status:
        call_command("validate_schedule", str(colliding), "--connection", "Acme", "--team", "Alpha")
    assert exit_status.value.code == 1
    out = capsys.readouterr().out
    assert "row 3: error: This Available for all channels for jane.doe@example.com overlaps" in out


def test_a_team_not_on_the_connection_is_named(personas):
    with pytest.raises(CommandError, match="No team named 'Bravo' uses connection 'Acme'. Its teams: Alpha."):
        call_command("validate_schedule", str(DATA / "schedule-example.csv"), "--connection", "Acme", "--team", "Bravo")


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_a_workbook_gives_the_same_json_as_the_same_rows_in_a_csv_file(tmp_path, kind):
    from tests.imports import workbooks
    from tests.imports.test_workbook import CSV, ROWS

    book = tmp_path / f"book.{kind}"
    book.write_bytes(getattr(workbooks, kind)({"Notes": [["Planning notes"]], "Week 23": ROWS}))
    csv_file = tmp_path / "same.csv"
    csv_file.write_text(CSV, newline="")

    from_book = run(book, "--sheet", "Week 23", "--format", "json")
    from_csv = run(csv_file, "--format", "json")

    assert from_book.returncode == from_csv.returncode == 1
    assert json.loads(from_book.stdout) == json.loads(from_csv.stdout)


def test_a_workbook_sheet_that_does_not_exist_exits_2_naming_the_sheets(tmp_path):
    from tests.imports.workbooks import xlsx

    book = tmp_path / "book.xlsx"
    book.write_bytes(xlsx({"Week 23": [["Agent Name"]]}))

    result = run(book, "--sheet", "Week 99")

    assert result.returncode == 2
    assert "no sheet named 'Week 99'. Its sheets: Week 23." in result.stdout
