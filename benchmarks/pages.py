"""Issue 7's page benchmark: the portal holding years of history, under 20
concurrent signed-in clients, each page's latency next to a trivial
signed-in Django view measured in the same run; then the preview of a 5 MB
file and the web process's peak memory while it is made.

    .venv/bin/pip install -e ".[bench]" && .venv/bin/python benchmarks/pages.py [--backend embedded|postgres] [--quick]

The portal runs as in production (gunicorn through `python -m portal.processes
web`, tests/fixtures/stack.py) on the embedded default (SQLite) or on
PostgreSQL + Redis. Only the web process serves the pages: the worker and
beat are stopped before seeding, so that nothing moves the seeded imports.
The database is seeded with 100,000 imports over 50 teams and 500 users
(--quick: 10,000, and fewer requests), and everything is removed at the end.

Each page is measured twice: paced, each client asking once a second (a
person clicking, or faster than the page's own polling every 2 s), and
saturated, each client asking again as soon as it is answered, which on two
cores measures throughput more than the page.

Targets: history p95 under 100 ms, the live-status fragment p95 under 20 ms,
the preview of a 5 MB file shown within 1 s, and the web process under
200 MB while it makes it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

try:
    import psutil
    import requests
except ImportError as missing:
    raise SystemExit(
        f"This benchmark needs {missing.name}, from the bench extras. Install them with:\n"
        '    .venv/bin/pip install -e ".[bench]"'
    ) from None

TEAMS = 50
USERS = 500
CLIENTS = 20
PACE_SECONDS = 1.0
ZONE = "America/New_York"
TARGET_HISTORY_P95_MS = 100
TARGET_FRAGMENT_P95_MS = 20
TARGET_PREVIEW_SECONDS = 1.0
TARGET_WEB_PEAK_MB = 200
# Where the states of a portal's history fall, roughly.
STATE_SHARES = {
    "imported": 0.80,
    "imported_with_errors": 0.08,
    "cancelled": 0.05,
    "error": 0.03,
    "failed": 0.02,
    "preview": 0.02,
}


def seed(imports_wanted: int, password: str) -> dict:
    """Runs in a process of its own with the portal's settings: bulk inserts
    of what years of use leave behind."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from imports.models import Connection, Import, ImportPart, Team, Transition

    # The history spans three years, so the fields that stamp the moment of
    # saving are told not to, in this process only.
    for model, name in (
        (Import, "created_at"),
        (Import, "state_changed_at"),
        (ImportPart, "state_changed_at"),
        (Transition, "at"),
    ):
        model._meta.get_field(name).auto_now_add = False

    rng = random.Random(7)
    demo = Connection.objects.get(name="Demo (simulator)")
    users = get_user_model()
    hashed = make_password(password)
    now = timezone.now()
    with transaction.atomic():
        people = users.objects.bulk_create(
            [users(username=f"planner{number:03d}", password=hashed) for number in range(USERS)]
        )
        teams = Team.objects.bulk_create([Team(name=f"Team {number:02d}", connection=demo) for number in range(TEAMS)])
        supervises = Team.supervisors.through
        supervises.objects.bulk_create(
            [supervises(team_id=teams[number % TEAMS].pk, user_id=person.pk) for number, person in enumerate(people)]
        )
    supervisors_of = {
        team.pk: [person for number, person in enumerate(people) if number % TEAMS == index]
        for index, team in enumerate(teams)
    }
    states = list(STATE_SHARES)
    weights = list(STATE_SHARES.values())
    findings = {
        "errors": [],
        "warnings": [
            {
                "row": 12,
                "column": "End Time",
                "code": "long_event",
                "message": "This Shift lasts 17 h, more than 16 hours: check the end time.",
            }
        ],
        "fixes": [
            {
                "row": None,
                "column": None,
                "code": "encoding_converted",
                "message": "The file's UTF-8 byte-order mark is left out of the file sent.",
            }
        ],
        "skipped_checks": [],
        "date_format_candidates": [],
    }
    batch = 5000
    created = 0
    while created < imports_wanted:
        jobs, parts, steps = [], [], []
        for _ in range(min(batch, imports_wanted - created)):
            team = teams[rng.randrange(TEAMS)]
            state = rng.choices(states, weights)[0]
            at = now - timedelta(seconds=rng.uniform(600, 3 * 365 * 86400))
            confirmed = at + timedelta(seconds=30) if state not in ("preview",) else None
            finished = confirmed + timedelta(seconds=rng.uniform(5, 600)) if confirmed else None
            jobs.append(
                _import(team, rng.choice(supervisors_of[team.pk]), state, at, confirmed, finished, findings, rng)
            )
        Import.objects.bulk_create(jobs)
        for job in jobs:
            if job.state == "preview":
                continue
            part_state = {"cancelled": "skipped"}.get(job.state, job.state)
            parts.append(
                ImportPart(
                    import_job=job,
                    number=1,
                    account_key=job.account_key,
                    content=f"imports/{job.id}/part-1.csv",
                    size=job.size,
                    sha256=job.sha256,
                    rows=job.rows,
                    state=part_state,
                    state_changed_at=job.finished_at,
                    remote_id=secrets.token_hex(8),
                    remote_status=job.state.upper(),
                    attempts=1,
                    sent_at=job.confirmed_at,
                    finished_at=job.finished_at,
                )
            )
        ImportPart.objects.bulk_create(parts)
        for part in parts:
            job = part.import_job
            steps.append(
                Transition(
                    import_job=job,
                    from_state="preview",
                    to_state="queued",
                    at=job.confirmed_at,
                    actor_id=job.uploaded_by_id,
                )
            )
            steps.append(
                Transition(import_job=job, part=part, from_state="processing", to_state=part.state, at=job.finished_at)
            )
            steps.append(Transition(import_job=job, from_state="processing", to_state=job.state, at=job.finished_at))
        Transition.objects.bulk_create(steps)
        created += len(jobs)
    # Two imports a team waiting their turn: what the live-status fragment
    # is polled for.
    moving = []
    for team in teams:
        for _ in range(2):
            at = now - timedelta(seconds=rng.uniform(1, 60))
            job = _import(team, rng.choice(supervisors_of[team.pk]), "queued", at, at, None, findings, rng)
            moving.append(job)
    Import.objects.bulk_create(moving)
    ImportPart.objects.bulk_create(
        [
            ImportPart(
                import_job=job,
                number=1,
                account_key=job.account_key,
                content=f"imports/{job.id}/part-1.csv",
                size=job.size,
                sha256=job.sha256,
                rows=job.rows,
                state_changed_at=job.confirmed_at,
            )
            for job in moving
        ]
    )
    # Statistics as a database that has held this history for a while has
    # them, rather than the database's guesses right after a bulk insert
    # (and no automatic vacuum in the middle of the measurements).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    clients = [supervisors_of[team.pk][0] for team in teams[:CLIENTS]]
    visible = {}
    for person, team in zip(clients, teams, strict=False):
        ids = list(
            Import.objects.filter(team=team).exclude(state__in=["queued", "preview"]).values_list("id", flat=True)[:200]
        )
        visible[person.username] = {
            "team": team.pk,
            "details": [str(pk) for pk in ids],
            "moving": [str(job.pk) for job in moving if job.team_id == team.pk],
        }
    return {"imports": Import.objects.count(), "clients": visible}


