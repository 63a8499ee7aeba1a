"""The command each process of the portal runs.

docker-compose, `dev.py run` and the end-to-end tests all start processes
through `python -m portal.processes NAME`, so the tests prove exactly what
production runs. Each process replaces this one (exec), so signals, exit codes
and `kill -9` reach the real program.
"""

import os
import sys

ROLES = ("web", "worker", "beat", "simulator", "migrate")


def command(role: str, env: dict[str, str]) -> list[str]:
    python = sys.executable
    if role == "web":
        bind = env.get("PORTAL_BIND", "0.0.0.0:8000")
        return [
            python,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "--bind",
            bind,
            "--workers",
            env.get("WEB_CONCURRENCY", "2"),
            "--threads",
            env.get("WEB_THREADS", "4"),
            "--access-logfile",
            "-",
            "--forwarded-allow-ips",
            env.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ]
    if role == "worker":
        return [
            python,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--loglevel",
            env.get("LOG_LEVEL", "INFO"),
            "--concurrency",
            env.get("WORKER_CONCURRENCY", "2"),
            "--hostname",
            env.get("WORKER_NAME", "worker@%h"),
        ]
    if role == "beat":
        data_dir = env.get("PORTAL_DATA_DIR", "data")
        return [
            python,
            "-m",
            "celery",
            "-A",
            "portal",
            "beat",
            "--loglevel",
            env.get("LOG_LEVEL", "INFO"),
            "--schedule",
            os.path.join(data_dir, "celerybeat-schedule"),
        ]
    if role == "simulator":
        args = [
            python,
            "-m",
            "simulator",
            "--host",
            env.get("SIMULATOR_HOST", "127.0.0.1"),
            "--port",
            env.get("SIMULATOR_PORT", "8765"),
        ]
        if env.get("SIMULATOR_CONFIG"):
            args += ["--config", env["SIMULATOR_CONFIG"]]
        return args
    if role == "migrate":
        return [python, "manage.py", "migrate", "--noinput"]
    raise SystemExit(f"Unknown process {role!r}; expected one of: {', '.join(ROLES)}")


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit(f"usage: python -m portal.processes {{{'|'.join(ROLES)}}}")
    args = command(argv[0], dict(os.environ))
    os.execv(args[0], args)


if __name__ == "__main__":
    main(sys.argv[1:])
