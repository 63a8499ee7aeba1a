"""What a planner learns about a schedule file before it is sent to Talkdesk.

Each test reads a small CSV from tests/data/schedules/, or builds the bytes
inline where the bytes themselves are the point (encodings, line endings,
one time value against a pattern).
"""

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from imports.schedule.check import (
    DATE_FORMATS,
    DEFAULT_DATE_FORMAT,
    HEADER,
    PART_LIMIT_BYTES,
    AccountFacts,
    check_schedule,
    download_csv,
    neutralise_cell,
)
from imports.schedule.java_date_format import EXAMPLES

SCHEDULES = Path(__file__).resolve().parents[1] / "data" / "schedules"
NEW_YORK = "America/New_York"
HEADER_LINE = ",".join(HEADER)
ACCOUNT = AccountFacts(
    active_agents={
        "john.smith@example.com": "John Smith",
        "jane.doe@example.com": "Jane Doe",
        "bob.wilson@example.com": "Bob Wilson",
    },
    event_types=frozenset({"Available for all channels", "Break"}),
)


def check_file(name: str, **options):
    options.setdefault("time_zone", NEW_YORK)
    return check_schedule((SCHEDULES / name).read_bytes(), **options)


def one_row(start: str, end: str = "23:59 2026-06-30", **options):
    options.setdefault("time_zone", NEW_YORK)
    data = f"{HEADER_LINE}\nJohn Smith,john.smith@example.com,{start},{end},Break\n".encode()
    return check_schedule(data, **options)


def found(problems):
    return [(problem.row, problem.column, problem.code) for problem in problems]


def data_lines(part: bytes) -> list[str]:
    return part.decode("utf-8").split("\r\n")[1:-1]


# The spec's examples


def test_the_spec_example_in_the_default_format_passes_cleanly():
    check = check_file("spec-example.csv")

    assert check.ok and check.readable
    assert (check.errors, check.warnings, check.fixes) == ([], [], [])
    assert check.date_format == DEFAULT_DATE_FORMAT
    assert [row.agent_email for row in check.rows] == [
        "john.smith@example.com",
        "jane.doe@example.com",
        "bob.wilson@example.com",
    ]
    assert check.normalised == (SCHEDULES / "spec-example.csv").read_bytes().replace(b"\n", b"\r\n")


def test_the_spec_example_in_us_dates_passes_cleanly_in_its_format():
    check = check_file("spec-example-us-dates.csv", date_format="HH:mm MM/dd/yyyy")

    assert (check.errors, check.warnings, check.fixes) == ([], [], [])
    assert check.rows[0].start == datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo(NEW_YORK))


@pytest.mark.parametrize(
    ("date_format", "name"),
    [
        ("HH:mm yyyy-MM-dd", "spec-example.csv"),
        ("HH:mm yyyyMMdd", "date-format-compact.csv"),
        ("HH:mm MM/dd/yyyy", "spec-example-us-dates.csv"),
        ("HH:mm M/d/yyyy", "date-format-us-no-leading-zeros.csv"),
        ("HH:mm MM/dd/yy", "date-format-us-two-digit-year.csv"),
        ("HH:mm dd/MM/yyyy", "date-format-european.csv"),
    ],
)
def test_each_date_format_reads_its_spec_example_as_9_am_on_1_june_2026(date_format, name):
    check = check_file(name, date_format=date_format)

    assert check.ok, check.errors
    assert check.rows[0].start_text == EXAMPLES[date_format]
    assert check.rows[0].start == datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo(NEW_YORK))


def test_the_formats_are_the_six_of_the_spec_with_the_default_first():
    assert DATE_FORMATS[0] == DEFAULT_DATE_FORMAT == "HH:mm yyyy-MM-dd"
    assert set(DATE_FORMATS) == set(EXAMPLES) and len(DATE_FORMATS) == 6


# Times read as Talkdesk's Java patterns read them


