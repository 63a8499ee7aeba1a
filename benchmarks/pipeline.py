"""Issue 7's pipeline benchmark: from a planner's confirmation to Talkdesk
and back, with real Celery workers, the broker and the database, and the
Talkdesk simulator as its own process.

    .venv/bin/pip install -e ".[bench]" && .venv/bin/python benchmarks/pipeline.py [--backend embedded|postgres] [--quick]

It starts the portal's processes as production does (tests/fixtures/stack.py,
`python -m portal.processes ROLE`, four worker processes, the production
polling settings), makes 20 Talkdesk accounts in the simulator and a
connection and team for each, and measures:

1. Idle account: time from the confirmation to the simulator receiving the
   file (target: median under 1 s).
2. 200 imports over 20 accounts (every fifth with agents Talkdesk does not
   know, so it ends with an error report): total time against the ideal,
   the longest account's serial sum of Talkdesk's processing times
   (target: within 1.2x), and never two imports of one account in Talkdesk
   at once; status calls per import against Talkdesk's processing time
   (target: on average at most one per 5 s, yet the final state seen within
   2 s + 10% of Talkdesk finishing); error reports kept within 5 s of
   Talkdesk finishing.
3. Memory: the worker's resident memory across 1,000 imports (target: flat,
   no growth after warm-up).

--quick runs fewer and shorter imports. Everything it starts is stopped,
and its database, broker data and files are removed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

try:
    import psutil
except ImportError as missing:
    raise SystemExit(
        f"This benchmark needs {missing.name}, from the bench extras. Install them with:\n"
        '    .venv/bin/pip install -e ".[bench]"'
    ) from None

ACCOUNTS = 20
WORKERS = 4
REDIS_DB = 12
CLEAN_FILE = (ROOT / "examples" / "schedule-example.csv").read_bytes()
UNKNOWN_AGENTS_FILE = (ROOT / "examples" / "schedule-unknown-agents.csv").read_bytes()
TARGET_IDLE_MEDIAN_SECONDS = 1.0
TARGET_TO_IDEAL = 1.2
TARGET_SECONDS_PER_CALL = 5.0
TARGET_REPORT_SECONDS = 5.0


def simulator_config() -> dict:
    """The demo account acme, twenty times over; each phase sets how long
    Talkdesk processes through the simulator's processing_seconds knob."""
    demo = json.loads((ROOT / "simulator" / "demo_config.json").read_text())
    acme = demo["accounts"]["acme"]
    client = next(client for client in acme["clients"] if client["client_id"] == "demo-portal")
    return {
        **demo,
        "accounts": {
            account_name(number): {**acme, "clients": [{**client, "client_id": f"bench-{number:02d}"}]}
            for number in range(ACCOUNTS)
        },
    }


def account_name(number: int) -> str:
    return f"bench{number:02d}"


def epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Portal:
    """The benchmark's own hands on the portal: what the upload and confirm
    pages do, through the same services, in this process."""

    def __init__(self, stack):
        os.environ.update(stack.env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        import django

        django.setup()
        from django.contrib.auth import get_user_model

        from imports import connection_services, services
        from imports.models import Connection, Import, ImportPart, Team

        self.services, self.Import, self.ImportPart = services, Import, ImportPart
        self.stack = stack
        self.simulator = stack.simulator
        self.planner = get_user_model().objects.create_user("bench-planner", password=secrets.token_urlsafe(12))
        client_secret = simulator_config()["accounts"][account_name(0)]["clients"][0]["client_secret"]
        self.teams = []
        for number in range(ACCOUNTS):
            connection = Connection(
                name=f"Bench {number:02d}",
                account=account_name(number),
                region=Connection.Region.CUSTOM,
                base_url=stack.simulator_url,
                client_id=f"bench-{number:02d}",
                default_time_zone="America/New_York",
            )
            connection_services.connection_save(connection=connection, client_secret=client_secret)
            team = Team.objects.create(name=f"Bench team {number:02d}", connection=connection)
            team.supervisors.add(self.planner)
            self.teams.append(team)

    def upload(self, account: int, data: bytes):
        job = self.services.import_create(
            team=self.teams[account],
            uploaded_by=self.planner,
            file_name="schedule.csv",
            data=data,
            time_zone="America/New_York",
            date_format=None,
        )
        if not job.can_confirm:
            raise SystemExit(f"The benchmark's file did not pass the checks: {job.findings}")
        return job

    def confirm(self, job) -> float:
        confirmed = time.time()
        self.services.import_confirm(job=job, actor=self.planner, warnings_acknowledged=False)
        return confirmed

    def wait_final(self, jobs, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        ids = [job.pk for job in jobs]
        while self.Import.objects.filter(pk__in=ids, finished_at__isnull=True).exists():
            self.require_running()
            if time.monotonic() > deadline:
                stuck = list(
                    self.Import.objects.filter(pk__in=ids, finished_at__isnull=True).values_list("state", flat=True)
                )
                raise SystemExit(
                    f"{len(stuck)} imports did not finish in {timeout:.0f} s (states: {sorted(set(stuck))})."
                )
            time.sleep(0.2)

    def require_running(self) -> None:
        """A stopped process ends the run at once, with the end of its log,
        rather than as imports that never finish."""
        for role, process in self.stack.processes.items():
            if process.poll() is not None:
                tail = "\n".join(self.stack.log(role).splitlines()[-15:])
                raise SystemExit(f"The {role} process stopped (exit {process.returncode}). The end of its log:\n{tail}")

    def parts(self, jobs) -> list:
        return list(
            self.ImportPart.objects.filter(import_job__in=[job.pk for job in jobs]).select_related("import_job")
        )


def idle_latency(portal: Portal, runs: int) -> list[float]:
    """Confirm on an idle account, and wait for the file at Talkdesk."""
    latencies = []
    for _ in range(runs):
        job = portal.upload(0, CLEAN_FILE)
        already = len(portal.simulator.ledger(account_name(0))["uploads"])
        confirmed = portal.confirm(job)
        deadline = time.monotonic() + 60
        while True:
            uploads = portal.simulator.ledger(account_name(0))["uploads"]
            if len(uploads) > already:
                latencies.append(epoch(uploads[-1]["received_at"]) - confirmed)
                break
            if time.monotonic() > deadline:
                raise SystemExit("The simulator never received the file.")
            time.sleep(0.01)
        portal.wait_final([job], 120)
    return latencies


def many_accounts(portal: Portal, per_account: int, processing: float) -> dict:
    jobs = [
        portal.upload(account, UNKNOWN_AGENTS_FILE if (round_ * ACCOUNTS + account) % 5 == 4 else CLEAN_FILE)
        for round_ in range(per_account)
        for account in range(ACCOUNTS)
    ]
    started = time.time()
    for job in jobs:
        portal.confirm(job)
    portal.wait_final(jobs, per_account * processing * 4 + 300)
    parts = portal.parts(jobs)
    finished = max(part.import_job.finished_at.timestamp() for part in parts)
    received = {}
    for number in range(ACCOUNTS):
        for upload in portal.simulator.ledger(account_name(number))["uploads"]:
            received[upload["import_id"]] = epoch(upload["received_at"])
    overlapping = 0
    for number in range(ACCOUNTS):
        times = sorted(received[part.remote_id] for part in parts if part.import_job.team_id == portal.teams[number].pk)
        overlapping += sum(1 for earlier, later in zip(times, times[1:], strict=False) if later < earlier + processing)
    lags, reports, allowed = [], [], []
    for part in parts:
        remote_end = received[part.remote_id] + processing
        lags.append(part.finished_at.timestamp() - remote_end)
        allowed.append(2 + 0.1 * processing)
        if part.error_report_fetched_at:
            reports.append(part.error_report_fetched_at.timestamp() - remote_end)
    states = {}
    for part in parts:
        states[part.import_job.state] = states.get(part.import_job.state, 0) + 1
    return {
        "imports": len(jobs),
        "total": finished - started,
        "ideal": per_account * processing,
        "overlapping": overlapping,
        "polls": statistics.mean(part.polls for part in parts),
        "seconds_per_call": processing / statistics.mean(part.polls for part in parts),
        "lag_max": max(lags),
        "lag_median": statistics.median(lags),
        "lag_allowed": allowed[0],
        "late": sum(1 for lag, limit in zip(lags, allowed, strict=False) if lag > limit),
        "reports": reports,
        "states": states,
    }


def worker_rss_mb(worker: subprocess.Popen) -> float:
    """The worker's resident memory: the Celery process and its pool."""
    main = psutil.Process(worker.pid)
    return sum(process.memory_info().rss for process in [main, *main.children(recursive=True)]) / 2**20


def memory_over(portal: Portal, worker: subprocess.Popen, imports: int) -> list[tuple[int, float]]:
    """The worker's memory each time another tenth of the imports is done,
    all of them confirmed at once."""
    jobs = [portal.upload(number % ACCOUNTS, CLEAN_FILE) for number in range(imports)]
    for job in jobs:
        portal.confirm(job)
    ids = [job.pk for job in jobs]
    samples = []
    deadline = time.monotonic() + imports * 2 + 300
    while len(samples) < 10:
        done = portal.Import.objects.filter(pk__in=ids, finished_at__isnull=False).count()
        portal.require_running()
        if done >= imports * (len(samples) + 1) // 10:
            samples.append((done, worker_rss_mb(worker)))
            print(f"  {done:,} imports: worker {samples[-1][1]:.0f} MB", flush=True)
            continue
        if time.monotonic() > deadline:
            raise SystemExit(f"Only {done} of {imports} imports finished.")
        time.sleep(0.5)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("embedded", "postgres"), default="embedded")
    parser.add_argument("--quick", action="store_true", help="fewer and shorter imports")
    options = parser.parse_args()

    from cryptography.fernet import Fernet

    from tests.fixtures.stack import start_stack, stop_stack

    processing = 5.0 if options.quick else 20.0
    per_account = 3 if options.quick else 10
    memory_imports = 200 if options.quick else 1000
    folder = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    config = folder / "simulator.json"
    config.write_text(json.dumps(simulator_config()))
    overrides = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SIMULATOR_CONFIG": str(config),
        "WORKER_CONCURRENCY": str(WORKERS),
        # The production defaults, where the tests' stack polls faster.
        "IMPORT_POLL_FIRST_SECONDS": "1",
        "IMPORT_POLL_MAX_SECONDS": "30",
        "RECONCILE_EVERY_SECONDS": "30",
        "LOG_LEVEL": "WARNING",
    }
    print(f"Starting the portal on {options.backend} in {folder} ...", flush=True)
    stack = start_stack(folder, backend=options.backend, env_overrides=overrides, redis_db=REDIS_DB)
    try:
        portal = Portal(stack)
        print("1. Idle account, 1 s each in Talkdesk ...", flush=True)
        stack.simulator.set_faults(processing_seconds=1)
        idle = idle_latency(portal, 5 if options.quick else 15)
        print(
            f"2. {per_account * ACCOUNTS} imports over {ACCOUNTS} accounts, {processing:.0f} s each in Talkdesk ...",
            flush=True,
        )
        stack.simulator.set_faults(processing_seconds=processing)
        many = many_accounts(portal, per_account, processing)
        print(f"3. The worker's memory across {memory_imports:,} imports, 0.5 s each in Talkdesk ...", flush=True)
        stack.simulator.set_faults(processing_seconds=0.5)
        memory = memory_over(portal, stack.processes["worker"], memory_imports)
    finally:
        stop_stack(stack)
        if options.backend == "postgres":
            subprocess.run(["redis-cli", "-n", str(REDIS_DB), "FLUSHDB"], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)

    print()
    print(f"Pipeline on {options.backend}: {WORKERS} worker processes, the simulator as its own process")
    median_idle = statistics.median(idle)
    print(
        f"1. confirm -> file at Talkdesk, idle account ({len(idle)} runs): median {median_idle:.3f} s, "
        f"max {max(idle):.3f} s; "
        + _verdict(median_idle <= TARGET_IDLE_MEDIAN_SECONDS, f"target median under {TARGET_IDLE_MEDIAN_SECONDS} s")
    )
    ratio = many["total"] / many["ideal"]
    print(
        f"2. {many['imports']} imports over {ACCOUNTS} accounts: {many['total']:.1f} s, ideal {many['ideal']:.0f} s: "
        f"{ratio:.2f}x; " + _verdict(ratio <= TARGET_TO_IDEAL, f"target within {TARGET_TO_IDEAL}x")
    )
    print(f"   final states: {many['states']}")
    print(
        f"   two imports of one account in Talkdesk at once: {many['overlapping']} times; "
        + _verdict(many["overlapping"] == 0, "target never")
    )
    print(
        f"   status calls: {many['polls']:.1f} per import, one per {many['seconds_per_call']:.1f} s of processing; "
        + _verdict(
            many["seconds_per_call"] >= TARGET_SECONDS_PER_CALL,
            f"target at most one per {TARGET_SECONDS_PER_CALL:.0f} s",
        )
    )
    print(
        f"   final state seen after Talkdesk finished: median {many['lag_median']:.2f} s, max {many['lag_max']:.2f} s, "
        f"{many['late']} later than {many['lag_allowed']:.1f} s; " + _verdict(many["late"] == 0, "target none later")
    )
    if many["reports"]:
        print(
            f"   error reports kept after Talkdesk finished ({len(many['reports'])}): max {max(many['reports']):.2f} s; "
            + _verdict(max(many["reports"]) <= TARGET_REPORT_SECONDS, f"target within {TARGET_REPORT_SECONDS:.0f} s")
        )
    warm = memory[0][1]
    growth = memory[-1][1] - warm
    print(
        f"3. worker memory: {warm:.0f} MB after {memory[0][0]:,} imports (warm-up), {memory[-1][1]:.0f} MB after "
        f"{memory[-1][0]:,}: {growth:+.0f} MB; "
        + _verdict(growth <= max(5.0, 0.05 * warm), "target flat (within 5% or 5 MB)")
    )


def _verdict(met: bool, target: str) -> str:
    return f"{target}: {'met' if met else 'MISSED'}"


if __name__ == "__main__":
    main()
