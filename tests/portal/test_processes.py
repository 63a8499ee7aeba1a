import pytest

from portal.processes import ROLES, command


def test_web_runs_gunicorn_on_the_given_address():
    args = command("web", {"PORTAL_BIND": "127.0.0.1:9000"})
    assert args[1:4] == ["-m", "gunicorn", "portal.wsgi:application"]
    assert args[args.index("--bind") + 1] == "127.0.0.1:9000"


@pytest.mark.parametrize("role", ["worker", "beat"])
def test_the_worker_and_beat_are_celery_on_the_portal_app(role):
    assert command(role, {})[1:6] == ["-m", "celery", "-A", "portal", role]


def test_every_role_has_a_command_and_an_unknown_one_is_named():
    for role in ROLES:
        assert command(role, {})
    with pytest.raises(SystemExit, match="Unknown process 'wbe'"):
        command("wbe", {})


def test_the_compose_file_runs_every_service_through_the_same_commands():
    from pathlib import Path

    compose = (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()
    for role in ("web", "worker", "beat", "migrate", "simulator"):
        assert f'command: ["python", "-m", "portal.processes", "{role}"]' in compose
