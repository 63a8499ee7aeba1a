"""A sheet of an .xlsx, .xls or .ods workbook is checked as the same rows in
a CSV file would be, numbered as in the sheet; a hostile workbook gets one
clear sentence and costs only the child process that read it."""

import io
import zipfile
from datetime import date, datetime, time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imports.schedule.check import check_schedule
from imports.schedule.workbook import WorkbookLimits
from tests.conftest import DATA
from tests.imports.workbooks import Formula, ods, openpyxl_xlsx, xls, xlsx

ZONE = "America/New_York"
HEADER = ["Agent Name", "Agent Email", "Start Time", "End Time", "Event Type Name"]
CSV = (
    "Agent Name,Agent Email,Start Time,End Time,Event Type Name\r\n"
    "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels\r\n"
    "Jane Doe,jane.doe@example,08:00 2026-06-01,07:00 2026-06-01,Meeting\r\n"
    "Bob Wilson,bob.wilson@example.com,12:00 2026-06-01,12:30 2026-06-01,Break\r\n"
)
# The same rows as a planner's workbook holds them: a date-time cell, a text
# date, a formula's saved value.
ROWS = [
    HEADER,
    [
        "John Smith",
        "john.smith@example.com",
        datetime(2026, 6, 1, 9),
        datetime(2026, 6, 1, 17),
        "Available for all channels",
    ],
    ["Jane Doe", "jane.doe@example", "08:00 2026-06-01", Formula('="07:00 2026-06-01"', "07:00 2026-06-01"), "Meeting"],
    ["Bob Wilson", "bob.wilson@example.com", datetime(2026, 6, 1, 12), datetime(2026, 6, 1, 12, 30), "Break"],
]


def checked(data, **options):
    return check_schedule(data, time_zone=ZONE, **options)


@pytest.mark.parametrize("make", [xlsx, xls, ods], ids=["xlsx", "xls", "ods"])
def test_a_workbooks_rows_are_checked_exactly_as_the_same_rows_in_a_csv_file(make):
    workbook = checked(make({"Week 23": ROWS}))
    as_csv = checked(CSV.encode())

    assert workbook.to_dict() == as_csv.to_dict()
    assert workbook.normalised == as_csv.normalised
    assert (workbook.sheet, workbook.sheets) == ("Week 23", ["Week 23"])
    assert [problem.row for problem in workbook.errors] == [3, 3]


def test_rows_are_numbered_as_in_the_sheet_when_the_table_starts_lower_and_further_right():
    check = checked(xlsx({"Plan": ROWS}, start=(4, 2)))

    assert [problem.row for problem in check.errors] == [7, 7]
    assert [row.row for row in check.rows] == [6, 7, 8]


@pytest.mark.parametrize("blank", [[], ["", " ", "", "", ""]], ids=["an empty row", "a row of blank cells"])
def test_a_blank_row_between_the_rows_is_left_out_and_the_rows_keep_their_numbers(blank):
    check = checked(xlsx({"Plan": [*ROWS[:2], blank, *ROWS[2:]]}))

    assert [row.row for row in check.rows] == [2, 4, 5]
    assert [problem.row for problem in check.errors] == [4, 4]


def test_column_letters_in_messages_are_the_sheets_own():
    rows = [
        ["Agent Name", "Agent Email", "Start Time", "End Time", "Event Type Name", "Team"],
        *[r + ["A"] for r in ROWS[1:]],
    ]
    check = checked(xlsx({"Plan": rows}, start=(0, 2)))

    assert any("Column H 'Team'" in fix.message for fix in check.fixes)


def test_date_cells_time_cells_and_numbers_read_as_the_sheet_shows_them():
    rows = [
        HEADER + ["Day", "Clock", "Badge"],
        [
            "Ann",
            "ann@example.com",
            datetime(2026, 6, 1, 8, 59, 59, 999000),
            datetime(2026, 6, 1, 12),
            "Break",
            date(2026, 6, 2),
            time(9, 30),
            1234.0,
        ],
    ]
    check = checked(xlsx({"Plan": rows}))

    assert check.ok
    assert check.rows[0].start_text == "09:00 2026-06-01"
    assert check.rows[0].end_text == "12:00 2026-06-01"


def test_date_time_cells_are_written_in_the_chosen_date_format():
    check = checked(xlsx({"Plan": ROWS[:2]}), date_format="HH:mm dd/MM/yyyy")

    assert check.ok and check.rows[0].start_text == "09:00 01/06/2026"
    assert b"09:00 01/06/2026,17:00 01/06/2026" in check.normalised