@pytest.mark.parametrize("text", ["09:00 6/01/2026", "09:00 06/1/2026", "09:00 6/1/2026"])
def test_a_single_digit_month_or_day_is_refused_where_the_format_says_MM_or_dd(text):
    check = one_row(text, "17:00 06/30/2026", date_format="HH:mm MM/dd/yyyy")

    assert found(check.errors) == [(None, None, "date_format_mismatch"), (2, "Start Time", "invalid_time")]
    assert "every time reads as HH:mm M/d/yyyy" in check.errors[0].message
    assert "it reads as HH:mm M/d/yyyy" in check.errors[1].message


@pytest.mark.parametrize("text", ["09:00 6/1/2026", "09:00 06/01/2026", "09:00 6/01/2026", "09:00 06/1/2026"])
def test_M_and_d_take_one_or_two_digits(text):
    check = one_row(text, "17:00 6/30/2026", date_format="HH:mm M/d/yyyy")

    assert check.ok, check.errors
    assert check.rows[0].start.date() == datetime(2026, 6, 1).date()


def test_M_and_d_refuse_three_digits():
    assert found(one_row("09:00 006/1/2026", "17:00 6/30/2026", date_format="HH:mm M/d/yyyy").errors) == [
        (2, "Start Time", "invalid_time")
    ]


def test_a_two_digit_year_means_20yy():
    check = one_row("09:00 12/31/99", "17:00 12/31/99", date_format="HH:mm MM/dd/yy")

    assert check.rows[0].start.year == 2099


def test_24_00_is_refused_with_the_next_day_suggested():
    check = one_row("24:00 2026-06-01", date_format=DEFAULT_DATE_FORMAT)

    assert found(check.errors) == [(2, "Start Time", "invalid_time")]
    assert "00:00 of the next day" in check.errors[0].message


@pytest.mark.parametrize("text", ["25:00 2026-06-01", "09:60 2026-06-01"])
def test_hours_go_to_23_and_minutes_to_59(text):
    assert found(one_row(text, date_format=DEFAULT_DATE_FORMAT).errors) == [(2, "Start Time", "invalid_time")]


def test_29_february_2026_is_refused_because_2026_is_not_a_leap_year():
    check = one_row("09:00 2026-02-29", "17:00 2026-03-01", date_format=DEFAULT_DATE_FORMAT)

    assert found(check.errors) == [(2, "Start Time", "invalid_time")]
    assert "February 2026 has 28 days" in check.errors[0].message
    assert one_row("09:00 2028-02-29", "17:00 2028-02-29", date_format=DEFAULT_DATE_FORMAT).ok


def test_30_february_is_refused_in_every_format():
    check = one_row("09:00 02/30/2026", "17:00 03/01/2026", date_format="HH:mm MM/dd/yyyy")

    assert found(check.errors) == [(2, "Start Time", "invalid_time")]


@pytest.mark.parametrize(
    "text",
    [
        "09:00  2026-06-01",
        "09:002026-06-01",
        "09: 00 2026-06-01",
        "09:00 2026 -06-01",
        "09:00\t2026-06-01",
        "9:0 2026-06-01",
    ],
)
def test_anything_but_two_digit_hours_and_a_single_space_before_the_date_is_refused(text):
    data = f'{HEADER_LINE}\nJohn Smith,john.smith@example.com,"{text}",17:00 2026-06-30,Break\n'.encode()

    check = check_schedule(data, time_zone=NEW_YORK, date_format=DEFAULT_DATE_FORMAT)

    assert found(check.errors) == [(2, "Start Time", "invalid_time")]


def test_a_one_digit_hour_is_given_two_as_a_fix_in_every_format():
    check = check_file("one-digit-hours.csv")

    assert check.ok and not check.errors
    assert found(check.fixes) == [(2, "Start Time", "hour_two_digits"), (3, "End Time", "hour_two_digits")]
    assert "9:00 became 09:00" in check.fixes[0].message and "(rows 2, 3)" in check.fixes[0].message
    assert data_lines(check.normalised) == [
        "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels",
        "Jane Doe,jane.doe@example.com,08:30 2026-06-01,09:45 2026-06-01,Available for all channels",
    ]
    us = one_row("9:00 6/1/2026", "17:00 6/1/2026", date_format="HH:mm M/d/yyyy")
    assert us.ok and found(us.fixes) == [(2, "Start Time", "hour_two_digits")]


