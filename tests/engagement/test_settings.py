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
    "FIELD_ENCRYPTION_KEYS": "Zm9yLXRoZS1zZXR0aW5ncy10ZXN0LW9ubHktMDEyMzQ=",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
    clean.pop("CELERY_BROKER_URL", None)
    clean.pop("FIELD_ENCRYPTION_KEYS", None)
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
    del env["FIELD_ENCRYPTION_KEYS"]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "CELERY_BROKER_URL" in result.stderr
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr
    assert "DATABASE_URL" not in result.stderr.split("needs these environment variables:")[1]


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_defaults_are_japanese_and_tokyo(settings):
    assert settings.LANGUAGE_CODE == "ja"
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert settings.USE_TZ is True


def _production_settings(**extra: str) -> dict:
    import json

    code = (
        "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k) "
        "for k in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
        "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'CACHES', "
        "'CELERY_BROKER_TRANSPORT_OPTIONS', 'CELERY_BROKER_CONNECTION_TIMEOUT')}, default=str))"
    )
    result = run_manage("shell", "-c", code, env={**PRODUCTION, **extra})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_secure_cookies_and_hsts_come_from_the_environment_and_default_to_secure():
    defaults = _production_settings()
    assert defaults["SESSION_COOKIE_SECURE"] is True and defaults["CSRF_COOKIE_SECURE"] is True
    assert defaults["SECURE_HSTS_SECONDS"] == 31536000
    assert defaults["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    internal = _production_settings(
        DJANGO_SESSION_COOKIE_SECURE="0",
        DJANGO_CSRF_COOKIE_SECURE="0",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_HSTS_INCLUDE_SUBDOMAINS="0",
        DJANGO_HSTS_PRELOAD="0",
    )
    assert internal["SESSION_COOKIE_SECURE"] is False and internal["CSRF_COOKIE_SECURE"] is False
    assert internal["SECURE_HSTS_SECONDS"] == 0 and internal["SECURE_HSTS_PRELOAD"] is False


def test_redis_timeouts_are_at_most_half_a_second_for_cache_and_broker():
    values = _production_settings(REDIS_URL="redis://127.0.0.1:6379/10")
    options = values["CACHES"]["default"]["OPTIONS"]
    transport = values["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert options["socket_connect_timeout"] <= 0.5 and options["socket_timeout"] <= 0.5
    assert transport["socket_connect_timeout"] <= 0.5 and transport["socket_timeout"] <= 0.5
    assert transport["max_retries"] == 0
    assert values["CELERY_BROKER_CONNECTION_TIMEOUT"] <= 0.5


def test_staff_pages_send_a_csp_without_unsafe_inline_scripts(client):
    response = client.get("/admin/login/")
    policy = response["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert "'self'" in script_src and "unsafe-inline" not in script_src
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
