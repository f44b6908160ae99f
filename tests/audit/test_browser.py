"""A staff member signs in with the company's identity provider in a real browser: the admin's
login page → the provider → back to the app, signed in, with the role the groups claim gives."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from engagement.audit.models import AuditAction, AuditEntry
from engagement.audit.oidc import forget_discovery
from engagement.platform import roles
from tests.audit.oidc_provider import Provider, RunningProvider
from tests.conftest import has_chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not has_chromium(), reason="Debian's chromium is not installed"),
]


def test_sign_in_with_the_identity_provider_in_a_browser(live_server, desktop_page, settings):
    roles.sync_roles()
    provider = Provider(
        redirect_uris={f"{live_server.url}/oidc/callback/"},
        claims={
            "sub": "u-9",
            "email": "taro.yamada@example.co.jp",
            "email_verified": True,
            "groups": ["cs-leads"],
        },
    )
    with RunningProvider(provider):
        forget_discovery()
        settings.OIDC_OP_ISSUER = provider.issuer
        settings.OIDC_ENABLED = True
        settings.OIDC_RP_CLIENT_ID = provider.client_id
        settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
        settings.OIDC_ALLOWED_EMAIL_DOMAINS = ["example.co.jp"]
        settings.OIDC_ROLE_MAP = {"cs-leads": roles.CS_LEAD}
        settings.AUTHENTICATION_BACKENDS = [
            *settings.AUTHENTICATION_BACKENDS,
            "engagement.audit.oidc.StaffOIDCBackend",
        ]
        page = desktop_page
        visited: list[str] = []
        page.on("request", lambda r: visited.append(r.url) if r.is_navigation_request() else None)
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.click("text=会社のアカウントでログイン")
        page.wait_for_url(f"{live_server.url}/admin/")
        assert page.locator("#user-tools").inner_text().upper().startswith("ようこそ")
        forget_discovery()
    assert any(url.startswith(f"{provider.issuer}/authorize?") for url in visited)
    assert any(url.startswith(f"{live_server.url}/oidc/callback/?code=") for url in visited)
    user = get_user_model().objects.get(username="taro.yamada@example.co.jp")
    assert [g.name for g in user.groups.all()] == [roles.CS_LEAD]
    assert AuditEntry.objects.filter(action=AuditAction.SIGN_IN, actor_id=user.pk).exists()
