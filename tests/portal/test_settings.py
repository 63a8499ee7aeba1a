import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_settings(tmp_path, **overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "DATABASE_URL", "REDIS_URL"))}
    env.update(PORTAL_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="portal.settings", **overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)"],
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
