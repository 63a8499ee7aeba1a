"""Issue 4: how long checking a 5 MB schedule (about 60,000 rows) takes and
how much memory it needs, next to two baselines measured in the same run:

- the floor: a bare csv.reader pass over the same bytes;
- what a Django developer would reach for: django-import-export's dry-run
  import of the same rows (a ModelResource for a model with the five
  columns, on an in-memory SQLite database, the times read with its
  DateTimeWidget and each instance cleaned by the model's validators).

    .venv/bin/pip install -e ".[bench]" && .venv/bin/python benchmarks/validate.py [--quick] [--quoted]

--quoted writes every cell in quotes, which takes the CSV reader's path
instead of the quicker one for plain files; --quick times fewer runs.

Issue 14: --workbook times the same rows as an .xlsx workbook (the times as
date-time cells, as a planner's workbook holds them): the portal's reader
(the archive checked, calamine in a child process under limits, every cell
made text) and the whole check, against calamine's bare read of the same
sheet (target: within 2x in time and peak memory) and openpyxl's read-only
mode (the other library that reads .xlsx).

Targets: the check within 3x of the bare pass, at least 10x faster than the
dry run, and under 150 MB peak RSS in a fresh process doing only the check.
Each peak is measured in a fresh subprocess that does only that step
(`validate.py --peak STEP FILE`), so that the benchmark's own memory does
not count.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imports.schedule.check import HEADER, PART_LIMIT_BYTES, check_schedule  # noqa: E402

ZONE = "America/New_York"
DATE_FORMAT = "%H:%M %Y-%m-%d"
TARGET_RATIO_TO_BARE = 3.0
TARGET_TIMES_FASTER_THAN_DRY_RUN = 10.0
TARGET_PEAK_MB = 150.0
TARGET_WORKBOOK_RATIO = 2.0


def schedule_bytes(target: int, quoting: int) -> bytes:
    """600 agents, each with a shift, a break and a lunch a day, day after
    day, until the file is just under target bytes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=quoting)
    writer.writerow(HEADER)
    agents = [(f"Agent {number:04d} Smith", f"agent{number:04d}@example.com") for number in range(600)]
    for day in range(366):
        date = f"2026-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}"
        for name, email in agents:
            for start, end, kind in (
                ("08:00", "16:00", "Available for all channels"),
                ("10:00", "10:15", "Break"),
                ("12:00", "12:30", "Lunch"),
            ):
                if out.tell() > target - 200:
                    return out.getvalue().encode()
                writer.writerow([name, email, f"{start} {date}", f"{end} {date}", kind])
    return out.getvalue().encode()


def bare_pass(data: bytes) -> int:
    rows = 0
    for _ in csv.reader(io.StringIO(data.decode("utf-8"), newline="")):
        rows += 1
    return rows


def check(data: bytes):
    return check_schedule(data, time_zone=ZONE)


def dry_run_importer() -> Callable[[bytes], object]:
    """django-import-export set up as its documentation shows, for a model
    with the five columns."""
    try:
        import django
        import tablib
        from django.conf import settings
        from import_export import fields, resources, widgets
    except ImportError as missing:
        raise SystemExit(
            f"This benchmark needs {missing.name}, from the bench extras. Install them with:\n"
            '    .venv/bin/pip install -e ".[bench]"'
        ) from None

    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "import_export", "validate.DryRunApp"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
        TIME_ZONE=ZONE,
    )
    django.setup()
    from django.db import connection, models

    class ScheduleEvent(models.Model):
        agent_name = models.CharField(max_length=200)
        agent_email = models.EmailField()
        start_time = models.DateTimeField()
        end_time = models.DateTimeField()
        event_type_name = models.CharField(max_length=200)

        class Meta:
            app_label = "imports"
            managed = False

    with connection.schema_editor() as editor:
        editor.create_model(ScheduleEvent)

    name, email, start, end, kind = HEADER

    class ScheduleEventResource(resources.ModelResource):
        agent_name = fields.Field(attribute="agent_name", column_name=name)
        agent_email = fields.Field(attribute="agent_email", column_name=email)
        start_time = fields.Field(attribute="start_time", column_name=start, widget=widgets.DateTimeWidget(DATE_FORMAT))
        end_time = fields.Field(attribute="end_time", column_name=end, widget=widgets.DateTimeWidget(DATE_FORMAT))
        event_type_name = fields.Field(attribute="event_type_name", column_name=kind)

        class Meta:
            model = ScheduleEvent
            # With no id column in the file, the default import_id_fields
            # ("id") makes every row a new instance, without a query.
            fields = ("id", "agent_name", "agent_email", "start_time", "end_time", "event_type_name")
            clean_model_instances = True

    def dry_run(data: bytes):
        dataset = tablib.Dataset().load(data.decode("utf-8"), format="csv")
        result = ScheduleEventResource().import_data(dataset, dry_run=True)
        if result.has_errors() or result.has_validation_errors():
            raise SystemExit("The dry run found errors in a valid file: the baseline is not set up right.")
        return result

    return dry_run


