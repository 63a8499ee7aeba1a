"""Properties of the schedule check that must hold for every input, not only
for the files someone thought of."""

import csv
import io
import json
from datetime import datetime, timedelta
from unittest import mock

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from imports.schedule import check as schedule_file
from imports.schedule.check import HEADER, AccountFacts, check_schedule, download_csv
from imports.schedule.csv_text import UnreadableFile
from imports.schedule.java_date_format import DATE_FORMATS
from imports.schedule.table import _read_csv, read_table

HEADER_LINE = ",".join(HEADER)
JAVA_PATTERN_AS_STRFTIME = {
    "HH:mm yyyy-MM-dd": "%H:%M %Y-%m-%d",
    "HH:mm yyyyMMdd": "%H:%M %Y%m%d",
    "HH:mm MM/dd/yyyy": "%H:%M %m/%d/%Y",
    "HH:mm M/d/yyyy": "%H:%M %m/%d/%Y",
    "HH:mm MM/dd/yy": "%H:%M %m/%d/%y",
    "HH:mm dd/MM/yyyy": "%H:%M %d/%m/%Y",
}
# The first day a two-digit year can mean, and the last.
EARLIEST, LATEST = datetime(2000, 1, 1), datetime(2099, 12, 30)

slow = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Cells a schedule file has, the awkward ones included, so that fuzzed files
# reach the checks rather than stopping at the header.
awkward_cells = st.sampled_from(
    [
        "",
        " ",
        "John Smith",
        "john.smith@example.com",
        "JANE.DOE@example.com",
        "not-an-email",
        "09:00 2026-06-01",
        "17:00 2026-06-01",
        "02:30 2026-03-08",
        "01:30 2026-11-01",
        "24:00 2026-06-01",
        "09:00 2026-02-30",
        "09:00 06/01/2026",
        "09:00 13/01/2026",
        "9:00 6/1/2026",
        "09:00 20260601",
        "Break",
        "break",
        "=1+1",
        "@SUM(A1)",
        'a "quoted" value',
        "a, b",
        "line\nbreak",
        "tab\there",
        "\x0b",
        "Name",
        "E-mail",
        "Start",
        "Agent Email",
    ]
)
cells = st.one_of(awkward_cells, st.text(max_size=12))


@st.composite
def csv_like_bytes(draw) -> bytes:
    header = draw(st.one_of(st.just(list(HEADER)), st.lists(cells, max_size=7)))
    rows = draw(st.lists(st.lists(cells, max_size=7), max_size=8))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\r\n", "\n", "\r"]))).writerows(
        [header, *rows]
    )
    text = out.getvalue()
    if draw(st.booleans()):
        text = text.replace('"', "", draw(st.integers(0, 2)))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")


any_time_zone = st.sampled_from(
    ["UTC", "America/New_York", "Europe/Lisbon", "Australia/Lord_Howe", "", "Not/AZone", "localtime"]
)
any_date_format = st.sampled_from([None, *DATE_FORMATS, "yyyy-MM-dd"])
any_account = st.sampled_from(
    [
        None,
        AccountFacts(None, None),
        AccountFacts({}, frozenset()),
        AccountFacts({"john.smith@example.com": "John Smith"}, frozenset({"Break", "Available for all channels"})),
    ]
)


@slow
@given(
    data=st.one_of(st.binary(max_size=300), csv_like_bytes()),
    time_zone=any_time_zone,
    date_format=any_date_format,
    account=any_account,
)
def test_any_bytes_get_a_result_never_an_exception(data, time_zone, date_format, account):
    check = check_schedule(data, time_zone=time_zone, date_format=date_format, account=account)

    json.dumps(check.to_dict())
    download_csv(check)
    if not check.readable:
        assert len(check.errors) == 1 and check.errors[0].row is None
        assert check.warnings == check.fixes == check.rows == []
    for problem in check.errors + check.warnings:
        assert problem.row is None or problem.row >= 1
        assert problem.column in (None, *HEADER)
    rows = [problem.row or 0 for problem in check.errors]
    assert rows == sorted(rows)
    assert check.ok == (check.readable and not check.errors)


# Valid schedules

plain_text = st.text(
    alphabet=st.characters(
        blacklist_categories=["Cs"], blacklist_characters="\r\n\x00\x7f" + "".join(map(chr, range(0x20)))
    ),
    min_size=1,
    max_size=20,
).filter(lambda value: value == value.strip())
emails = st.from_regex(r"[a-z0-9]{1,8}(\.[a-z0-9]{1,4})?@[a-z]{1,8}\.(com|org|example)", fullmatch=True)
minutes = st.integers(0, int((LATEST - EARLIEST).total_seconds() // 60))


@st.composite
def schedule_rows(draw, date_format: str) -> list[tuple[str, str, str, str, str]]:
    layout = JAVA_PATTERN_AS_STRFTIME[date_format]
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        start = EARLIEST + timedelta(minutes=draw(minutes))
        end = start + timedelta(minutes=draw(st.integers(1, 16 * 60)))
        rows.append((draw(plain_text), draw(emails), start.strftime(layout), end.strftime(layout), draw(plain_text)))
    return rows


def written(rows, *, delimiter=",", line_end="\r\n", quoting=csv.QUOTE_MINIMAL, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=line_end, quoting=quoting).writerows([HEADER, *rows])
    return out.getvalue().encode(encoding)


@st.composite
def valid_schedules(draw):
    date_format = draw(st.sampled_from(DATE_FORMATS))
    rows = draw(schedule_rows(date_format))
    data = written(
        rows,
        delimiter=draw(st.sampled_from([",", ";", "\t"])),
        line_end=draw(st.sampled_from(["\r\n", "\n", "\r"])),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        encoding=draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])),
    )
    return date_format, rows, data


