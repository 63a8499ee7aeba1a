import pytest

from imports.states import PART_IN_FLIGHT, PART_MOVES, ImportState, PartState, import_state_from_parts

W, PREP, S, P = PartState.WAITING, PartState.PREPARING, PartState.SENDING, PartState.PROCESSING
OK, IWE, ERR = PartState.IMPORTED, PartState.IMPORTED_WITH_ERRORS, PartState.ERROR
FAILED, STALLED, ATTN, SKIP = PartState.FAILED, PartState.STALLED, PartState.NEEDS_ATTENTION, PartState.SKIPPED


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([W], ImportState.QUEUED),
        ([PREP], ImportState.SENDING),
        ([S], ImportState.SENDING),
        ([P], ImportState.PROCESSING),
        ([OK], ImportState.IMPORTED),
        ([IWE], ImportState.IMPORTED_WITH_ERRORS),
        ([ERR], ImportState.ERROR),
        ([FAILED], ImportState.FAILED),
        ([STALLED], ImportState.STALLED),
        ([OK, STALLED, SKIP], ImportState.STALLED),
        ([ATTN], ImportState.NEEDS_ATTENTION),
        ([OK, W], ImportState.PROCESSING),
        ([OK, P], ImportState.PROCESSING),
        ([OK, IWE], ImportState.IMPORTED_WITH_ERRORS),
        ([OK, FAILED, SKIP], ImportState.FAILED),
        ([ERR, SKIP], ImportState.ERROR),
        ([OK, ATTN, W], ImportState.NEEDS_ATTENTION),
        ([SKIP, SKIP], ImportState.CANCELLED),
    ],
)
def test_an_import_is_where_its_parts_are(parts, expected):
    assert import_state_from_parts(parts) == expected


def test_final_part_states_lead_nowhere():
    for state, targets in PART_MOVES.items():
        assert state.is_final == (not targets)


def test_a_part_goes_back_to_waiting_only_from_a_worker_or_by_an_admin():
    sources = {state for state, targets in PART_MOVES.items() if PartState.WAITING in targets}
    assert sources == {PartState.PREPARING, PartState.SENDING, PartState.NEEDS_ATTENTION}


def test_only_a_part_whose_upload_started_can_need_attention():
    sources = {state for state, targets in PART_MOVES.items() if PartState.NEEDS_ATTENTION in targets}
    assert sources == {PartState.SENDING, PartState.PROCESSING}


def test_a_part_talkdesk_acknowledged_can_never_end_not_sent():
    not_sent = {state for state in PartState if state.label == "Not sent"}
    assert not_sent == {PartState.FAILED, PartState.SKIPPED}
    assert not PART_MOVES[PartState.PROCESSING] & not_sent


def test_a_part_holds_its_accounts_slot_from_its_claim_to_talkdesks_answer():
    assert set(PART_IN_FLIGHT) == {PartState.PREPARING, PartState.SENDING, PartState.PROCESSING}


def test_every_state_has_its_moves_written_down():
    assert set(PART_MOVES) == set(PartState)


def test_only_queued_sending_and_processing_imports_are_moving():
    assert {s for s in ImportState if s.is_moving} == {ImportState.QUEUED, ImportState.SENDING, ImportState.PROCESSING}