def test_a_merged_cell_reads_on_every_row_it_covers_and_is_said():
    rows = [HEADER, *[["", f"agent{n}@example.com", "09:00 2026-06-01", "10:00 2026-06-01", "Break"] for n in range(3)]]
    check = checked(xlsx({"Plan": rows}, merge="A2:A4=Team Lead Ann"))

    assert [row.agent_name for row in check.rows] == ["Team Lead Ann"] * 3
    assert [fix.code for fix in check.fixes] == ["merged_cells_filled"]
    assert "A2:A4" in check.fixes[0].message


def test_the_first_sheet_with_data_is_read_and_another_can_be_chosen():
    book = xlsx({"Notes": [], "Week 23": ROWS, "Week 24": ROWS[:2]})

    assert checked(book).sheet == "Week 23"
    chosen = checked(book, sheet="Week 24")
    assert (chosen.sheet, chosen.summary.rows, chosen.sheets) == ("Week 24", 1, ["Notes", "Week 23", "Week 24"])


def test_a_sheet_that_does_not_exist_is_named_with_the_ones_that_do():
    check = checked(xlsx({"Week 23": ROWS}), sheet="Week 99")

    assert not check.readable
    assert check.errors[0].message == "The workbook has no sheet named 'Week 99'. Its sheets: Week 23."


def test_a_workbook_with_only_empty_sheets_says_so():
    check = checked(xlsx({"One": [], "Two": []}))

    assert check.errors[0].message == "Every sheet of the workbook is empty."


def _zip(entries: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def _with_entry(book: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(book))
    return _zip({**{info.filename: source.read(info) for info in source.infolist()}, name: content})


def test_a_decompression_bomb_is_refused_from_its_sizes_before_anything_is_parsed():
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b" " * (50 * 1024 * 1024)})
    assert len(bomb) < 100_000

    check = checked(bomb)

    assert check.errors[0].message.startswith("The workbook's part xl/worksheets/sheet1.xml packs")
    assert "decompression bomb" in check.errors[0].message


def test_a_workbook_that_unpacks_past_the_limit_is_refused():
    check = checked(xlsx({"Plan": ROWS}), workbook_limits=WorkbookLimits(max_unpacked_bytes=1000))

    assert "would unpack to" in check.errors[0].message


def test_a_workbook_of_too_many_parts_is_refused():
    many = _zip({f"xl/media/image{n}.png": b"x" for n in range(1_100)})

    assert "1,100 files inside it" in checked(many).errors[0].message


def test_a_sheet_claiming_a_million_columns_is_refused_before_it_is_read():
    sheet = b'<?xml version="1.0"?><worksheet><dimension ref="A1:XFD1048576"/><sheetData/></worksheet>'
    book = _with_entry(xlsx({"Plan": ROWS}), "xl/worksheets/sheet1.xml", sheet)

    message = checked(book).errors[0].message
    assert message.startswith("A sheet of the workbook claims 16,384 columns (to column XFD)")


def test_an_external_link_is_refused_with_how_to_break_it():
    book = _with_entry(xlsx({"Plan": ROWS}), "xl/externalLinks/externalLink1.xml", b"<externalLink/>")

    assert "Break Link" in checked(book).errors[0].message


def test_an_encrypted_office_file_is_refused_for_its_password():
    # What Excel saves with a password: an OLE2 container holding an
    # EncryptedPackage stream instead of the workbook's parts.
    container = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(4096)

    assert "protected with a password" in checked(container).errors[0].message


def test_a_damaged_workbook_is_one_sentence():
    damaged = xlsx({"Plan": ROWS})[:-200]

    check = checked(damaged)

    assert not check.readable and "damaged" in check.errors[0].message


def test_a_workbook_that_needs_more_memory_than_allowed_stops_only_the_child():
    # Two cells in opposite corners of an .xls sheet: calamine allocates the
    # 16 million cells between them at once.
    corners = [["Agent Name"], *[[] for _ in range(65_534)], [None] * 255 + ["x"]]
    book = xls({"Plan": corners})
    assert len(book) < 100_000

    check = checked(book, workbook_limits=WorkbookLimits(memory_bytes=256 * 1024 * 1024))

    assert not check.readable
    assert "256 MB of memory" in check.errors[0].message


