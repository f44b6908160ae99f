"""ensure_demo_admin (fresh password every run) and export_demo_feedback (labelled CSV)."""

from __future__ import annotations

import csv
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from engagement.demo.texts import THEMES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # Real hashing and checking, with a cheap algorithm: PBKDF2's million rounds take seconds here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_admin() -> tuple[str, dict[str, str]]:
    out = StringIO()
    call_command("ensure_demo_admin", stdout=out)
    text = out.getvalue()
    admin_password = re.search(r"Password: (\S+)", text).group(1)
    staff = dict(re.findall(r"^\s+[^:\n]+: (\w+) / (\S+)$", text, flags=re.M))
    return text, {"admin": admin_password, **staff}


def test_ensure_demo_admin_creates_superuser_and_resets_password_each_run():
    text, first = run_admin()
    assert "http://127.0.0.1:8000/admin/" in text
    assert "パスワード" in text and "Password" in text
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.is_staff and user.is_active
    assert user.check_password(first["admin"])

    _text, second = run_admin()
    user.refresh_from_db()
    assert second["admin"] != first["admin"]
    assert user.check_password(second["admin"])
    assert not user.check_password(first["admin"])
    assert get_user_model().objects.filter(username="admin").count() == 1


def test_ensure_demo_admin_creates_role_accounts_that_can_log_in():
    _text, passwords = run_admin()
    users = get_user_model().objects.filter(username__in=["cs_agent", "cs_lead", "product"])
    assert users.count() == 3
    for user in users:
        assert user.is_staff and not user.is_superuser
        assert user.check_password(passwords[user.username])
        assert user.groups.count() == 1
    product = users.get(username="product")
    assert not product.has_perm("engagement.view_personal_data")


def test_export_demo_feedback_writes_labelled_rows(tmp_path):
    path = tmp_path / "eval" / "demo.csv"
    out = StringIO()
    call_command("export_demo_feedback", output=str(path), items=300, seed=5, stdout=out)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 300
    assert {row["label"] for row in rows} == set(THEMES)
    assert all(row["text"].strip() for row in rows)
    again = tmp_path / "again.csv"
    call_command("export_demo_feedback", output=str(again), items=300, seed=5, stdout=StringIO())
    assert again.read_bytes() == path.read_bytes()


def test_export_demo_feedback_refuses_bad_input(tmp_path):
    with pytest.raises(CommandError):
        call_command("export_demo_feedback", output=str(tmp_path / "x.csv"), items=0)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CommandError):
        call_command("export_demo_feedback", output=str(blocker / "x.csv"), items=5)
