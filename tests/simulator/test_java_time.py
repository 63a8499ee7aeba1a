"""Times read the way Talkdesk's Java backend reads them."""

from datetime import datetime

import pytest

from simulator.java_time import DEFAULT_DATE_FORMAT, SUPPORTED_DATE_FORMATS, JavaPattern


def test_the_default_is_one_of_the_six_supported_formats():
    assert DEFAULT_DATE_FORMAT == "HH:mm yyyy-MM-dd"
    assert len(SUPPORTED_DATE_FORMATS) == 6 and DEFAULT_DATE_FORMAT in SUPPORTED_DATE_FORMATS


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("HH:mm yyyy-MM-dd", "09:00 2026-06-01"),
        ("HH:mm yyyyMMdd", "09:00 20260601"),
        ("HH:mm MM/dd/yyyy", "09:00 06/01/2026"),
        ("HH:mm M/d/yyyy", "09:00 6/1/2026"),
        ("HH:mm MM/dd/yy", "09:00 06/01/26"),
        ("HH:mm dd/MM/yyyy", "09:00 01/06/2026"),
    ],
)
def test_it_reads_the_specs_example_of_every_format(pattern, text):
    assert JavaPattern(pattern).parse(text) == datetime(2026, 6, 1, 9, 0)


def test_single_letter_fields_take_one_or_two_digits():
    pattern = JavaPattern("HH:mm M/d/yyyy")
    assert pattern.parse("23:59 12/31/2026") == datetime(2026, 12, 31, 23, 59)
    assert pattern.parse("00:00 06/01/2026") == datetime(2026, 6, 1, 0, 0)


def test_a_two_digit_year_is_in_this_century():
    assert JavaPattern("HH:mm MM/dd/yy").parse("09:00 06/01/99").year == 2099


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("HH:mm yyyy-MM-dd", "9:00 2026-06-01"),  # HH is two digits
        ("HH:mm yyyy-MM-dd", "09:0 2026-06-01"),
        ("HH:mm yyyy-MM-dd", "24:00 2026-06-01"),  # no 24:00
        ("HH:mm yyyy-MM-dd", "12:60 2026-06-01"),
        ("HH:mm yyyy-MM-dd", "09:00 2026-02-30"),  # not a real date
        ("HH:mm yyyy-MM-dd", "09:00 2025-02-29"),
        ("HH:mm yyyy-MM-dd", "09:00 2026-13-01"),
        ("HH:mm yyyy-MM-dd", "09:00 2026-6-1"),  # MM and dd are two digits
        ("HH:mm yyyy-MM-dd", " 09:00 2026-06-01"),  # no surrounding spaces
        ("HH:mm yyyy-MM-dd", "09:00 2026-06-01 "),
        ("HH:mm yyyy-MM-dd", "09:00 26-06-01"),
        ("HH:mm yyyy-MM-dd", "09:00 0000-06-01"),
        ("HH:mm yyyy-MM-dd", "09:00 2026/06/01"),
        ("HH:mm yyyy-MM-dd", "٠٩:٠٠ ٢٠٢٦-٠٦-٠١"),  # only ASCII digits
        ("HH:mm yyyy-MM-dd", ""),
        ("HH:mm M/d/yyyy", "09:00 006/1/2026"),
        ("HH:mm M/d/yyyy", "09:00 6/1/26"),
        ("HH:mm MM/dd/yy", "09:00 06/01/2026"),
        ("HH:mm yyyyMMdd", "09:00 2026061"),
        ("HH:mm dd/MM/yyyy", "09:00 31/04/2026"),
    ],
)
def test_it_refuses_what_a_strict_java_formatter_refuses(pattern, text):
    with pytest.raises(ValueError):
        JavaPattern(pattern).parse(text)


def test_it_accepts_a_leap_day():
    assert JavaPattern("HH:mm yyyy-MM-dd").parse("09:00 2028-02-29") == datetime(2028, 2, 29, 9, 0)


@pytest.mark.parametrize("pattern", ["hh:mm yyyy-MM-dd", "HH:mm yyyy-MM", "HH:mm yyyy-MM-dd HH", "HH:mm uuuu-MM-dd"])
def test_it_refuses_to_build_a_pattern_it_cannot_read_fully(pattern):
    with pytest.raises(ValueError):
        JavaPattern(pattern)
