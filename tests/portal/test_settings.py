import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_settings(tmp_path, **overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "DATABASE_URL", "REDIS_URL"))}
    env.update(PORTAL_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="portal.settings", **overrides)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_the_portal_refuses_to_start_without_an_encryption_key(tmp_path):
    result = _load_settings(tmp_path, SECRET_KEY="x")
    assert result.returncode != 0
    assert "PORTAL_ENCRYPTION_KEYS must be set" in result.stderr


def test_the_embedded_default_is_sqlite_and_the_filesystem_broker(tmp_path):
    result = _load_settings(tmp_path, SECRET_KEY="x", PORTAL_ENCRYPTION_KEYS="k")
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://"]


def test_the_data_folders_env_file_fills_in_what_the_environment_leaves_unset(tmp_path):
    (tmp_path / "portal.env").write_text("# keys\nSECRET_KEY=from-file\nPORTAL_ENCRYPTION_KEYS=k\n")
    assert _load_settings(tmp_path).returncode == 0


def test_a_bad_setting_is_named(tmp_path):
    result = _load_settings(tmp_path, SECRET_KEY="x", PORTAL_ENCRYPTION_KEYS="k", DEBUG="maybe")
    assert "DEBUG must be true or false" in result.stderr


def test_a_bad_number_of_seconds_is_named(tmp_path):
    result = _load_settings(tmp_path, SECRET_KEY="x", PORTAL_ENCRYPTION_KEYS="k", IMPORT_POLL_FIRST_SECONDS="soon")
    assert result.returncode != 0
    assert "IMPORT_POLL_FIRST_SECONDS must be a number of seconds, not 'soon'" in result.stderr


@pytest.mark.parametrize("value", ["0", "-1", "inf", "nan"])
def test_a_wait_of_no_time_or_forever_is_named(tmp_path, value):
    result = _load_settings(tmp_path, SECRET_KEY="x", PORTAL_ENCRYPTION_KEYS="k", BROKER_POLLING_SECONDS=value)
    assert result.returncode != 0
    assert f"BROKER_POLLING_SECONDS must be a number of seconds above 0, not '{value}'" in result.stderr


def _production_env(tmp_path, **overrides):
    from cryptography.fernet import Fernet

    # A production process starts with none of the test run's settings, nor
    # the async-safety switch the browser tests turn off in this process.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PORTAL_", "DATABASE_URL", "REDIS_URL", "SECURE_", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    env.update(
        PORTAL_DATA_DIR=str(tmp_path),
        PORTAL_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        PORTAL_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="portal.example.com",
        CSRF_TRUSTED_ORIGINS="https://portal.example.com",
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    env.update(overrides)
    return env


def test_the_deployment_checks_find_nothing_to_warn_about_in_production(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_the_deployment_checks_do_warn_on_a_developers_settings(tmp_path):
    env = _production_env(tmp_path, PORTAL_ENV="development")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_production_turns_on_secure_cookies_hsts_and_https_redirects(tmp_path):
    show = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.DEBUG, "
        "getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    result = subprocess.run(
        [sys.executable, "-c", show], cwd=ROOT, env=_production_env(tmp_path), capture_output=True, text=True
    )
    assert result.stdout.split() == ["True", "True", "True", "True", "True", "31536000", "True", "False", "None"]


def test_an_unknown_portal_env_is_named(tmp_path):
    result = _load_settings(tmp_path, SECRET_KEY="x", PORTAL_ENCRYPTION_KEYS="k", PORTAL_ENV="prod")
    assert "PORTAL_ENV must be development or production, not 'prod'" in result.stderr