def test_a_workbook_that_takes_too_long_is_stopped():
    check = checked(xlsx({"Plan": ROWS}), workbook_limits=WorkbookLimits(seconds=0.001))

    assert "took longer than 0.001 seconds" in check.errors[0].message


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    signature=st.sampled_from([b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b""]),
    body=st.binary(max_size=2_000),
)
def test_any_bytes_given_as_a_workbook_end_in_a_clear_error_never_an_exception(signature, body):
    check = checked(signature + body)

    if not check.readable:
        (error,) = check.errors
        assert error.code == "unreadable_file" and error.message.endswith(".")


@pytest.mark.parametrize(
    "make",
    [lambda: xlsx({"Plan": ROWS}), lambda: xls({"Plan": ROWS}, hidden=(3,))],
    ids=["xlsx", "xls with a hidden row, whose records are walked too"],
)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=0, max_value=10_000), flip=st.integers(min_value=0, max_value=255))
def test_a_real_workbook_damaged_anywhere_ends_in_a_result_never_an_exception(make, cut, flip):
    book = bytearray(make())
    at = cut % len(book)
    book[at] ^= flip

    check = checked(bytes(book))

    assert check.readable or check.errors[0].code == "unreadable_file"


def test_an_opendocument_link_to_another_file_is_refused():
    book = ods({"Plan": ROWS})
    source = zipfile.ZipFile(io.BytesIO(book))
    entries = {info.filename: source.read(info) for info in source.infolist()}
    entries["content.xml"] = entries["content.xml"].replace(
        b"<table:table-row>", b'<table:table-source xlink:href="other.ods"/><table:table-row>', 1
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), entries.pop("mimetype"), zipfile.ZIP_STORED)
        for name, content in entries.items():
            archive.writestr(name, content, zipfile.ZIP_DEFLATED)

    assert "links to other files" in checked(out.getvalue()).errors[0].message


@pytest.mark.parametrize(
    "make",
    [
        openpyxl_xlsx,
        lambda rows: xls({"Plan": rows}),
        lambda rows: ods({"Plan": rows}),
        lambda rows: ods({"Plan": rows}, errors_as_zero=True),
    ],
    ids=["xlsx", "xls", "ods", "ods keeping a 0"],
)
def test_an_error_cell_is_that_rows_one_error_saying_what_the_workbook_holds(make):
    rows = [ROWS[0], ROWS[1], ["Bob Wilson", "bob.wilson@example.com", "#N/A", datetime(2026, 6, 1, 17), "Break"]]

    check = checked(make(rows))

    assert [(problem.row, problem.column, problem.code) for problem in check.errors] == [
        (3, "Start Time", "workbook_error_cell")
    ]
    assert check.errors[0].message.startswith("Start Time: the workbook holds #N/A (a formula error), not a time.")


def test_a_formula_without_a_saved_value_is_an_error_saying_to_save_the_workbook_in_a_spreadsheet():
    rows = [ROWS[0], ["Bob Wilson", "bob.wilson@example.com", datetime(2026, 6, 1, 9), "=C2+TIME(8,0,0)", "Break"]]

    check = checked(openpyxl_xlsx(rows))

    assert [(problem.row, problem.column, problem.code) for problem in check.errors] == [
        (2, "End Time", "formula_not_saved")
    ]
    assert "a formula =C2+TIME(8,0,0) whose value the workbook did not save" in check.errors[0].message
    assert "Open the workbook in Excel or LibreOffice, save it" in check.errors[0].message


def test_a_formula_whose_saved_value_is_empty_text_reads_as_an_empty_cell():
    rows = [ROWS[0], [*ROWS[1][:4], Formula('=IF(A2="","x","")', "")]]

    check = checked(xlsx({"Plan": rows}))

    assert [(problem.row, problem.code) for problem in check.errors] == [(2, "empty_cell")]


def test_the_held_rows_file_shows_an_error_cell_as_the_sheet_does():
    from imports.schedule.held_rows import held_file
    from imports.schedule.readers import ReadOptions

    rows = [ROWS[0], ["Bob Wilson", "bob.wilson@example.com", "#N/A", datetime(2026, 6, 1, 17), "Break"]]

    held = held_file(openpyxl_xlsx(rows), ReadOptions(), {2: ["Start Time: the workbook holds #N/A."]})

    assert held.decode().splitlines()[1].startswith("Bob Wilson,bob.wilson@example.com,#N/A,")