def _import(team, uploader, state, at, confirmed, finished, findings, rng):
    from imports.models import Import

    rows = rng.randrange(50, 60000)
    return Import(
        team=team,
        connection=team.connection,
        account_key=team.connection.account_key,
        uploaded_by=uploader,
        file_name=f"schedule-{at:%Y-%m-%d}-{rng.randrange(1000):03d}.csv",
        original="imports/seeded/original",
        size=rows * 87,
        sha256=secrets.token_hex(32),
        time_zone=ZONE,
        date_format="HH:mm yyyy-MM-dd",
        rows=rows,
        agents=rng.randrange(1, 600),
        first_start=at + timedelta(days=1),
        last_end=at + timedelta(days=8),
        events_by_type={"Available for all channels": rows // 3, "Break": rows // 3, "Lunch": rows - 2 * (rows // 3)},
        findings=findings,
        warning_count=1,
        warnings_acknowledged=True,
        state=state,
        state_changed_at=finished or confirmed or at,
        created_at=at,
        confirmed_at=confirmed,
        finished_at=finished,
    )


class Client:
    """One signed-in person's browser: its own session, kept alive, and, as
    a browser's cache does, the ETag of each address it was given one for,
    sent back when it asks again (revalidate=True)."""

    def __init__(self, base_url: str, username: str, password: str):
        self.base_url = base_url
        self.etags: dict[str, str] = {}
        self.session = requests.Session()
        self.session.get(f"{base_url}/login/", timeout=30).raise_for_status()
        answer = self.session.post(
            f"{base_url}/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": self.session.cookies["csrftoken"]},
            timeout=30,
        )
        if "sessionid" not in self.session.cookies:
            raise SystemExit(f"{username} could not sign in ({answer.status_code}).")

    def get(self, path: str, headers: dict, revalidate: bool = False) -> float | None:
        """Seconds to the answer; None for a failed request."""
        if revalidate and path in self.etags:
            headers = {**headers, "If-None-Match": self.etags[path]}
        started = time.perf_counter()
        answer = self.session.get(self.base_url + path, headers=headers, timeout=60)
        took = time.perf_counter() - started
        if revalidate and "ETag" in answer.headers:
            self.etags[path] = answer.headers["ETag"]
        if answer.status_code not in ((200, 304) if revalidate else (200,)):
            print(f"  GET {path} answered {answer.status_code}", flush=True)
            return None
        return took


