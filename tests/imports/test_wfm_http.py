"""What both WFM clients share of HTTP: Retry-After read either way, a
token never shown, and a request that never left told from one that may
have arrived."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from imports.wfm.http import Bearer, never_sent, parse_retry_after


def test_retry_after_in_seconds_is_read_as_seconds():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0


def test_retry_after_as_an_http_date_is_the_time_until_that_date():
    now = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)

    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30.0


def test_retry_after_in_the_past_means_now():
    now = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)

    assert parse_retry_after(format_datetime(now - timedelta(minutes=5), usegmt=True), now=now) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5e3"])
def test_an_unreadable_retry_after_is_no_retry_after(value):
    assert parse_retry_after(value) is None


def test_a_bearer_token_is_sent_but_never_shown():
    request = requests.Request("GET", "http://127.0.0.1/", auth=Bearer("s3cr3t-token-value")).prepare()

    assert request.headers["Authorization"] == "Bearer s3cr3t-token-value"
    assert "s3cr3t" not in repr(Bearer("s3cr3t-token-value"))


def test_a_refused_connection_never_left_and_a_read_timeout_may_have_arrived():
    with pytest.raises(requests.ConnectionError) as refused:
        requests.get("http://127.0.0.1:9/", timeout=2)

    assert never_sent(refused.value)
    assert not never_sent(requests.exceptions.ReadTimeout("read timed out"))