def _dry_run_app():
    from django.apps import AppConfig

    class DryRunApp(AppConfig):
        """The model's app, labelled as the portal's: the dry run copies
        instances for its diff, which looks the model up by app label, and
        the portal's own app would bring the portal's settings with it."""

        name = "validate"
        label = "imports"

    return DryRunApp


def __getattr__(name: str):
    # Django imports the app config by its dotted path only once settings
    # are made, so the class is made then, without importing Django before.
    if name == "DryRunApp":
        return _dry_run_app()
    raise AttributeError(name)


def workbook_bytes(data: bytes) -> bytes:
    """The CSV's rows as an .xlsx sheet, start and end as date-time cells."""
    import datetime as dt

    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True})
    sheet = book.add_worksheet("Schedule")
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    moments: dict[str, dt.datetime] = {}
    for number, row in enumerate(csv.reader(io.StringIO(data.decode("utf-8"), newline=""))):
        if number == 0:
            sheet.write_row(0, 0, row)
            continue
        name, email, start, end, kind = row
        sheet.write_string(number, 0, name)
        sheet.write_string(number, 1, email)
        for column, text in ((2, start), (3, end)):
            if text not in moments:
                moments[text] = dt.datetime.strptime(text, DATE_FORMAT)
            sheet.write_datetime(number, column, moments[text], moment)
        sheet.write_string(number, 4, kind)
    book.close()
    return out.getvalue()


def calamine_bare(data: bytes) -> int:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return len(book.get_sheet_by_index(0).to_python())


def openpyxl_read_only(data: bytes) -> int:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return rows


def portal_read(data: bytes):
    from imports.schedule.workbook import read_workbook

    return read_workbook(data)


def workbook_main(options) -> None:
    data = schedule_bytes(PART_LIMIT_BYTES, csv.QUOTE_MINIMAL)
    book = workbook_bytes(data)
    from_csv, from_book = check(data), check(book)
    if from_book.to_dict() != from_csv.to_dict():
        raise SystemExit("The workbook should read as its CSV does.")
    runs = 3 if options.quick else 5
    steps = (
        ("calamine's bare read of the sheet (the floor)", "calamine"),
        ("the portal's reader (checks, child, text)", "portal-read"),
        ("check_schedule of the workbook", "check"),
        ("openpyxl read-only, values only", "openpyxl"),
        ("check_schedule of the same rows as CSV", "check-csv"),
    )
    actions = {
        "calamine": lambda: calamine_bare(book),
        "portal-read": lambda: portal_read(book),
        "check": lambda: check(book),
        "openpyxl": lambda: openpyxl_read_only(book),
        "check-csv": lambda: check(data),
    }
    seconds = {step: best_of(1 if step == "openpyxl" else runs, actions[step]) for _, step in steps}
    with tempfile.TemporaryDirectory() as folder:
        book_path, csv_path = Path(folder) / "schedule.xlsx", Path(folder) / "schedule.csv"
        book_path.write_bytes(book)
        csv_path.write_bytes(data)
        peaks = {
            step: measure_peak(f"workbook-{step}", csv_path if step == "check-csv" else book_path) for _, step in steps
        }
    print(
        f"Workbook: {len(book):,} bytes (.xlsx) holding the {from_book.summary.rows:,} rows of a {len(data):,}-byte CSV; "
        f"best of {runs} runs (openpyxl: one run)"
    )
    print()
    print(f"{'step':<48} {'time':>10} {'peak RSS':>10}")
    for label, step in steps:
        print(f"{label:<48} {seconds[step] * 1000:7.0f} ms {peaks[step]['peak_rss_mb']:7.0f} MB")
    print(
        "(peak RSS: a fresh process doing only that step, interpreter and imports included; where a step reads "
        "in a child process, its peak is added to the parent's)"
    )
    print()
    floor_time, floor_peak = seconds["calamine"], peaks["calamine"]["peak_rss_mb"]
    for label, step in (("portal's reader", "portal-read"), ("whole check", "check")):
        time_ratio = seconds[step] / floor_time
        peak_ratio = peaks[step]["peak_rss_mb"] / floor_peak
        met = time_ratio <= TARGET_WORKBOOK_RATIO and peak_ratio <= TARGET_WORKBOOK_RATIO
        print(
            f"{label} / calamine bare: {time_ratio:.2f}x time, {peak_ratio:.2f}x peak; "
            f"target within {TARGET_WORKBOOK_RATIO:.0f}x: " + verdict(met, "both" if met else "see the figures")
        )
    print(
        f"openpyxl read-only / calamine bare: {seconds['openpyxl'] / floor_time:.1f}x time, "
        f"{peaks['openpyxl']['peak_rss_mb'] / floor_peak:.1f}x peak"
    )