def under_load(
    clients: list[tuple[Client, dict]], requests_each: int, pick, pace: float | None = None
) -> tuple[list[float], int]:
    """Every client asks at once: with a pace, once every pace seconds, as
    a person or the page's own polling does; without, as soon as its last
    answer came, which saturates the server. The latencies of the answers,
    and how many requests failed."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(len(clients))
    failures = []

    def work(client: Client, facts: dict, seed: int) -> None:
        rng = random.Random(seed)
        mine = []
        start.wait()
        # Spread over the first pace, so that the clients do not ask in step.
        due = time.monotonic() + (rng.uniform(0, pace) if pace else 0)
        try:
            for _ in range(requests_each):
                if pace:
                    time.sleep(max(0.0, due - time.monotonic()))
                    due += pace
                mine.append(client.get(*pick(facts, rng)))
        except BaseException as failure:  # reported by the main thread
            failures.append(failure)
        with lock:
            latencies.extend(mine)

    threads = [
        threading.Thread(target=work, args=(client, facts, number)) for number, (client, facts) in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"A client failed: {failures[0]}")
    answered = [took for took in latencies if took is not None]
    # Server errors are counted and left out, not fatal: other work on a
    # shared machine may restart PostgreSQL under the benchmark, failing the
    # requests in flight until the connections are made again.
    if len(answered) < 0.9 * len(latencies):
        raise SystemExit(f"{len(latencies) - len(answered)} of {len(latencies)} requests failed.")
    return answered, len(latencies) - len(answered)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def web_workers(web: subprocess.Popen) -> list[psutil.Process]:
    return psutil.Process(web.pid).children(recursive=True)


def peak_rss_mb(process: psutil.Process) -> float:
    """The process's peak resident memory since it started (VmHWM)."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return process.memory_info().rss / 2**20


