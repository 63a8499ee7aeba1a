#!/usr/bin/env python3
"""Sets up and runs the portal, or its tests, from a fresh clone.

    python3 dev.py run     # the whole portal on the embedded default
    python3 dev.py test    # the whole test suite
    python3 dev.py check   # lint, format, types, migrations and the deployment checks

Needs only Python 3.11+: it makes `.venv`, installs the project into it, and
writes `data/portal.env` with fresh keys on first use. Standard library only,
because it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
DATA = Path(os.environ.get("PORTAL_DATA_DIR", ROOT / "data"))
ENV_FILE = DATA / "portal.env"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def ensure_venv(extras: str = "") -> None:
    # dev.py is what runs first, under whatever python3 the machine has.
    if sys.version_info < (3, 11):  # noqa: UP036
        raise SystemExit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        say("Creating the virtual environment in .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    wanted = f"{extras}:{hashlib.sha256((ROOT / 'pyproject.toml').read_bytes()).hexdigest()}"
    stamp = VENV / ".installed"
    if stamp.exists() and wanted in stamp.read_text().splitlines():
        return
    say("Installing the portal and its dependencies (first run only)")
    target = f".[{extras}]" if extras else "."
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True, cwd=ROOT)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", target], check=True, cwd=ROOT)
    previous = stamp.read_text().splitlines() if stamp.exists() else []
    stamp.write_text("\n".join([*previous, wanted]) + "\n")


def ensure_env_file() -> dict[str, str]:
    """Keys made once per data folder, so sessions and secrets survive restarts."""
    DATA.mkdir(parents=True, exist_ok=True)
    values: dict[str, str] = {}
    if ENV_FILE.exists():
        for line in ENV_FILE.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                values[key.strip()] = value.strip()
    missing = {
        "SECRET_KEY": lambda: secrets.token_urlsafe(50),
        "PORTAL_ENCRYPTION_KEYS": lambda: subprocess.run(
            [str(PYTHON), "-m", "imports.secret_box"], check=True, capture_output=True, text=True, cwd=ROOT
        ).stdout.strip(),
        "DEMO_PASSWORD": lambda: f"demo-{secrets.token_hex(4)}",
    }
    changed = False
    for key, make in missing.items():
        if not values.get(key):
            values[key] = make()
            changed = True
    if changed:
        ENV_FILE.write_text(
            "# Made by dev.py for this machine's portal. Keep it private; never commit it.\n"
            + "".join(f"{key}={value}\n" for key, value in values.items())
        )
        ENV_FILE.chmod(0o600)
    return values


def wait_for_http(url: str, seconds: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"A process stopped while starting (exit {process.returncode}); see its output above.")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s.")


def free_port(preferred: int) -> int:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", preferred)) != 0:
            return preferred
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run() -> None:
    ensure_venv()
    values = ensure_env_file()
    env = {**os.environ, "PORTAL_DATA_DIR": str(DATA), "PYTHONUNBUFFERED": "1"}
    web_port = int(os.environ.get("PORT", free_port(8000)))
    simulator_port = int(os.environ.get("SIMULATOR_PORT", free_port(8765)))
    simulator_url = f"http://127.0.0.1:{simulator_port}"
    env.update(
        PORTAL_BIND=f"127.0.0.1:{web_port}",
        SIMULATOR_PORT=str(simulator_port),
        WEB_CONCURRENCY=env.get("WEB_CONCURRENCY", "2"),
    )
    portal = [str(PYTHON), "-m", "portal.processes"]
    subprocess.run([*portal, "migrate"], check=True, cwd=ROOT, env=env)
    children: list[subprocess.Popen] = []

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        raise SystemExit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    simulator = subprocess.Popen([*portal, "simulator"], cwd=ROOT, env=env)
    children.append(simulator)
    wait_for_http(f"{simulator_url}/_simulator/health", 30, simulator)
    subprocess.run(
        [
            str(PYTHON),
            "manage.py",
            "seed_demo",
            "--simulator-url",
            simulator_url,
            "--password",
            values["DEMO_PASSWORD"],
        ],
        check=True,
        cwd=ROOT,
        env=env,
    )
    for role in ("worker", "beat", "web"):
        children.append(subprocess.Popen([*portal, role], cwd=ROOT, env=env))
    wait_for_http(f"http://127.0.0.1:{web_port}/healthz", 60, children[-1])
    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    broker = "Redis" if os.environ.get("REDIS_URL") else "the filesystem broker"
    print(
        f"""
  The portal is running on {database} with {broker}, a Celery worker and beat,
  and the simulator at {simulator_url}: Talkdesk (demo account "acme") and
  Genesys Cloud (business unit "Acme Support"), one connection of each kind.

      Open      http://127.0.0.1:{web_port}/
      Sign in   planner / {values["DEMO_PASSWORD"]}   (supervisor of "Demo team" and "Demo team (Genesys Cloud)")
            or  admin   / {values["DEMO_PASSWORD"]}   (admin)
      Try       examples/schedule-example.csv, then examples/schedule-unknown-agents.csv

  Press Ctrl-C to stop everything.