def test_a_one_digit_hour_in_a_name_is_left_as_written():
    data = f"{HEADER_LINE}\n9:00 Team,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Break\n".encode()

    check = check_schedule(data, time_zone=NEW_YORK)

    assert check.rows[0].agent_name == "9:00 Team" and not check.fixes


def test_only_ascii_digits_are_read():
    assert not one_row("٠٩:00 2026-06-01", date_format=DEFAULT_DATE_FORMAT).ok


# Reading the bytes


def test_it_reads_utf8_with_a_byte_order_mark_and_sends_it_without():
    data = "\ufeff".encode() + (SCHEDULES / "spec-example.csv").read_bytes()

    check = check_schedule(data, time_zone=NEW_YORK)

    assert check.ok
    assert found(check.fixes) == [(None, None, "encoding_converted")]
    assert check.normalised.startswith(HEADER_LINE.encode())


def test_it_reads_excel_unicode_text_utf16_with_tabs():
    text = (SCHEDULES / "spec-example.csv").read_text().replace(",", "\t").replace("John Smith", "José Ñúñez")

    check = check_schedule(text.encode("utf-16"), time_zone=NEW_YORK)

    assert check.ok
    assert {fix.code for fix in check.fixes} == {"encoding_converted", "delimiter_converted"}
    assert check.rows[0].agent_name == "José Ñúñez"
    assert "José Ñúñez,john.smith@example.com".encode() in check.normalised


def test_it_falls_back_to_windows_1252_and_says_so():
    data = (SCHEDULES / "spec-example.csv").read_text().replace("John Smith", "José Smith").encode("cp1252")

    check = check_schedule(data, time_zone=NEW_YORK)

    assert check.ok
    assert found(check.fixes) == [(None, None, "encoding_converted")]
    assert "Windows-1252" in check.fixes[0].message
    assert check.rows[0].agent_name == "José Smith"
    assert "José Smith".encode() in check.normalised


def test_it_reads_semicolon_separated_files_and_sends_commas():
    check = check_file("semicolons.csv")

    assert check.ok
    assert found(check.fixes)[0] == (None, None, "delimiter_converted")
    assert check.rows[0].agent_name == "José Álvarez"
    assert check.normalised.split(b"\r\n")[1] == (
        "José Álvarez,jose.alvarez@example.com,09:00 01/06/2026,17:00 01/06/2026,Available for all channels".encode()
    )


def test_it_reads_tab_separated_files():
    check = check_file("tabs.csv")

    assert check.ok
    assert check.rows[0].event_type == "Available for all channels"


@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"])
def test_it_reads_crlf_lf_and_cr_line_endings_alike(line_end):
    text = (SCHEDULES / "spec-example.csv").read_text().replace("\n", line_end)

    check = check_schedule(text.encode(), time_zone=NEW_YORK)

    assert check.ok
    assert [row.row for row in check.rows] == [2, 3, 4]
    assert check.normalised == check_file("spec-example.csv").normalised


def test_it_reads_quoted_cells_with_commas_quotes_and_line_breaks_counting_each_record_as_one_row():
    check = check_file("quoted-cells.csv", account=ACCOUNT)

    assert check.ok, check.errors
    assert [row.row for row in check.rows] == [2, 3, 4]
    assert [row.agent_name for row in check.rows] == ["Smith, John", 'Jane "JJ" Doe', "Bob Wilson"]
    assert check.rows[1].event_type == "Available for all channels"
    assert found(check.fixes) == [(3, "Event Type Name", "line_break_replaced")]
    assert b'"Smith, John",john.smith' in check.normalised
    assert b'"Jane ""JJ"" Doe",jane.doe' in check.normalised


def test_blank_rows_are_skipped_but_keep_the_row_numbers_a_spreadsheet_shows():
    check = check_file("blank-rows.csv")

    assert [row.row for row in check.rows] == [3, 6]
    assert found(check.errors) == [(6, "Start Time", "invalid_time")]
    assert check.normalised.count(b"\r\n") == 3


def test_a_quote_never_closed_is_an_error_on_its_row():
    data = f'{HEADER_LINE}\nJohn Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,"Break\nJane Doe,jane.doe@example.com,08:00 2026-06-01,16:00 2026-06-01,Break\n'

    check = check_schedule(data.encode(), time_zone=NEW_YORK)

    assert found(check.errors) == [(2, None, "unclosed_quote")]
    assert check.fixes == []


