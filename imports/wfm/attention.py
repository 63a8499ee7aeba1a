"""What an admin is told about a file a WFM acknowledged (it gave an import
id) whose outcome the portal cannot learn. Such a file is never called "Not
sent": the WFM has it, and only a person who looks in the WFM can tell
whether the schedule went in. Each vendor's package describes its own odd
answers; these words hold for any WFM."""

from __future__ import annotations


def _in_words(seconds: float) -> str:
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size or unit == "second":
            count = round(seconds / size, 1)
            return f"{count:g} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable")


def answered_with(wfm_name: str, answer: str) -> str:
    return f"{wfm_name} answered its status checks with {answer.rstrip('.')}"


def could_not_ask(wfm_name: str, reason: str) -> str:
    return f"the portal could not ask {wfm_name} about it ({reason.rstrip('.')})"


def status_unreadable(*, wfm_name: str, import_id: str, what_happened: str, asked_for_seconds: float) -> str:
    """The portal tried for a while and never learned where the import stands."""
    return (
        f"{wfm_name} received this file under import id {import_id}, but the portal cannot tell how the import "
        f"went: for {_in_words(asked_for_seconds)}, {what_happened}. The portal stopped asking. "
        f"Check import {import_id} in {wfm_name}, then choose: {wfm_name} has it, if the schedule is there "
        "(nothing is sent again); or Send again, if it is not (the file is sent once more, so choose it only "
        "after checking, or the schedule goes in twice)."
    )


def status_unreadable_for_now(*, wfm_name: str, import_id: str, what_happened: str) -> str:
    """Shown while the portal goes on asking."""
    return (
        f"{wfm_name} received this file under import id {import_id}; so far {what_happened}, and the portal "
        "cannot tell from that how the import went. It asks again."
    )