def preview(client: Client, team: int, data: bytes) -> float:
    """From sending the file to the preview page received in full."""
    started = time.perf_counter()
    answer = client.session.post(
        f"{client.base_url}/imports/new/",
        data={
            "team": str(team),
            "time_zone": ZONE,
            "date_format": "",
            "csrfmiddlewaretoken": client.session.cookies["csrftoken"],
        },
        files={"file": ("schedule.csv", data, "text/csv")},
        timeout=120,
    )
    took = time.perf_counter() - started
    if answer.status_code != 200 or "/imports/" not in answer.url or "Confirm and send" not in answer.text:
        raise SystemExit(f"The upload did not end on its preview ({answer.status_code}, {answer.url}).")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("embedded", "postgres"), default="embedded")
    parser.add_argument("--quick", action="store_true", help="10,000 imports and fewer requests")
    parser.add_argument("--imports", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", nargs=2, metavar=("IMPORTS", "PASSWORD"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.seed:
        print(json.dumps(seed(int(options.seed[0]), options.seed[1])))
        return

    from cryptography.fernet import Fernet

    from benchmarks.validate import schedule_bytes
    from imports.schedule.check import PART_LIMIT_BYTES
    from tests.fixtures.stack import start_stack, stop_stack

    imports_wanted = options.imports or (10_000 if options.quick else 100_000)
    requests_each = 10 if options.quick else 25
    folder = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    overrides = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
        # gunicorn's shape, as portal.processes takes it, to compare others.
        **{name: os.environ[name] for name in ("WEB_CONCURRENCY", "WEB_THREADS") if name in os.environ},
    }
    print(f"Starting the portal on {options.backend} in {folder} ...", flush=True)
    stack = start_stack(folder, backend=options.backend, env_overrides=overrides, redis_db=11)
    try:
        for role in ("worker", "beat"):
            stopped = stack.processes.pop(role)
            stopped.terminate()
            stopped.wait(timeout=30)
        print(f"Seeding {imports_wanted:,} imports over {TEAMS} teams and {USERS} users ...", flush=True)
        started = time.perf_counter()
        seeded = subprocess.run(
            [sys.executable, __file__, "--seed", str(imports_wanted), stack.password],
            cwd=ROOT,
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if seeded.returncode:
            raise SystemExit(f"Seeding failed:\n{seeded.stderr[-3000:]}")
        facts = json.loads(seeded.stdout.strip().splitlines()[-1])
        print(f"Seeded {facts['imports']:,} imports in {time.perf_counter() - started:.0f} s", flush=True)

        people = list(facts["clients"].items())
        clients = [(Client(stack.url, username, stack.password), person) for username, person in people]
        admins = [(Client(stack.url, "admin", stack.password), people[0][1]) for _ in range(CLIENTS)]

        data = schedule_bytes(PART_LIMIT_BYTES, 0)
        previews = [preview(clients[0][0], people[0][1]["team"], data) for _ in range(1 if options.quick else 3)]
        web_peak = max(peak_rss_mb(process) for process in web_workers(stack.processes["web"]))

        since = "2025-01-01"
        pages = {
            "trivial signed-in view (baseline)": (clients, lambda f, rng: ("/_bench/signed-in/", {})),
            "history, supervisor": (clients, lambda f, rng: ("/imports/", {})),
            "history, supervisor, filtered": (
                clients,
                lambda f, rng: (f"/imports/?state=imported&since={since}&team={f['team']}", {}),
            ),
            "history, admin (all 100,000)": (admins, lambda f, rng: ("/imports/", {})),
            "history, admin, filtered": (
                admins,
                lambda f, rng: (f"/imports/?state=imported_with_errors&since={since}", {}),
            ),
            "history, admin, page 40": (admins, lambda f, rng: ("/imports/?page=40", {})),
            "import detail": (clients, lambda f, rng: (f"/imports/{rng.choice(f['details'])}/", {})),
            # As a browser polls it: revalidating its copy, which is
            # answered 304 while nothing changed, as for most polls.
            "live-status fragment": (
                clients,
                lambda f, rng: (f"/imports/{rng.choice(f['moving'])}/?fragment=status", {"HX-Request": "true"}, True),
            ),
            # Every poll drawn in full, as when the status changes each time.
            "live-status fragment, drawn in full": (
                clients,
                lambda f, rng: (f"/imports/{rng.choice(f['moving'])}/?fragment=status", {"HX-Request": "true"}),
            ),
        }
        results = {}
        failed = 0
        for label, (who, pick) in pages.items():
            under_load(who, 2, pick)  # warms each worker's connections and caches
            paced, paced_failed = under_load(who, requests_each, pick, PACE_SECONDS)
            saturated, saturated_failed = under_load(who, requests_each, pick)
            failed += paced_failed + saturated_failed
            results[label] = [percentile(latencies, share) for latencies in (paced, saturated) for share in (0.5, 0.95)]
            print(f"  measured {label}", flush=True)
    finally:
        stop_stack(stack)
        if options.backend == "postgres":
            subprocess.run(["redis-cli", "-n", "11", "FLUSHDB"], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)

    base = results["trivial signed-in view (baseline)"]
    print()
    print(
        f"Pages on {options.backend}: {facts['imports']:,} imports, {CLIENTS} concurrent signed-in clients, "
        f"{requests_each} requests each per page and load; gunicorn {stack.env.get('WEB_CONCURRENCY')} workers x "
        f"{stack.env.get('WEB_THREADS', '4')} threads. Paced: each client asks once every {PACE_SECONDS:.0f} s; "
        "saturated: each asks again as soon as it is answered."
    )
    print(f"{'':<36} {'paced, ms':^27} {'saturated, ms':^27}")
    print(
        f"{'page':<36} {'p50':>6} {'p95':>6} {'p50/base':>6} {'p95/base':>6} {'p50':>6} {'p95':>6} {'p50/base':>6} {'p95/base':>6}"
    )
    for label, figures in results.items():
        ratios = [value / baseline for value, baseline in zip(figures, base, strict=False)]
        print(
            f"{label:<36} {figures[0] * 1000:6.1f} {figures[1] * 1000:6.1f} {ratios[0]:7.1f}x {ratios[1]:7.1f}x "
            f"{figures[2] * 1000:6.1f} {figures[3] * 1000:6.1f} {ratios[2]:7.1f}x {ratios[3]:7.1f}x"
        )
    print()
    for load, at in (("paced", 1), ("saturated", 3)):
        worst_history = max(figures[at] for label, figures in results.items() if label.startswith("history"))
        print(
            _verdict(
                f"history p95, {load} (worst of the history pages)", worst_history * 1000, TARGET_HISTORY_P95_MS, "ms"
            )
        )
        print(
            _verdict(
                f"live-status fragment p95, {load}",
                results["live-status fragment"][at] * 1000,
                TARGET_FRAGMENT_P95_MS,
                "ms",
            )
        )
    print(f"failed requests, left out of the figures: {failed}")
    print(
        _verdict(f"preview of the 5 MB file (slowest of {len(previews)})", max(previews), TARGET_PREVIEW_SECONDS, "s")
    )
    print(_verdict("web process peak RSS while previewing", web_peak, TARGET_WEB_PEAK_MB, "MB"))


def _verdict(what: str, value: float, target: float, unit: str) -> str:
    if value <= target:
        return f"{what}: {value:.2f} {unit}, target under {target} {unit}: met"
    return f"{what}: {value:.2f} {unit}, target under {target} {unit}: MISSED by {value - target:.2f} {unit} ({value / target:.1f}x)"


if __name__ == "__main__":
    main()