def test_a_control_character_in_a_cell_is_an_error_on_its_cell():
    data = f"{HEADER_LINE}\nJohn\x0bSmith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Break\n"

    check = check_schedule(data.encode(), time_zone=NEW_YORK)

    assert found(check.errors) == [(2, "Agent Name", "control_character")]
    assert "U+000B" in check.errors[0].message


# Unreadable files


def test_a_binary_file_gets_one_file_level_error_and_nothing_else():
    check = check_file("image-named-csv.csv")

    assert not check.readable and not check.ok
    assert found(check.errors) == [(None, None, "unreadable_file")]
    assert "PNG image" in check.errors[0].message
    assert (check.warnings, check.fixes, check.rows, check.parts, check.normalised) == ([], [], [], [], b"")


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "empty"),
        (b"\r\n \r\n", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"Agent Name,Agent Email\x00\x01\x02,Start Time", "NUL"),
        (bytes(range(1, 9)) * 50, "control characters"),
        (b"\xef\xbb\xbfAgent Name\xff\xfe", "not valid UTF-8"),
    ],
)
def test_files_that_are_not_csv_text_get_one_clear_file_level_error(data, said):
    check = check_schedule(data, time_zone=NEW_YORK)

    assert not check.readable
    assert found(check.errors) == [(None, None, "unreadable_file")]
    assert said in check.errors[0].message
    assert check.warnings == check.fixes == []


def test_a_file_with_only_a_header_is_readable_but_has_no_rows():
    check = check_file("header-only.csv")

    assert check.readable and not check.ok
    assert found(check.errors) == [(None, None, "no_rows")]
    assert check.parts == []


# The header


def test_header_aliases_are_mapped_with_one_fix_per_renamed_column():
    check = check_file("header-aliases.csv")

    assert check.ok
    assert found(check.fixes) == [(1, column, "column_renamed") for column in HEADER]
    assert "'E-mail' (column B) is read as 'Agent Email'" in check.fixes[1].message
    assert check.normalised.startswith((HEADER_LINE + "\r\n").encode())


def test_reordered_columns_are_put_in_order_and_an_extra_column_is_dropped():
    check = check_file("header-reordered-extra-column.csv")

    assert check.ok
    assert found(check.fixes) == [(1, None, "column_dropped")] + [(1, column, "column_moved") for column in HEADER]
    assert "'Team'" in check.fixes[0].message
    assert data_lines(check.normalised) == [
        "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels"
    ]


def test_spaces_around_header_names_and_values_are_removed_as_fixes():
    check = check_file("surrounding-spaces.csv")

    assert check.ok
    assert [fix.code for fix in check.fixes] == ["column_renamed"] * 5 + ["value_trimmed"] * 4
    assert check.rows[0][1:6] == (
        "John Smith",
        "john.smith@example.com",
        "09:00 2026-06-01",
        "17:00 2026-06-01",
        "Available for all channels",
    )


def test_a_missing_column_is_an_error_on_row_1_naming_the_column():
    check = check_file("header-missing-column.csv")

    assert found(check.errors) == [(1, "End Time", "missing_column")]
    assert check.rows == [] and check.normalised == b""


def test_a_column_given_twice_is_an_error_naming_it():
    check = check_file("header-duplicate-column.csv")

    assert found(check.errors) == [(1, "Agent Email", "duplicate_column")]
    assert "column B 'Email' and column C 'Agent Email'" in check.errors[0].message


def test_a_misspelt_column_is_named_as_the_likely_one():
    data = b"Agent Name,Agent Emial,Start Time,End Time,Event Type Name\nJohn Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Break\n"

    check = check_schedule(data, time_zone=NEW_YORK)

    assert found(check.errors) == [(1, "Agent Email", "missing_column")]
    assert "column B 'Agent Emial'" in check.errors[0].message


def test_a_file_without_a_header_says_the_first_row_is_not_one():
    data = b"John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Break\n"

    check = check_schedule(data, time_zone=NEW_YORK)

    assert found(check.errors) == [(1, None, "missing_header")]


