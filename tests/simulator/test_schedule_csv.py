"""The checks Talkdesk makes on a schedule file, row by row."""

from simulator import config
from simulator.schedule_csv import as_text, error_report, evaluate, has_template_header

HEADER = "Agent Name,Agent Email,Start Time,End Time,Event Type Name"
ACME = config.load(None).accounts["acme"]


def run(*rows, date_format="HH:mm yyyy-MM-dd", time_zone="UTC"):
    return evaluate("\r\n".join((HEADER, *rows)) + "\r\n", account=ACME, date_format=date_format, time_zone=time_zone)


def test_only_utf8_text_without_nul_bytes_is_text():
    assert as_text("Agent Name,é\n".encode()) == "Agent Name,é\n"
    assert as_text("é".encode("latin-1")) is None
    assert as_text(b"a\x00b") is None


def test_the_header_must_be_the_template_line_exactly():
    assert has_template_header(HEADER)
    assert has_template_header(HEADER + "\r\nrow")
    assert has_template_header(HEADER + "\nrow")
    assert not has_template_header("\ufeff" + HEADER)
    assert not has_template_header(HEADER + ",")
    assert not has_template_header("")


def test_a_valid_row_passes():
    result = run("John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Break")
    assert (result.rows, result.failures, result.status) == (1, (), "IMPORTED")


def test_emails_match_without_regard_to_case_but_event_types_exactly():
    result = run(
        "John Smith,John.Smith@Example.COM,09:00 2026-06-01,17:00 2026-06-01,Break",
        "John Smith,john.smith@example.com,09:00 2026-06-02,17:00 2026-06-02,break",
    )
    assert [(f.row, f.error) for f in result.failures] == [(3, "Event type not found: break")]
    assert result.status == "IMPORTED_WITH_ERRORS"


def test_an_inactive_agent_fails():
    (failure,) = run("Tom Baker,tom.baker@example.com,09:00 2026-06-01,17:00 2026-06-01,Break").failures
    assert failure.error == "Agent email not found or not active: tom.baker@example.com"


def test_an_email_with_spaces_around_it_fails():
    assert run("John Smith, john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Break").failures


def test_a_row_names_every_problem_it_has():
    (failure,) = run(",x@example.com,24:00 2026-06-01,17:00 2026-02-30,Lunchh").failures
    assert failure.error == (
        "Agent Name is required; Agent email not found or not active: x@example.com; Event type not found: Lunchh; "
        "Invalid Start Time for format HH:mm yyyy-MM-dd: 24:00 2026-06-01; "
        "Invalid End Time for format HH:mm yyyy-MM-dd: 17:00 2026-02-30"
    )


def test_an_event_must_end_after_it_starts():
    (failure,) = run("John Smith,john.smith@example.com,09:00 2026-06-01,09:00 2026-06-01,Break").failures
    assert failure.error == "End Time must be after Start Time: 09:00 2026-06-01 to 09:00 2026-06-01"


def test_times_are_compared_as_instants_in_the_files_time_zone():
    # 02:30 does not exist the night New York springs forward; like java.time,
    # it is read as 03:30, so an event "from 02:30 to 03:15" ends before it starts.
    row = "John Smith,john.smith@example.com,02:30 2026-03-08,03:15 2026-03-08,Break"
    assert run(row, time_zone="UTC").failures == ()
    (failure,) = run(row, time_zone="America/New_York").failures
    assert failure.error.startswith("End Time must be after Start Time")


def test_a_row_with_the_wrong_number_of_columns_fails_with_its_values_kept():
    (failure,) = run("John Smith,john.smith@example.com,09:00 2026-06-01").failures
    assert failure.error == "Expected 5 columns but found 3"
    assert failure.values == ("John Smith", "john.smith@example.com", "09:00 2026-06-01", "", "")


def test_rows_are_numbered_as_a_spreadsheet_numbers_them():
    result = run(
        "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Break",
        "",
        'Nobody,"nobody@example.com",09:00 2026-06-01,17:00 2026-06-01,Break',
    )
    assert result.rows == 2
    assert [f.row for f in result.failures] == [4]


def test_a_file_with_only_its_header_has_no_rows_and_ends_in_error():
    result = evaluate(HEADER + "\r\n", account=ACME, date_format="HH:mm yyyy-MM-dd", time_zone="UTC")
    assert (result.rows, result.status) == (0, "ERROR")


def test_an_unreadable_csv_ends_in_error():
    result = run('John Smith,"' + "x" * 200_000)
    assert result.status == "ERROR" and result.unreadable


def test_the_error_report_has_the_five_columns_then_row_and_error():
    result = run('"Smith, John",nobody@example.com,09:00 2026-06-01,17:00 2026-06-01,Break')
    report = error_report(result.failures).decode("utf-8")
    assert report == (
        "Agent Name,Agent Email,Start Time,End Time,Event Type Name,Row,Error\r\n"
        '"Smith, John",nobody@example.com,09:00 2026-06-01,17:00 2026-06-01,Break,2,'
        "Agent email not found or not active: nobody@example.com\r\n"
    )
