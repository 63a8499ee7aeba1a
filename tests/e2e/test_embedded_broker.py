"""The embedded default's worker and its filesystem broker, as `dev.py run`
starts them: a message it cannot read must not stop the worker, since
`dev.py run` then stops the whole portal."""

import re
import time
from pathlib import Path

import pytest

from tests.reliability.running_portal import wait_until

pytestmark = pytest.mark.e2e


def test_the_worker_drops_an_unreadable_message_and_goes_on_taking_tasks(stack_embedded):
    queue = Path(stack_embedded.env["PORTAL_DATA_DIR"]) / "broker" / "queue"
    wait_until(lambda: "ready." in stack_embedded.log("worker"), seconds=30, what="the worker is ready")
    # As Kombu's own transport left a message it had created but not yet written.
    (queue / f"{int(time.monotonic() * 1000)}_{'0' * 32}.celery.msg").write_bytes(b"")
    dropped = "could not be read and was dropped"
    wait_until(
        lambda: dropped in stack_embedded.log("worker"), seconds=15, what="the worker names the message it dropped"
    )

    def after_drop() -> str:
        return stack_embedded.log("worker").split(dropped, 1)[1]

    # Beat wakes the reconciler every 5 s in the test stack.
    wait_until(
        lambda: re.search(r"Task imports\.tasks\.reconcile_imports\[[0-9a-f-]+\] succeeded", after_drop()),
        seconds=20,
        what="the worker runs a task after the dropped message",
    )
    assert stack_embedded.processes["worker"].poll() is None
    assert "Unrecoverable error" not in after_drop()