@pytest.mark.parametrize(
    "make",
    [
        openpyxl_xlsx,
        lambda rows, hidden: xls({"Plan": rows}, hidden=hidden),
        lambda rows, hidden: ods({"Plan": rows}, hidden=hidden),
    ],
    ids=["xlsx", "xls", "ods"],
)
def test_hidden_rows_are_left_out_as_the_sheet_shows_them_and_said(make):
    day = [datetime(2026, 6, 1, 9), datetime(2026, 6, 1, 17)]
    rows = [
        HEADER,
        ["Ann Lee", "ann.lee@example.com", *day, "Meeting"],
        ["Bob Wilson", "bob.wilson@example", *day, "Meeting"],
        ["Cy Young", "cy.young@example.com", *day, "Meeting"],
        ["Di Prince", "di.prince@example.com", "never", *day[1:], "Meeting"],
    ]

    check = checked(make(rows, hidden=(3, 5)))

    assert [row.row for row in check.rows] == [2, 4]
    assert not check.errors
    assert [(fix.row, fix.message) for fix in check.fixes if fix.code == "hidden_rows_left_out"] == [
        (
            3,
            "Rows 3, 5 are hidden in the workbook and were left out, as the sheet does not show them. "
            "To send them, unhide them in the workbook and upload it again.",
        )
    ]


def test_an_error_cell_after_repeated_cells_is_placed_in_its_own_column():
    rows = [[*HEADER, "Note"], ["Bob Wilson", "", "", "#N/A", "Break", ""]]
    book = _content_replaced(
        ods({"Plan": rows}),
        b"<table:table-cell/><table:table-cell/>",
        b'<table:table-cell table:number-columns-repeated="2"/>',
    )

    check = checked(book)

    assert ("End Time", "workbook_error_cell") in [(problem.column, problem.code) for problem in check.errors]
    assert not [problem for problem in check.errors if problem.column == "Start Time" and problem.code != "empty_cell"]


def _content_replaced(book, old, new):
    source = zipfile.ZipFile(io.BytesIO(book))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for entry in source.infolist():
            content = source.read(entry)
            archive.writestr(entry, content.replace(old, new, 1) if entry.filename == "content.xml" else content)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_a_workbook_saved_by_libreoffice_leaves_its_hidden_row_out_and_holds_its_formulas_errors(kind):
    # Made by LibreOffice 7.4 from an .ods with row 3 hidden, =NA() in C4 and
    # =1/0 in D5: each keeps a formula's error in its own way.
    check = checked((DATA / "workbooks" / f"libreoffice-hidden-row-and-errors.{kind}").read_bytes())

    assert [row.row for row in check.rows] == [2, 4, 5]
    assert [(problem.row, problem.column, problem.code) for problem in check.errors] == [
        (4, "Start Time", "workbook_error_cell"),
        (5, "End Time", "workbook_error_cell"),
    ]
    assert check.errors[0].message.startswith("Start Time: the workbook holds #N/A (a formula error)")
    assert check.errors[1].message.startswith("End Time: the workbook holds #DIV/0! (a formula error)")
    assert [fix.row for fix in check.fixes if fix.code == "hidden_rows_left_out"] == [3]


@pytest.mark.parametrize(
    "make",
    [
        lambda rows, name: openpyxl_xlsx(rows, hidden=(3,), title=name),
        lambda rows, name: xls({name: rows}, hidden=(3,)),
        lambda rows, name: ods({name: rows}, hidden=(3,)),
    ],
    ids=["xlsx", "xls", "ods"],
)
def test_a_sheet_named_with_characters_xml_escapes_is_still_found_for_its_hidden_rows(make):
    day = [datetime(2026, 6, 1, 9), datetime(2026, 6, 1, 17)]
    rows = [HEADER, ["Ann Lee", "ann.lee@example.com", *day, "Meeting"], ["Bob Wilson", "bob@example", *day, "Meeting"]]

    check = checked(make(rows, 'R&D <"Plan"> é'))

    assert [row.row for row in check.rows] == [2]
    assert not check.errors


def test_a_cell_holding_the_readers_own_separator_still_reads_whole_and_is_reported():
    rows = [HEADER, ["Ann\x00Lee", "ann.lee@example.com", datetime(2026, 6, 1, 9), datetime(2026, 6, 1, 17), "Break"]]

    check = checked(xls({"Plan": rows}))

    assert check.rows[0].agent_name == "Ann\x00Lee"
    assert [(problem.row, problem.code) for problem in check.errors] == [(2, "control_character")]