""",
        flush=True,
    )
    while True:
        for child in children:
            if child.poll() is not None:
                say(f"A process stopped (exit {child.returncode}); stopping the others.")
                stop()
        time.sleep(1)


def answering(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def ensure_identity_provider() -> None:
    """The single sign-on tests' OpenID provider: npm's oidc-provider, at the
    version package-lock.json pins, installed once."""
    folder = ROOT / "tests" / "oidc_provider"
    lock = folder / "package-lock.json"
    stamp = folder / "node_modules" / ".installed"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == wanted:
        return
    npm = shutil.which("npm")
    if npm is None:
        say("npm is missing: the single sign-on tests will fail (install Debian's nodejs and npm)")
        return
    say("Installing the test identity provider (npm ci in tests/oidc_provider)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], check=True, cwd=folder)
    stamp.write_text(wanted + "\n")


def test(pytest_args: list[str]) -> None:
    ensure_venv("test")
    values = ensure_env_file()
    missing = [name for name, port in (("PostgreSQL", 5432), ("Redis", 6379)) if not answering("127.0.0.1", port)]
    if missing and not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        raise SystemExit(
            f"The tests use a real PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379); "
            f"not answering: {', '.join(missing)}. Start them, or set DATABASE_URL and REDIS_URL."
        )
    ensure_identity_provider()
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(DATA),
        "SECRET_KEY": values["SECRET_KEY"],
        "PORTAL_ENCRYPTION_KEYS": values["PORTAL_ENCRYPTION_KEYS"],
    }
    # A name of its own per run, so that two runs on one machine (a developer's
    # and CI's) never share a test database.
    env.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/portal_{os.getpid()}")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    if pytest_args:
        result = subprocess.run([str(PYTHON), "-m", "pytest", *pytest_args], cwd=ROOT, env=env)
        raise SystemExit(result.returncode)
    raise SystemExit(whole_suite(env))


# The reliability suite mostly waits (on killed workers, retries, Talkdesk's
# faults), so it runs beside the rest in a process of its own, with its own
# test database and Redis databases. The test that restarts PostgreSQL would
# cut every other process's connections, so it runs last, alone.
ALONE = "tests/reliability/test_infrastructure_failures.py"


def whole_suite(env: dict[str, str]) -> int:
    say("The whole suite: the reliability suite beside the rest, then the PostgreSQL restarts alone")
    logs = DATA / "test-logs"
    logs.mkdir(parents=True, exist_ok=True)
    beside_env = {
        **env,
        "DATABASE_URL": env["DATABASE_URL"] + "_reliability",
        "REDIS_URL": env["REDIS_URL"].rsplit("/", 1)[0] + "/14",
    }
    beside_log = logs / "reliability.log"
    pytest = [str(PYTHON), "-m", "pytest"]
    with beside_log.open("w") as output:
        beside = subprocess.Popen(
            [*pytest, "tests/reliability", "--ignore", ALONE, "-p", "no:cacheprovider", f"--basetemp={logs / 'tmp'}"],
            cwd=ROOT,
            env=beside_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        rest = subprocess.run([*pytest, "tests", "--ignore", "tests/reliability"], cwd=ROOT, env=env).returncode
        beside_code = beside.wait()
    say(f"The reliability suite (beside the rest), from {beside_log}:")
    print(beside_log.read_text(), flush=True)
    say("The PostgreSQL restarts, alone")
    alone = subprocess.run([*pytest, ALONE, "-p", "no:cacheprovider"], cwd=ROOT, env=env).returncode
    results = {"the rest": rest, "the reliability suite": beside_code, ALONE: alone}
    failed = [name for name, code in results.items() if code != 0]
    say("Failed: " + ", ".join(failed) if failed else "Every part of the suite passed")
    return 1 if failed else 0


def check() -> None:
    """What CI checks before the tests, in the order a developer fixes them.
    Every step runs, so one run lists every failure; the exit says if any did."""
    ensure_venv("test")
    bin_dir = PYTHON.parent
    values = ensure_env_file()
    # The deployment checks judge production settings, with keys of their own:
    # never this machine's, and never a developer's insecure defaults.
    production = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PORTAL_", "DATABASE_URL", "REDIS_URL", "SECURE_", "DEBUG"))
    }
    production.update(
        PORTAL_ENV="production",
        PORTAL_DATA_DIR=str(DATA / "check"),
        SECRET_KEY=secrets.token_urlsafe(50),
        PORTAL_ENCRYPTION_KEYS=values["PORTAL_ENCRYPTION_KEYS"],
        ALLOWED_HOSTS="portal.example.com",
        CSRF_TRUSTED_ORIGINS="https://portal.example.com",
    )
    development = {
        **os.environ,
        "PORTAL_DATA_DIR": str(DATA / "check"),
        **{k: values[k] for k in ("SECRET_KEY", "PORTAL_ENCRYPTION_KEYS")},
    }
    development.pop("DATABASE_URL", None)
    steps = [
        ("lint (ruff check)", [str(bin_dir / "ruff"), "check", "."], None),
        ("format (ruff format --check)", [str(bin_dir / "ruff"), "format", "--check", "."], None),
        (
            "types (mypy: strict on the Django-free packages, django-stubs on services and selectors)",
            [str(bin_dir / "mypy")],
            development,
        ),
        (
            "migrations (makemigrations --check)",
            [str(PYTHON), "manage.py", "makemigrations", "--check", "--dry-run"],
            development,
        ),
        (
            "deployment (check --deploy, production settings)",
            [str(PYTHON), "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            production,
        ),
    ]
    failed = []
    for name, command, env in steps:
        say(name)
        if subprocess.run(command, cwd=ROOT, env=env).returncode != 0:
            failed.append(name)
    if failed:
        raise SystemExit("Failed: " + "; ".join(failed))
    say("All checks passed")


def main() -> None:
    commands = {"run": lambda: run(), "test": lambda: test(sys.argv[2:]), "check": lambda: check()}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        raise SystemExit(__doc__)
    commands[sys.argv[1]]()


if __name__ == "__main__":
    main()
