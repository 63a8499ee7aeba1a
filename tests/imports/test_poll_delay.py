"""When the worker asks Talkdesk again: rarely while an import is processing,
often once it may have finished, so that the final state is seen within
2 s + 10% of Talkdesk finishing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from imports.delivery import _poll_delay
from imports.models import Import, ImportPart
from imports.states import ImportState, PartState


def part_sent(personas, *, seconds_ago: float, state=PartState.PROCESSING, took: float | None = None) -> ImportPart:
    now = timezone.now()
    job = Import.objects.create(
        team=personas.alpha,
        connection=personas.acme,
        account_key=personas.acme.account_key,
        uploaded_by=personas.sam,
        file_name="schedule.csv",
        original="imports/x/original",
        size=100,
        sha256="0" * 64,
        time_zone="UTC",
        state=ImportState.PROCESSING if state == PartState.PROCESSING else state,
    )
    sent = now - timedelta(seconds=seconds_ago)
    return ImportPart.objects.create(
        import_job=job,
        number=1,
        account_key=job.account_key,
        content="imports/x/part-1.csv",
        size=100,
        sha256="0" * 64,
        rows=3,
        state=state,
        sent_at=sent,
        finished_at=sent + timedelta(seconds=took) if took is not None else None,
    )


@pytest.fixture
def long_max_delay(settings):
    settings.IMPORT_POLL_MAX_SECONDS = 30


def test_without_history_the_checks_are_never_further_apart_than_2_s_and_a_tenth_of_the_time_taken_less_a_checks_own_time(
    personas, long_max_delay
):
    part = part_sent(personas, seconds_ago=1)
    assert _poll_delay(part) == pytest.approx(1.6, abs=0.05)
    part.sent_at -= timedelta(seconds=99)
    assert _poll_delay(part) == pytest.approx(11.5, abs=0.05)


def test_no_check_before_the_quickest_of_the_accounts_latest_imports_would_have_finished(personas, long_max_delay):
    for took in (40, 25, 60):
        part_sent(personas, seconds_ago=3600, state=PartState.IMPORTED, took=took)
    # Its final state seen at 25 s may have come up to 2 s + 2.5 s after
    # Talkdesk finished: the first check is at 20.5 s.
    assert _poll_delay(part_sent(personas, seconds_ago=1)) == pytest.approx(19.5, abs=0.05)


def test_past_the_expected_end_the_checks_come_quickly_again(personas, long_max_delay):
    part_sent(personas, seconds_ago=3600, state=PartState.IMPORTED, took=20)
    assert _poll_delay(part_sent(personas, seconds_ago=21)) == pytest.approx(3.6, abs=0.05)


def test_the_delay_never_exceeds_the_configured_longest(personas, settings):
    settings.IMPORT_POLL_MAX_SECONDS = 2
    part_sent(personas, seconds_ago=3600, state=PartState.IMPORTED, took=600)
    assert _poll_delay(part_sent(personas, seconds_ago=1)) == 2
