"""Configuration: production refuses to start without its settings; `check --deploy` is clean."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k" * 20 + "-Very_long-random-production-secret-value-0123456789",
    "DJANGO_ALLOWED_HOSTS": "engage.example.jp",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/engagement_prod_check",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
    clean.pop("CELERY_BROKER_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_required_settings_stops_with_a_clear_message():
    env = {**PRODUCTION}
    del env["DJANGO_SECRET_KEY"]
    del env["CELERY_BROKER_URL"]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "CELERY_BROKER_URL" in result.stderr
    assert "DATABASE_URL" not in result.stderr.split("needs these environment variables:")[1]


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_defaults_are_japanese_and_tokyo(settings):
    assert settings.LANGUAGE_CODE == "ja"
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert settings.USE_TZ is True
