"""Issue 15: checking the 5 MB schedule with 1,000,000 accepted events on
the account's record, against the same check without the record, measured in
the same run; and the "what changes" page of that file. Run through
validate.py:

    .venv/bin/python benchmarks/validate.py --record embedded   # SQLite
    .venv/bin/python benchmarks/validate.py --record postgres   # PostgreSQL on 127.0.0.1

Two cases, each on 1,000,000 events of the file's 600 agents:

- a new period: the events are the 556 days before the file's, as after a
  year and a half of weekly imports (all of them accepted within the days
  the record is consulted for, the worst case for the setting);
- sent again: the file itself was imported, so its 57,469 rows are among the
  million, and each is found and reported as already imported.

Targets: the check with the record within 1.5x of the check without it; the
"what changes" page under 1 s. A fresh database is made and dropped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
EVENTS = 1_000_000
TARGET_RATIO = 1.5
TARGET_CHANGES_SECONDS = 1.0
AGENTS = 600
SHIFTS = (("08:00", "16:00", "Available for all channels"), ("10:00", "10:15", "Break"), ("12:00", "12:30", "Lunch"))


def _setup(backend: str, folder: Path) -> str | None:
    os.environ.setdefault("SECRET_KEY", "bench-" + uuid.uuid4().hex)
    os.environ.setdefault("PORTAL_ENCRYPTION_KEYS", "uSEn2yVTnwKjg0nHhDnmC3PAhqL2dhVYclHAaHYJU6s=")
    os.environ["PORTAL_DATA_DIR"] = str(folder)
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.pop("REDIS_URL", None)
    database = None
    if backend == "postgres":
        database = f"portal_bench_{uuid.uuid4().hex[:10]}"
        subprocess.run(["psql", POSTGRES + "/postgres", "-qc", f"CREATE DATABASE {database}"], check=True)
        os.environ["DATABASE_URL"] = f"{POSTGRES}/{database}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return database


def _minute(day: datetime, clock: str) -> int:
    hours, minutes = map(int, clock.split(":"))
    return int((day + timedelta(hours=hours, minutes=minutes)).timestamp()) // 60


def _seed(connection_obj, team, user, *, days: list[datetime], zone) -> None:
    """Events of the agents on the days, as imports of a week each, written
    straight into the table: a million ORM objects would take minutes."""
    from django.db import connection, transaction

    from imports.models import AcceptedEvent, Import, ImportPart

    accepted_at = datetime.now(UTC) - timedelta(days=1)
    table = AcceptedEvent._meta.db_table
    columns = "account_key, agent_email, start_minute, end_minute, event_type, import_job_id, part_id, accepted_at"
    for week in range(0, len(days), 7):
        job = Import.objects.create(
            team=team,
            connection=connection_obj,
            account_key=connection_obj.account_key,
            uploaded_by=user,
            file_name=f"week-{week // 7}.csv",
            size=0,
            sha256="0" * 64,
            time_zone="America/New_York",
            state="imported",
            finished_at=accepted_at,
        )
        part = ImportPart.objects.create(
            import_job=job, number=1, account_key=job.account_key, size=0, sha256="0" * 64, rows=0, state="imported"
        )
        rows = [
            (
                job.account_key,
                f"agent{number:04d}@example.com",
                _minute(day, start),
                _minute(day, end),
                kind,
                job.pk if connection.vendor == "postgresql" else job.pk.hex,
                part.pk,
                accepted_at,
            )
            for day in days[week : week + 7]
            for number in range(AGENTS)
            for start, end, kind in SHIFTS
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608
                    for row in rows:
                        copy.write_row(row)
            else:
                rows = [(*row[:7], row[7].isoformat(sep=" ")) for row in rows]
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                    rows,
                )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def run(backend: str, data: bytes, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = _setup(backend, Path(folder))
        try:
            _measure(backend, data, runs)
        finally:
            from django.db import connections

            connections.close_all()
            if database:
                subprocess.run(
                    ["psql", POSTGRES + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"],
                    check=False,
                )


def _measure(backend: str, data: bytes, runs: int) -> None:
    from zoneinfo import ZoneInfo

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from imports import lifecycle, services
    from imports.models import AcceptedEvent, Connection, Team
    from imports.schedule.check import check_schedule

    zone = ZoneInfo("America/New_York")
    user = get_user_model().objects.create_user("planner", password="bench-password")
    connection_obj = Connection(name="Bench", account="bench", client_id="bench")
    connection_obj.set_client_secret("bench-secret-not-real")
    connection_obj.save()
    team = Team.objects.create(name="Bench team", connection=connection_obj)
    team.supervisors.add(user)

    def check_without_record():
        return check_schedule(data, time_zone="America/New_York")

    def check_with_record():
        check = check_schedule(data, time_zone="America/New_York")
        services.record_findings(check, account_key=connection_obj.account_key, time_zone="America/New_York", team=team)
        return check

    file_first = datetime(2026, 1, 1, tzinfo=zone)
    days_before = [file_first - timedelta(days=n) for n in range(EVENTS // (AGENTS * len(SHIFTS)) + 1, 0, -1)]
    started = time.perf_counter()
    _seed(connection_obj, team, user, days=days_before, zone=zone)
    seeded = AcceptedEvent.objects.count()
    print(f"{backend}: {seeded:,} accepted events seeded in {time.perf_counter() - started:.0f} s")

    results = {}
    without = _best_of(runs, check_without_record)
    with_record = _best_of(runs, check_with_record)
    results["a new period"] = (without, with_record, 0)

    # The file itself imported: its rows join the record, a few weeks of
    # history make room for them so the record stays at a million.
    job = services.import_create(
        team=team,
        uploaded_by=user,
        file_name="schedule.csv",
        data=data,
        time_zone="America/New_York",
        date_format=None,
    )
    lifecycle.import_queue(job=job, actor=user)
    part = job.parts.get()
    lifecycle.part_claim(part=part, held_by="bench")
    lifecycle.part_upload_started(part=part)
    lifecycle.part_accepted(part=part, remote_id="bench", first_poll_at=datetime.now(UTC))
    started = time.perf_counter()
    lifecycle.part_finish(part=part, remote_status="imported")
    recorded = time.perf_counter() - started
    surplus = AcceptedEvent.objects.count() - EVENTS
    if surplus > 0:
        oldest = AcceptedEvent.objects.order_by("start_minute").values_list("pk", flat=True)[:surplus]
        AcceptedEvent.objects.filter(pk__in=list(oldest)).delete()
    found = check_with_record()
    again = services.record_findings(
        found, account_key=connection_obj.account_key, time_zone="America/New_York", team=team
    )
    without = _best_of(runs, check_without_record)
    with_record = _best_of(runs, check_with_record)
    results["sent again"] = (without, with_record, len(again.already_imported_rows))

    second = services.import_create(
        team=team, uploaded_by=user, file_name="again.csv", data=data, time_zone="America/New_York", date_format=None
    )
    client = Client()
    client.force_login(user)
    url = reverse("imports:changes", args=[second.pk])
    assert client.get(url + "?show=all").status_code == 200
    changes_default = _best_of(runs, lambda: client.get(url))
    changes_all = _best_of(runs, lambda: client.get(url + "?show=all"))

    print(
        f"{backend}: {AcceptedEvent.objects.count():,} accepted events; the file's part recorded "
        f"({part.rows:,} rows) in {recorded * 1000:.0f} ms; best of {runs} runs"
    )
    print()
    print(f"{'case':<16} {'check alone':>12} {'with record':>12} {'ratio':>7}  rows already imported")
    for case, (alone, with_it, already) in results.items():
        ratio = with_it / alone
        verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
        print(
            f"{case:<16} {alone * 1000:9.0f} ms {with_it * 1000:9.0f} ms {ratio:6.2f}x  {already:,}"
            f"   target {TARGET_RATIO}x: {verdict}"
        )
    for label, seconds in (("what changes page (days that change)", changes_default), ("every day", changes_all)):
        verdict = "met" if seconds < TARGET_CHANGES_SECONDS else "MISSED"
        print(f"{label:<40} {seconds * 1000:6.0f} ms   target under {TARGET_CHANGES_SECONDS:.0f} s: {verdict}")
    sys.stdout.flush()
