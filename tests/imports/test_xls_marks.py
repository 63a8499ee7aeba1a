"""An .xls sheet's hidden rows and error cells are read from its BIFF
records, in the compound file's Workbook stream wherever it lies, and a
compound file that does not hold together is said to be damaged."""

import pytest

from imports.schedule.xls_marks import Unreadable, xls_marks
from tests.imports.workbooks import in_mini_stream, xls


def test_the_named_sheets_hidden_rows_and_error_cells_are_read_and_no_other_sheets():
    book = xls(
        {
            "Draft": [["a"], ["#REF!"], ["c"]],
            "Plan": [["a", "b"], ["x", "#N/A"], ["y", "#DIV/0!"], ["z", "w"]],
        },
        hidden=(3,),
    )

    hidden, unread = xls_marks(book, "Plan")

    assert hidden == [(3, 3)]
    assert unread == {(2, 1): "#N/A", (3, 1): "#DIV/0!"}


@pytest.mark.parametrize(
    ("rows", "packed"), [(3, in_mini_stream), (3_000, bytes)], ids=["in the mini stream", "in sectors of its own"]
)
def test_a_workbook_stream_is_read_however_small_or_large(rows, packed):
    book = packed(xls({"Plan": [["agent", "#N/A"]] * rows}, hidden=(rows,)))

    hidden, unread = xls_marks(book, "Plan")

    assert hidden == [(rows, rows)]
    assert len(unread) == rows


def test_a_sheet_the_workbook_does_not_name_has_no_marks():
    assert xls_marks(xls({"Plan": [["a"]]}), "Other") == ([], {})


def test_sectors_that_link_in_a_loop_are_damage_not_a_hang():
    book = bytearray(xls({"Plan": [["a"]]}))
    # The directory's first sector, made to follow itself in the allocation table.
    directory = int.from_bytes(book[0x30:0x34], "little")
    fat = int.from_bytes(book[0x4C:0x50], "little")
    at = (fat + 1) * 512 + directory * 4
    book[at : at + 4] = directory.to_bytes(4, "little")

    with pytest.raises(Unreadable, match="do not end"):
        xls_marks(bytes(book), "Plan")