# Rows


def test_empty_required_cells_are_errors_naming_the_column():
    check = check_file("empty-cells.csv")

    assert found(check.errors) == [
        (2, "Agent Name", "empty_cell"),
        (3, "Agent Email", "empty_cell"),
        (3, "End Time", "empty_cell"),
    ]


def test_invalid_emails_are_errors():
    check = check_file("invalid-emails.csv")

    assert found(check.errors) == [(2, "Agent Email", "invalid_email"), (3, "Agent Email", "invalid_email")]


def test_an_event_must_end_after_it_starts():
    check = check_file("end-not-after-start.csv")

    assert found(check.errors) == [(2, "End Time", "end_not_after_start"), (3, "End Time", "end_not_after_start")]
    assert "before it starts" in check.errors[0].message and "when it starts" in check.errors[1].message


def test_an_unusually_long_event_is_a_warning():
    check = check_file("long-event.csv")

    assert check.ok
    assert found(check.warnings) == [(2, "End Time", "long_event")]
    assert "24 h" in check.warnings[0].message


def test_rows_whose_cells_do_not_line_up_with_the_header_are_errors_and_nothing_else():
    check = check_file("wrong-cell-count.csv")

    assert found(check.errors) == [(2, None, "wrong_cell_count"), (3, None, "wrong_cell_count")]
    assert "double quotes" in check.errors[0].message
    assert check.fixes == []


# Daylight saving


def test_it_reports_a_time_that_does_not_exist_on_the_spring_forward_day():
    check = check_file("spring-forward.csv")

    assert found(check.errors) == [(2, "Start Time", "nonexistent_local_time")]
    assert (
        "02:30 on 2026-03-08 does not exist in America/New_York: clocks jump from 02:00 to 03:00"
        in check.errors[0].message
    )
    assert check.rows[0].start is None


def test_it_warns_that_a_time_happens_twice_on_the_fall_back_day_and_assumes_the_first():
    check = check_file("fall-back.csv")

    assert check.ok
    assert found(check.warnings) == [(2, "Start Time", "ambiguous_local_time")]
    message = check.warnings[0].message
    assert "01:30 on 2026-11-01 happens twice in America/New_York" in message
    assert "the first (EDT, UTC-04:00) is assumed, as java.time does by default" in message
    assert check.rows[0].start.utcoffset() == timedelta(hours=-4)


def test_the_same_file_is_clean_in_a_zone_without_daylight_saving():
    assert check_file("spring-forward.csv", time_zone="UTC").ok


def test_an_invalid_time_zone_is_a_file_level_error():
    check = check_file("spec-example.csv", time_zone="America/New_Yrok")

    assert found(check.errors) == [(None, None, "invalid_time_zone")]
    assert "Did you mean America/New_York?" in check.errors[0].message
    assert any("time zone" in reason for reason in check.skipped_checks)


# Events against each other


def test_same_type_events_of_one_agent_that_overlap_are_a_warning_naming_both_rows():
    check = check_file("overlapping-breaks.csv")

    assert found(check.warnings) == [(4, "Start Time", "overlapping_events")]
    assert "row 2" in check.warnings[0].message


def test_an_exact_duplicate_row_is_a_warning_naming_the_first_and_only_that():
    check = check_file("duplicate-rows.csv")

    assert check.ok
    assert found(check.warnings) == [(4, None, "duplicate_row")]
    assert "repeats row 2" in check.warnings[0].message


# Formulas


def test_formula_cells_are_warnings_sent_as_they_are_but_neutralised_for_download():
    check = check_file("formula-cells.csv")

    assert check.ok
    assert found(check.warnings) == [(2, "Agent Name", "formula_cell"), (3, "Event Type Name", "formula_cell")]
    assert b'"=HYPERLINK(""http://example.com"",""x"")",john' in check.normalised
    assert b",@SUM(1+1)\r\n" in check.normalised
    downloaded = list(csv.reader(io.StringIO(download_csv(check).decode("utf-8-sig"))))
    assert downloaded[1][0] == '\'=HYPERLINK("http://example.com","x")'
    assert downloaded[2][4] == "'@SUM(1+1)"


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\nx"])
def test_neutralise_cell_prefixes_every_owasp_formula_start(value):
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["John Smith", "09:00 2026-06-01", "", " =not at the start"])
def test_neutralise_cell_leaves_other_values_alone(value):
    assert neutralise_cell(value) == value


