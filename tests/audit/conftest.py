from __future__ import annotations

import pytest

from tests.dashboard.conftest import build, staff_client  # noqa: F401 (shared fixtures)


@pytest.fixture
def admin_user(db, django_user_model):
    return django_user_model.objects.create_superuser(
        username="root", password="correct horse battery", email="root@example.jp"
    )


@pytest.fixture
def admin_client(client, admin_user, settings):
    """A superuser signed in (two-factor off, so the pages themselves are tested)."""
    settings.TWO_FACTOR_REQUIRED_FOR_ADMINS = False
    client.force_login(admin_user)
    return client
