from imports.wfm.talkdesk.error_report import read_error_report


def test_it_reads_the_row_number_and_the_reason_by_column_name():
    report = (
        b"Agent Name,Agent Email,Start Time,End Time,Event Type Name,Row,Error\r\n"
        b"Carla,carla@example.com,09:00 2026-06-01,17:00 2026-06-01,Break,4,Agent email not found\r\n"
    )
    (failed,) = read_error_report(report)
    assert failed.row == 4
    assert failed.reason == "Agent email not found"
    assert failed.values["Agent Email"] == "carla@example.com"


def test_a_report_without_row_numbers_still_gives_the_rows_and_reasons():
    report = "\ufeffAgent Email,Reason\ncarla@example.com,unknown agent\n\n".encode()
    (failed,) = read_error_report(report)
    assert failed.row is None and failed.reason == "unknown agent"


def test_an_empty_report_has_no_rows():
    assert read_error_report(b"") == []
