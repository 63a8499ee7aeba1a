"""One portal for the whole reliability suite, started as production starts
it (the simulator, a Celery worker and beat, gunicorn; PostgreSQL and Redis),
with its clocks turned down so that a fault plays out in seconds:
heartbeats every second, the reconciler every two, a broker visibility
timeout of four, Talkdesk answers given up on after five, an unreadable
status given up on after ten."""

import re

import pytest

from tests.fixtures.stack import start_stack, stop_stack
from tests.reliability.running_portal import RunningPortal, ensure_postgresql_running, wait_until

# Its own Redis database: the end-to-end tests use 13, dev.py's test run 15,
# the benchmarks 11 and 12. A worker of another stack on it would take this
# suite's tasks, and the other way round.
REDIS_DB = 9
QUICK_CLOCKS = {
    "IMPORT_POLL_FIRST_SECONDS": "0.5",
    "IMPORT_POLL_MAX_SECONDS": "2",
    "IMPORT_RETRY_FIRST_SECONDS": "0.5",
    "IMPORT_RETRY_MAX_SECONDS": "2",
    "RECONCILE_EVERY_SECONDS": "2",
    "IMPORT_HEARTBEAT_SECONDS": "1",
    "IMPORT_STALLED_AFTER_SECONDS": "30",
    "CELERY_BROKER_VISIBILITY_TIMEOUT": "4",
    "TALKDESK_CONNECT_TIMEOUT_SECONDS": "2",
    "TALKDESK_READ_TIMEOUT_SECONDS": "5",
    # Each test resets the simulator, which forgets the imports it had: a part
    # an earlier test left processing then reads 404 for its own id and holds
    # its account's slot while that odd answer is retried (15 minutes in
    # production), and the next test's import waits behind it.
    "IMPORT_UNREADABLE_STATUS_SECONDS": "10",
}


@pytest.fixture(scope="package")
def reliability_stack(tmp_path_factory):
    stack = start_stack(
        tmp_path_factory.mktemp("reliability"), backend="postgres", env_overrides=QUICK_CLOCKS, redis_db=REDIS_DB
    )
    try:
        mingled = wait_until(
            lambda: re.search(r"mingle: (all alone|sync with \d+ nodes)", stack.log("worker")),
            seconds=30,
            what="the worker looked for other workers on its broker",
        )
        if mingled.group(1) != "all alone":
            pytest.fail(f"Another Celery worker uses Redis database {REDIS_DB}; stop it or change REDIS_DB.")
    except BaseException:
        stop_stack(stack)
        raise
    yield stack
    stop_stack(stack)


@pytest.fixture
def portal(reliability_stack) -> RunningPortal:
    """The portal as each test finds it: every process up, the database
    answering, and Talkdesk without faults or memory of earlier tests."""
    ensure_postgresql_running()
    for role, process in reliability_stack.processes.items():
        if process.poll() is not None:
            reliability_stack.start(role)
    reliability_stack.simulator.reset()
    return RunningPortal(reliability_stack)
