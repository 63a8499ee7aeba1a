"""POST /wfm/aion/v1/schedules/event-imports: every answer the spec lists,
in the order Talkdesk checks them."""

import re

import requests

from tests.simulator.conftest import EXAMPLE_CSV, HEADER, IMPORTS, csv_of

FIVE_MB = 5 * 1024 * 1024


def file_of_size(size: int) -> bytes:
    row = "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Break\r\n"
    head = f"{HEADER}\r\n"
    body = head + row * ((size - len(head)) // len(row))
    return (body + "x" * (size - len(body))).encode()


def assert_vendor_error(response, status, code, message):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"code": code, "message": message}


def assert_message(response, status, message=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message"}
    if message is not None:
        assert body["message"] == message


# 202


def test_it_accepts_the_specs_example_with_an_empty_body_and_a_location(talkdesk):
    response = talkdesk.upload(EXAMPLE_CSV)
    assert response.status_code == 202
    assert response.content == b""
    assert re.fullmatch(
        r"/v1/schedules/event-imports/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        response.headers["Location"],
    )


def test_it_records_an_accepted_file_once_in_the_ledger(talkdesk, simulator):
    import hashlib

    import_id = talkdesk.accepted(EXAMPLE_CSV, file_name="june.csv")
    (upload,) = simulator.control.ledger()["uploads"]
    assert upload["account"] == "acme"
    assert upload["import_id"] == import_id
    assert upload["file_name"] == "june.csv"
    assert upload["sha256"] == hashlib.sha256(EXAMPLE_CSV).hexdigest()
    assert upload["size"] == len(EXAMPLE_CSV)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", upload["received_at"])


def test_it_accepts_every_supported_date_format(talkdesk):
    examples = {
        "HH:mm yyyy-MM-dd": ("09:00 2026-06-01", "17:00 2026-06-01"),
        "HH:mm yyyyMMdd": ("09:00 20260601", "17:00 20260601"),
        "HH:mm MM/dd/yyyy": ("09:00 06/01/2026", "17:00 06/01/2026"),
        "HH:mm M/d/yyyy": ("09:00 6/1/2026", "17:00 6/1/2026"),
        "HH:mm MM/dd/yy": ("09:00 06/01/26", "17:00 06/01/26"),
        "HH:mm dd/MM/yyyy": ("09:00 01/06/2026", "17:00 01/06/2026"),
    }
    for date_format, (start, end) in examples.items():
        content = csv_of(f"John Smith,john.smith@example.com,{start},{end},Training")
        import_id = talkdesk.accepted(content, date_format=date_format)
        assert talkdesk.final(import_id)["status"] == "IMPORTED", date_format


def test_it_takes_a_file_of_exactly_five_megabytes(talkdesk):
    assert talkdesk.upload(file_of_size(FIVE_MB)).status_code == 202


def test_it_reads_a_file_with_bare_newlines_and_no_final_newline(talkdesk):
    content = f"{HEADER}\nJohn Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Lunch".encode()
    assert talkdesk.final(talkdesk.accepted(content))["status"] == "IMPORTED"


# 401, 403, 429


def test_it_rejects_an_upload_without_a_token(talkdesk):
    assert_vendor_error(talkdesk.upload(token=None), 401, "1580005", "Invalid authentication.")


def test_it_rejects_a_malformed_token(talkdesk):
    assert_vendor_error(talkdesk.upload(token="not-a-jwt"), 401, "1580005", "Invalid authentication.")


def test_it_rejects_a_token_with_a_bad_signature(talkdesk):
    token = talkdesk.token()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert_vendor_error(talkdesk.upload(token=forged), 401, "1580005", "Invalid authentication.")


def test_it_rejects_credentials_sent_as_basic_instead_of_a_bearer_token(talkdesk):
    response = requests.post(
        talkdesk.base_url + IMPORTS, auth=("demo-portal", "x"), files={"csv_file": ("a.csv", EXAMPLE_CSV)}, timeout=10
    )
    assert_vendor_error(response, 401, "1580005", "Invalid authentication.")


def test_it_refuses_a_client_without_the_write_scope(talkdesk, simulator):
    response = talkdesk.upload(token=talkdesk.token("acme", "demo-readonly"))
    assert_message(response, 403, "Insufficient permissions to perform this operation.")
    assert simulator.control.ledger()["uploads"] == []


# 413


def test_it_refuses_a_file_one_byte_over_five_megabytes(talkdesk, simulator):
    response = talkdesk.upload(file_of_size(FIVE_MB + 1))
    assert_vendor_error(response, 413, "1580047", "The uploaded file exceeds the maximum allowed size of 5 MB.")
    assert simulator.control.ledger()["uploads"] == []


def test_it_refuses_a_far_larger_body_and_keeps_the_connection_usable(talkdesk):
    with requests.Session() as session:
        response = session.post(
            talkdesk.base_url + IMPORTS,
            headers=talkdesk.auth(talkdesk.token()),
            data={"file_name": "big.csv", "time_zone": "UTC"},
            files={"csv_file": ("big.csv", file_of_size(3 * FIVE_MB))},
            timeout=30,
        )
        assert response.json()["code"] == "1580047"
        assert session.get(talkdesk.base_url + "/_simulator/health", timeout=10).json() == {"ok": True}


# 415


def test_it_refuses_a_file_name_that_does_not_end_in_csv(talkdesk):
    assert_vendor_error(talkdesk.upload(file_name="week.xlsx"), 415, "1580027", "Unsupported Media Type.")


def test_it_refuses_an_upper_case_csv_extension_as_the_spec_asks_for_dot_csv(talkdesk):
    assert talkdesk.upload(file_name="WEEK.CSV").json()["code"] == "1580027"


def test_it_refuses_a_file_that_is_not_utf8_text(talkdesk):
    content = (
        csv_of("José Núñez,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Break").decode().encode("latin-1")
    )
    assert talkdesk.upload(content).json()["code"] == "1580027"


def test_it_refuses_a_file_with_nul_bytes(talkdesk):
    assert talkdesk.upload(EXAMPLE_CSV + b"\x00").json()["code"] == "1580027"


def test_it_refuses_a_png_named_csv(talkdesk):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
    assert_vendor_error(talkdesk.upload(png), 415, "1580027", "Unsupported Media Type.")


# 400 1580028


def test_it_rejects_a_header_in_another_order(talkdesk):
    content = csv_of(header="Agent Email,Agent Name,Start Time,End Time,Event Type Name")
    assert_vendor_error(talkdesk.upload(content), 400, "1580028", "The CSV template is incorrect.")


def test_it_rejects_a_header_in_another_case(talkdesk):
    assert talkdesk.upload(csv_of(header=HEADER.lower())).json()["code"] == "1580028"


def test_it_rejects_a_header_with_a_byte_order_mark(talkdesk):
    assert talkdesk.upload(b"\xef\xbb\xbf" + EXAMPLE_CSV).json()["code"] == "1580028"


def test_it_rejects_a_header_with_an_extra_column_or_spaces_or_quotes(talkdesk):
    for header in (
        HEADER + ",Notes",
        HEADER + " ",
        HEADER.replace(",", ", "),
        '"Agent Name",Agent Email,Start Time,End Time,Event Type Name',
    ):
        assert talkdesk.upload(csv_of(header=header)).json()["code"] == "1580028", header


def test_it_rejects_an_empty_file(talkdesk):
    assert talkdesk.upload(b"").json()["code"] == "1580028"


def test_it_rejects_an_unsupported_date_format(talkdesk):
    for date_format in ("yyyy-MM-dd HH:mm", "HH:mm yyyy-MM-dd ", "hh:mm yyyy-MM-dd", ""):
        assert_vendor_error(talkdesk.upload(date_format=date_format), 400, "1580028", "The CSV template is incorrect.")


# 400 with a plain message


def test_it_asks_for_a_missing_csv_file(talkdesk):
    assert_message(talkdesk.upload(omit=("csv_file",)), 400, "Required parameter 'csv_file' is missing.")


def test_it_asks_for_a_missing_file_name(talkdesk):
    assert_message(talkdesk.upload(omit=("file_name",)), 400, "Required parameter 'file_name' is missing.")


def test_it_asks_for_a_missing_time_zone(talkdesk):
    assert_message(talkdesk.upload(omit=("time_zone",)), 400, "Required parameter 'time_zone' is missing.")


def test_it_rejects_a_time_zone_that_is_not_iana(talkdesk):
    for time_zone in ("Mars/Olympus", "america/new_york", "EST ", "", "../etc/passwd", "localtime"):
        response = talkdesk.upload(time_zone=time_zone)
        assert_message(response, 400)
        assert "time_zone" in response.json()["message"], time_zone


def test_it_accepts_utc_and_a_region_zone(talkdesk):
    for time_zone in ("UTC", "America/New_York", "Europe/Lisbon"):
        import_id = talkdesk.accepted(time_zone=time_zone)
        talkdesk.final(import_id)


def test_it_rejects_a_body_that_is_not_multipart(talkdesk):
    response = requests.post(
        talkdesk.base_url + IMPORTS, headers=talkdesk.auth(talkdesk.token()), json={"file_name": "a.csv"}, timeout=10
    )
    assert_message(response, 400, "Content-Type must be multipart/form-data.")


def test_it_rejects_a_multipart_body_without_its_closing_boundary(talkdesk):
    body = b'--b\r\nContent-Disposition: form-data; name="file_name"\r\n\r\na.csv\r\n'
    headers = {**talkdesk.auth(talkdesk.token()), "Content-Type": "multipart/form-data; boundary=b"}
    response = requests.post(talkdesk.base_url + IMPORTS, headers=headers, data=body, timeout=10)
    assert_message(response, 400)


# 409


def test_it_refuses_a_second_import_while_the_first_is_processing(talkdesk, simulator):
    first = talkdesk.accepted()
    response = talkdesk.upload()
    assert_vendor_error(
        response, 409, "1580026", "Another event import is already in progress. Please try again later."
    )
    assert [u["import_id"] for u in simulator.control.ledger()["uploads"]] == [first]


def test_it_accepts_the_next_import_once_the_first_has_finished(talkdesk):
    talkdesk.final(talkdesk.accepted())
    assert talkdesk.upload().status_code == 202


def test_one_accounts_import_does_not_block_another_account(talkdesk):
    talkdesk.accepted(token="acme")
    content = csv_of("Hank Scorpio,hank.scorpio@example.com,09:00 2026-06-01,17:00 2026-06-01,Break")
    assert talkdesk.upload(content, token="globex").status_code == 202


# The order of the checks


def test_authentication_is_checked_before_anything_else(talkdesk):
    assert talkdesk.upload(file_of_size(FIVE_MB + 1), token=None, file_name="x.txt").status_code == 401


def test_the_scope_is_checked_before_the_rate_limit_and_the_file(talkdesk, simulator):
    simulator.control.set_faults(rate_limit_burst=1)
    response = talkdesk.upload(file_of_size(FIVE_MB + 1), token=talkdesk.token("acme", "demo-readonly"))
    assert response.status_code == 403
    assert simulator.control.faults()["rate_limit_burst"] == 1


def test_the_rate_limit_is_checked_before_the_file(talkdesk, simulator):
    simulator.control.set_faults(rate_limit_burst=1)
    assert talkdesk.upload(file_of_size(FIVE_MB + 1)).status_code == 429


def test_the_size_is_checked_before_the_media_type(talkdesk):
    assert talkdesk.upload(file_of_size(FIVE_MB + 1), file_name="big.txt").status_code == 413


def test_the_media_type_is_checked_before_the_template(talkdesk):
    assert talkdesk.upload(b"not,a,template\r\n", file_name="x.txt").status_code == 415


def test_the_template_is_checked_before_missing_fields(talkdesk):
    assert talkdesk.upload(b"not,a,template\r\n", omit=("time_zone",)).json()["code"] == "1580028"


def test_missing_fields_are_reported_before_a_conflict(talkdesk):
    talkdesk.accepted()
    assert_message(talkdesk.upload(omit=("time_zone",)), 400)