@slow
@given(schedule=valid_schedules())
def test_a_valid_schedule_is_sent_as_a_file_that_checks_clean_and_gives_back_its_rows(schedule):
    date_format, rows, data = schedule
    # A delimiter inside a value would make the delimiter ambiguous to sniff.
    assume(not any(cell in value for value in (row[0] + row[4] for row in rows) for cell in ";\t"))

    first = check_schedule(data, time_zone="UTC", date_format=date_format)
    again = check_schedule(first.normalised, time_zone="UTC", date_format=date_format)

    assert first.errors == [], first.errors
    assert {fix.code for fix in first.fixes} <= {"encoding_converted", "delimiter_converted"}
    assert again.errors == again.fixes == []
    assert again.normalised == first.normalised
    assert [row[1:6] for row in again.rows] == rows
    assert [row.row for row in again.rows] == list(range(2, len(rows) + 2))


@slow
@given(date_format=st.sampled_from(DATE_FORMATS), data=st.data())
def test_the_parts_joined_give_the_normalised_file_row_for_row(date_format, data):
    rows = data.draw(schedule_rows(date_format))
    check = check_schedule(written(rows), time_zone="UTC", date_format=date_format)
    # Room for the header and the longest row, up to room for the whole file.
    smallest = max(len(line.encode()) for line in check.normalised.decode().split("\r\n")) + len(HEADER_LINE) + 5
    limit = data.draw(st.integers(smallest, max(smallest, len(check.normalised) + 1)))

    with mock.patch.object(schedule_file, "PART_LIMIT_BYTES", limit):
        split = check_schedule(written(rows), time_zone="UTC", date_format=date_format)

    def data_lines(part: bytes) -> list[str]:
        return part.decode().split("\r\n")[1:-1]

    assert split.normalised == check.normalised
    assert all(len(part) < limit for part in split.parts)
    assert all(part.startswith((HEADER_LINE + "\r\n").encode()) for part in split.parts)
    assert [line for part in split.parts for line in data_lines(part)] == data_lines(split.normalised)


@given(
    lines=st.lists(
        st.lists(st.one_of(awkward_cells, st.text(max_size=6)), min_size=1, max_size=6), min_size=1, max_size=8
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
    line_end=st.sampled_from(["\r\n", "\n", "\r"]),
)
def test_the_quick_reader_of_plain_files_reads_exactly_what_the_csv_reader_reads(lines, delimiter, line_end):
    text = line_end.join(delimiter.join(cells) for cells in lines) + line_end
    assume('"' not in text)

    def read(reader) -> tuple:
        try:
            table = reader(text, delimiter)
        except UnreadableFile as unreadable:
            return (str(unreadable),)
        width = len(table.header)
        rows = (
            table.rows
            if table.cells is None
            else [table.cells[at : at + width] for at in range(0, len(table.cells), width)]
        )
        return table.header_row, table.header, table.numbers, rows

    assert read(read_table) == read(_read_csv)


@slow
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ann@example.com", "ANN@example.com", "bob@example.com"]),
            st.sampled_from(["Break", "Lunch"]),
            st.integers(0, 12),
            st.integers(-2, 3),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_overlaps_are_reported_exactly_when_two_events_of_one_agent_and_type_share_time(events):
    """The quick test for overlaps sorts begins and finishes apart; a pair by
    pair comparison says whether it may pass."""
    rows, seen = [], set()
    for email, kind, start, length in events:
        rows.append(["Agent", email, f"{8 + start:02d}:00 2026-06-01", f"{8 + start + length:02d}:00 2026-06-01", kind])
    check = check_schedule(
        (HEADER_LINE + "\r\n" + "\r\n".join(",".join(row) for row in rows) + "\r\n").encode(), time_zone="UTC"
    )
    kept = []
    for email, kind, start, length in events:
        line = (email, kind, start, length)
        if length > 0 and line not in seen:
            kept.append((email.lower(), kind, start, start + length))
        seen.add(line)
    expected = any(
        a[:2] == b[:2] and a[2] < b[3] and b[2] < a[3] for number, a in enumerate(kept) for b in kept[number + 1 :]
    )
    assert any(problem.code == "overlapping_events" for problem in check.warnings) == expected
