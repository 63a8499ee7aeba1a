"""The multipart/form-data reader keeps a file's bytes exactly."""

import pytest
import requests

from simulator import multipart


def encoded(**kwargs):
    prepared = requests.Request("POST", "http://simulator.invalid/", **kwargs).prepare()
    return prepared.body, multipart.boundary_of(prepared.headers["Content-Type"])


def test_it_returns_each_field_and_the_files_exact_bytes():
    content = b"a,b\r\n\x00\xff\r\n--not-the-boundary\r\n\r\n"
    body, boundary = encoded(files={"csv_file": ("résumé.csv", content, "text/csv"), "file_name": (None, "week.csv")})
    parts = multipart.parse(body, boundary)
    assert parts["csv_file"].content == content
    assert parts["csv_file"].filename == "résumé.csv"
    assert parts["file_name"].content == b"week.csv" and parts["file_name"].filename is None


def test_the_first_of_a_repeated_field_wins():
    body = b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n2\r\n--b--\r\n'
    assert multipart.parse(body, "b")["x"].content == b"1"


def test_only_multipart_form_data_has_a_boundary():
    assert multipart.boundary_of('multipart/form-data; boundary="a b"') == "a b"
    assert multipart.boundary_of("multipart/form-data") is None
    assert multipart.boundary_of("multipart/mixed; boundary=x") is None
    assert multipart.boundary_of("application/json") is None
    assert multipart.boundary_of(None) is None


@pytest.mark.parametrize(
    "body",
    [
        b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n',
        b"--b\r\n\r\n1\r\n--b--",
        b'--b\r\nContent-Disposition: attachment; name="x"\r\n\r\n1\r\n--b--',
        b"--b\r\nContent-Disposition: form-data\r\n\r\n1\r\n--b--",
        b'--b junk\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--b--',
        b'--b\r\nContent-Disposition: form-data; name="x"\r\n1\r\n--b--',
    ],
)
def test_it_refuses_a_malformed_body(body):
    with pytest.raises(multipart.MalformedMultipart):
        multipart.parse(body, "b")