def test_the_download_is_the_fixed_file_with_a_byte_order_mark_for_excel():
    check = check_file("semicolons.csv")

    assert download_csv(check) == b"\xef\xbb\xbf" + check.normalised
    assert download_csv(check_file("image-named-csv.csv")) == b""


# The account


def test_emails_that_are_not_active_agents_are_errors_with_a_did_you_mean():
    check = check_file("account-mismatches.csv", account=ACCOUNT)

    unknown = [problem for problem in check.errors if problem.code == "unknown_agent"]
    assert found(unknown) == [(2, "Agent Email", "unknown_agent"), (5, "Agent Email", "unknown_agent")]
    assert "Did you mean john.smith@example.com (John Smith)?" in unknown[0].message
    assert "Did you mean" not in unknown[1].message


def test_email_case_does_not_matter_against_the_account():
    check = check_file("account-mismatches.csv", account=ACCOUNT)

    assert 3 not in [problem.row for problem in check.errors if problem.column == "Agent Email"]


def test_unknown_event_types_are_errors_with_a_did_you_mean():
    check = check_file("account-mismatches.csv", account=ACCOUNT)

    unknown = [problem for problem in check.errors if problem.code == "unknown_event_type"]
    assert found(unknown) == [(4, "Event Type Name", "unknown_event_type")]
    assert "Did you mean 'Break'?" in unknown[0].message


def test_an_event_type_differing_only_in_capitals_is_a_fixable_near_match():
    check = check_file("account-mismatches.csv", account=ACCOUNT)

    near = [problem for problem in check.errors if problem.code == "event_type_case"]
    assert found(near) == [(3, "Event Type Name", "event_type_case")]
    assert "only in capitals" in near[0].message and "change it to 'Available for all channels'" in near[0].message


def test_checks_against_the_account_are_skipped_and_said_so_when_its_lists_are_unknown():
    unknown = check_file("account-mismatches.csv")
    agents_only = check_file("account-mismatches.csv", account=AccountFacts(ACCOUNT.active_agents, None))

    assert unknown.ok
    assert [reason.split(" ")[0] for reason in unknown.skipped_checks] == ["Agent", "Event"]
    assert [reason.split(" ")[0] for reason in agents_only.skipped_checks] == ["Event"]
    assert {problem.code for problem in agents_only.errors} == {"unknown_agent"}
    assert check_file("account-mismatches.csv", account=ACCOUNT).skipped_checks == []


# The date format, when the planner does not choose one


def test_it_detects_the_one_date_format_that_reads_every_time():
    check = check_file("detect-european-dates.csv")

    assert check.ok
    assert check.date_format == "HH:mm dd/MM/yyyy"
    assert found(check.fixes) == [(None, None, "date_format_detected")]
    assert check.rows[0].start == datetime(2026, 6, 25, 9, 0, tzinfo=ZoneInfo(NEW_YORK))


def test_formats_that_read_every_time_alike_do_not_make_a_file_ambiguous():
    data = f"{HEADER_LINE}\nJohn Smith,john.smith@example.com,09:00 06/13/2026,17:00 06/13/2026,Break\n".encode()

    check = check_schedule(data, time_zone=NEW_YORK)

    assert check.ok and check.date_format == "HH:mm MM/dd/yyyy"


def test_when_several_formats_read_every_time_differently_the_planner_is_asked_to_choose():
    check = check_file("ambiguous-dates.csv")

    assert check.date_format is None
    assert check.date_format_candidates == ["HH:mm MM/dd/yyyy", "HH:mm dd/MM/yyyy"]
    assert found(check.errors) == [(None, None, "ambiguous_date_format")]
    assert "6 February 2026 or 2 June 2026" in check.errors[0].message
    assert check.rows[0].start is None