def best_of(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def peak_of(step: str, path: str, *, traced: bool) -> None:
    """Runs in a fresh subprocess: the peak RSS of this process doing only
    that step or, traced, what the step alone allocated at most (apart,
    since tracing every allocation takes memory of its own)."""
    action = {
        "bare": lambda: bare_pass,
        "check": lambda: check,
        "dry-run": dry_run_importer,
        "workbook-calamine": lambda: calamine_bare,
        "workbook-portal-read": lambda: portal_read,
        "workbook-check": lambda: check,
        "workbook-openpyxl": lambda: openpyxl_read_only,
        "workbook-check-csv": lambda: check,
    }[step]()
    data = Path(path).read_bytes()
    if not traced:
        action(data)
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps({"peak_rss_mb": peak_rss_mb() + children}))
        return
    tracemalloc.start()
    action(data)
    print(json.dumps({"traced_mb": tracemalloc.get_traced_memory()[1] / 2**20}))


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux keeps, in ru_maxrss, the
    peak of the process a child was started from, so that of a fresh process
    is read from /proc where there is one."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_peak(step: str, path: Path) -> dict:
    figures = {}
    for flag in ("--peak",) if step.startswith("workbook-") else ("--peak", "--traced"):
        result = subprocess.run(
            [sys.executable, __file__, flag, step, str(path)], capture_output=True, text=True, check=True, timeout=600
        )
        figures.update(json.loads(result.stdout.strip().splitlines()[-1]))
    return figures


def verdict(met: bool, how: str) -> str:
    return f"met ({how})" if met else f"MISSED ({how})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer timed runs")
    parser.add_argument("--quoted", action="store_true", help="every cell in quotes")
    parser.add_argument("--workbook", action="store_true", help="the same rows as an .xlsx workbook")
    parser.add_argument("--peak", nargs=2, metavar=("STEP", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--traced", nargs=2, metavar=("STEP", "FILE"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.peak or options.traced:
        peak_of(*(options.peak or options.traced), traced=bool(options.traced))
        return
    if options.workbook:
        workbook_main(options)
        return

    dry_run = dry_run_importer()
    data = schedule_bytes(PART_LIMIT_BYTES, csv.QUOTE_ALL if options.quoted else csv.QUOTE_MINIMAL)
    result = check(data)
    if not result.ok or result.warnings:
        raise SystemExit(f"The generated file should be clean: {result.to_dict()}")
    runs = 3 if options.quick else 9
    bare_seconds = best_of(runs, lambda: bare_pass(data))
    check_seconds = best_of(runs, lambda: check(data))
    rows_seconds = best_of(runs, lambda: check(data).rows)
    dry_run_seconds = best_of(1, lambda: dry_run(data))

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "schedule.csv"
        path.write_bytes(data)
        peaks = {step: measure_peak(step, path) for step in ("bare", "check", "dry-run")}

    to_bare = check_seconds / bare_seconds
    faster = dry_run_seconds / check_seconds
    check_peak = peaks["check"]["peak_rss_mb"]
    print(
        f"File: {len(data):,} bytes, {result.summary.rows:,} rows{', every cell quoted' if options.quoted else ''}; "
        f"best of {runs} runs (the dry run: one run)"
    )
    print()
    print(f"{'step':<44} {'time':>10} {'peak RSS':>10} {'step alone':>11}")
    for label, seconds, step in (
        ("bare csv.reader pass (the floor)", bare_seconds, "bare"),
        ("check_schedule (the upload's check)", check_seconds, "check"),
        ("check_schedule, then its rows read", rows_seconds, None),
        ("django-import-export dry run", dry_run_seconds, "dry-run"),
    ):
        memory = f"{peaks[step]['peak_rss_mb']:8.0f} MB {peaks[step]['traced_mb']:8.0f} MB" if step else ""
        print(f"{label:<44} {seconds * 1000:7.0f} ms {memory}")
    print(
        "(peak RSS: a fresh process doing only that step, interpreter and imports included; "
        "step alone: tracemalloc's peak during the step)"
    )
    print()
    print(
        f"check / bare pass: {to_bare:.2f}x; target at most {TARGET_RATIO_TO_BARE:.0f}x: "
        + verdict(
            to_bare <= TARGET_RATIO_TO_BARE,
            f"{abs(TARGET_RATIO_TO_BARE - to_bare) / TARGET_RATIO_TO_BARE:.0%} "
            + ("under" if to_bare <= TARGET_RATIO_TO_BARE else "over"),
        )
    )
    print(
        f"dry run / check: {faster:.1f}x faster; target at least {TARGET_TIMES_FASTER_THAN_DRY_RUN:.0f}x: "
        + verdict(
            faster >= TARGET_TIMES_FASTER_THAN_DRY_RUN,
            f"{faster / TARGET_TIMES_FASTER_THAN_DRY_RUN:.1f} times the target",
        )
    )
    print(
        f"check peak RSS: {check_peak:.0f} MB; target under {TARGET_PEAK_MB:.0f} MB: "
        + verdict(
            check_peak < TARGET_PEAK_MB,
            f"{abs(TARGET_PEAK_MB - check_peak):.0f} MB " + ("to spare" if check_peak < TARGET_PEAK_MB else "over"),
        )
    )


if __name__ == "__main__":
    main()
