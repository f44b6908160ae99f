"""Cross-cutting foundation: client address for rate limits, token redaction, i18n, pages."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import polib
import pytest
from django.test import RequestFactory
from django.utils import translation

from engagement.platform.clientip import client_ip
from engagement.platform.logfilters import RedactTokens, redact

ROOT = Path(__file__).resolve().parents[2]
JA_PO = ROOT / "engagement" / "locale" / "ja" / "LC_MESSAGES" / "django.po"


def test_forged_forwarded_for_is_ignored_without_a_trusted_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "203.0.113.9"


def test_with_one_trusted_proxy_the_client_is_the_last_forwarded_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client forged "1.2.3.4"; the proxy appended the address it really saw.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7"
    )
    assert client_ip(request) == "198.51.100.7"
    short = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2")
    assert client_ip(short) == "10.0.0.2"


def test_survey_tokens_are_redacted_from_log_records():
    assert redact('"GET /s/AbCdEf123456.sig/ HTTP/1.1" 200') == '"GET /s/[redacted]/ HTTP/1.1" 200'
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s',
        ("GET /p/secretTOKEN99/ HTTP", 200),
        None,
    )
    RedactTokens().filter(record)
    assert "secretTOKEN99" not in record.getMessage()


def test_japanese_catalogue_is_complete_and_compiled():
    catalogue = polib.pofile(str(JA_PO))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []
    mo = JA_PO.with_suffix(".mo")
    assert mo.stat().st_mtime >= JA_PO.stat().st_mtime - 1, "run compilemessages"
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", "/dev/null", str(JA_PO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_catalogue_covers_every_marked_string_in_the_code():
    """Re-extracting the messages finds no msgid missing from the committed catalogue."""
    catalogue = {entry.msgid for entry in polib.pofile(str(JA_PO))}
    pot = subprocess.run(
        [
            "xgettext",
            "--language=Python",
            "--from-code=UTF-8",
            "--keyword=_",
            "--keyword=gettext",
            "--keyword=gettext_lazy",
            "--keyword=ngettext:1,2",
            "--keyword=ngettext_lazy:1,2",
            "--keyword=pgettext:1c,2",
            "--keyword=pgettext_lazy:1c,2",
            "-o",
            "-",
            *[
                str(p)
                for p in sorted(ROOT.glob("[!.]*/**/*.py"))
                if "/tests/" not in str(p)
                and "/migrations/" not in str(p)
                and ".venv" not in str(p)
            ],
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    marked = {entry.msgid for entry in polib.pofile(pot) if entry.msgid}
    assert sorted(marked - catalogue) == []


@pytest.mark.django_db
def test_home_page_links_the_product_in_japanese(client):
    with translation.override("ja"):
        response = client.get("/", HTTP_ACCEPT_LANGUAGE="ja")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ja">' in body
    for link in ("/admin/", "/admin/dashboard/", "/api/docs/", "/reports/"):
        assert f'href="{link}"' in body
    assert "Engagement platform" not in body  # translated


@pytest.mark.django_db
def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_api_docs_load_no_third_party_resources(client, admin_user):
    client.force_login(admin_user)
    body = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in body
    assert "cdn." not in body and "unpkg" not in body and "jsdelivr" not in body