def test_when_no_format_reads_every_time_the_one_reading_most_is_used_and_the_rest_reported():
    check = check_file("mixed-date-formats.csv")

    assert check.date_format == DEFAULT_DATE_FORMAT
    assert found(check.errors) == [(4, "Start Time", "invalid_time"), (4, "End Time", "invalid_time")]
    assert "reads as HH:mm MM/dd/yyyy" in check.errors[0].message


def test_a_chosen_format_that_does_not_fit_says_which_one_does():
    check = check_file("detect-european-dates.csv", date_format="HH:mm MM/dd/yyyy")

    assert (None, None, "date_format_mismatch") in found(check.errors)
    assert "HH:mm dd/MM/yyyy" in check.errors[0].message


def test_an_unsupported_date_format_is_an_error_and_the_format_is_worked_out():
    check = check_file("spec-example.csv", date_format="yyyy-MM-dd HH:mm")

    assert found(check.errors) == [(None, None, "unsupported_date_format")]
    assert check.date_format == DEFAULT_DATE_FORMAT


# What is sent


def test_the_file_sent_is_utf8_commas_crlf_the_exact_header_and_minimal_quotes():
    data = b'Name;E-mail;From;To;Activity\r\n"Smith; John" ;john.smith@example.com;09:00 2026-06-01;17:00 2026-06-01;"Lunch, long"\r\n'

    check = check_schedule(data, time_zone=NEW_YORK)

    assert (
        check.normalised
        == (
            f'{HEADER_LINE}\r\nSmith; John,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,"Lunch, long"\r\n'
        ).encode()
    )
    assert check.parts == [check.normalised]


def test_a_file_over_the_limit_is_split_into_parts_under_5000000_bytes_each_with_the_header():
    row = "Jane Doe,jane.doe@example.com,{start},{end},Available for all channels"
    day = datetime(2026, 1, 1)
    rows = [
        row.format(
            start=f"08:00 {(day + timedelta(days=n)).date()}", end=f"16:00 {(day + timedelta(days=n)).date()}"
        ).replace("jane.doe", f"agent{n // 3000}.n{n}")
        for n in range(65_000)
    ]
    data = "\n".join([HEADER_LINE, *rows]).encode()

    check = check_schedule(data, time_zone="UTC")

    assert check.ok, check.errors[:3]
    assert len(check.normalised) > PART_LIMIT_BYTES
    assert len(check.parts) == 2
    assert all(len(part) < PART_LIMIT_BYTES for part in check.parts)
    assert all(part.startswith((HEADER_LINE + "\r\n").encode()) for part in check.parts)
    assert [line for part in check.parts for line in data_lines(part)] == data_lines(check.normalised)
    assert found(check.fixes) == [(None, None, "file_split")]


def test_a_file_that_fits_is_one_part_the_normalised_file():
    check = check_file("spec-example.csv")

    assert check.parts == [check.normalised]


# The result


def test_the_summary_counts_rows_agents_the_date_range_and_events_by_type():
    summary = check_file("overlapping-breaks.csv").summary

    assert summary.rows == 4
    assert summary.agents == 2
    assert summary.first_start == datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo(NEW_YORK))
    assert summary.last_end == datetime(2026, 6, 1, 17, 0, tzinfo=ZoneInfo(NEW_YORK))
    assert summary.events_by_type == {"Break": 3, "Available for all channels": 1}


def test_problems_come_in_row_order_with_the_file_level_ones_first():
    data = (
        SCHEDULES / "empty-cells.csv"
    ).read_bytes() + b"Bob Wilson,bob@example,24:00 2026-06-01,17:00 2026-06-01,Break\n"

    check = check_schedule(data, time_zone="Nowhere/Special", date_format=DEFAULT_DATE_FORMAT)

    rows = [problem.row for problem in check.errors]
    assert rows[0] is None
    assert rows[1:] == sorted(rows[1:])


def test_to_dict_is_the_json_ready_report():
    check = check_file("fall-back.csv")

    report = json.loads(json.dumps(check.to_dict()))

    assert report == {
        "rows": 1,
        "date_format": DEFAULT_DATE_FORMAT,
        "parts": 1,
        "errors": [],
        "warnings": [
            {
                "row": 2,
                "column": "Start Time",
                "code": "ambiguous_local_time",
                "message": check.warnings[0].message,
            }
        ],
        "fixes": [],
    }
