"""OpenID Connect sign-in against a provider the test starts (real HTTP, RS256 id_token)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from engagement.audit.models import AuditAction, AuditEntry
from engagement.audit.oidc import forget_discovery
from engagement.platform import roles
from tests.audit.oidc_provider import Provider, RunningProvider

pytestmark = pytest.mark.django_db
CALLBACK = "http://testserver/oidc/callback/"


@pytest.fixture
def idp(settings) -> Iterator[Provider]:
    roles.sync_roles()
    provider = Provider(
        redirect_uris={CALLBACK},
        claims={
            "sub": "u-123",
            "email": "Hanako.Sato@example.co.jp",
            "email_verified": True,
            "given_name": "花子",
            "family_name": "佐藤",
            "groups": ["cs-agents", "unrelated"],
        },
    )
    with RunningProvider(provider):
        forget_discovery()
        settings.OIDC_OP_ISSUER = provider.issuer
        settings.OIDC_ENABLED = True
        settings.OIDC_RP_CLIENT_ID = provider.client_id
        settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
        settings.OIDC_ALLOWED_EMAIL_DOMAINS = ["example.co.jp"]
        settings.OIDC_ROLE_MAP = {"cs-agents": roles.CS_AGENT, "eng-admins": roles.ADMINISTRATOR}
        settings.AUTHENTICATION_BACKENDS = [
            *settings.AUTHENTICATION_BACKENDS,
            "engagement.audit.oidc.StaffOIDCBackend",
        ]
        yield provider
        forget_discovery()


def sign_in(client, provider: Provider, next_url: str = "/admin/"):
    """The browser's part: our app → the provider's authorize page → back to our callback."""
    start = client.get("/oidc/authenticate/", {"next": next_url})
    assert start.status_code == 302
    assert start["Location"].startswith(f"{provider.issuer}/authorize?")
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=5)
    if at_provider.status_code != 302:
        return at_provider
    back = urlparse(at_provider.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})


def failures() -> list[str]:
    return [
        e.detail["reason"]
        for e in AuditEntry.objects.filter(action=AuditAction.SIGN_IN_FAILED).order_by("id")
    ]


def test_round_trip_creates_the_staff_account_with_mapped_roles(client, idp):
    response = sign_in(client, idp)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"

    [authorize] = idp.seen("/authorize")
    assert authorize.query["client_id"] == "engagement-app"
    assert authorize.query["redirect_uri"] == CALLBACK
    assert authorize.query["response_type"] == "code"
    assert authorize.query["scope"].split() == ["openid", "email", "profile"]
    assert len(authorize.query["state"]) == 32 and len(authorize.query["nonce"]) == 32

    [token] = idp.seen("/token")
    basic = base64.b64decode(token.headers["authorization"].removeprefix("Basic ")).decode()
    assert basic == "engagement-app:s3cret-from-the-idp"
    assert "client_secret" not in token.form  # client_secret_basic: the secret is in the header
    assert token.form["grant_type"] == "authorization_code"
    assert token.form["redirect_uri"] == CALLBACK
    assert idp.codes[token.form["code"]]["used"] is True
    assert idp.codes[token.form["code"]]["nonce"] == authorize.query["nonce"]
    [userinfo] = idp.seen("/userinfo")
    assert userinfo.headers["authorization"].startswith("Bearer ")

    user = get_user_model().objects.get(email="hanako.sato@example.co.jp")
    assert user.username == "hanako.sato@example.co.jp"
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert (user.last_name, user.first_name) == ("佐藤", "花子")
    assert [g.name for g in user.groups.all()] == [roles.CS_AGENT]
    assert int(client.session["_auth_user_id"]) == user.pk
    sign = AuditEntry.objects.get(action=AuditAction.SIGN_IN)
    assert sign.actor_username == user.username
    assert sign.detail["backend"] == "engagement.audit.oidc.StaffOIDCBackend"
    assert client.get("/admin/").status_code == 200


def test_roles_follow_the_groups_claim_on_every_sign_in(client, idp):
    sign_in(client, idp)
    idp.claims["groups"] = ["eng-admins"]
    client.logout()
    sign_in(client, idp)
    user = get_user_model().objects.get(email="hanako.sato@example.co.jp")
    assert [g.name for g in user.groups.all()] == [roles.ADMINISTRATOR]
    # a group given by hand that is not a product role stays
    other = Group.objects.create(name="手作業のグループ")
    user.groups.add(other)
    idp.claims["groups"] = []
    client.logout()
    sign_in(client, idp)
    assert [g.name for g in user.groups.all()] == ["手作業のグループ"]


@pytest.mark.parametrize(
    ("tamper", "reason", "message"),
    [
        ({"aud": "another-app"}, "audience", "このアプリケーション宛て"),
        ({"iss": "https://evil.example"}, "issuer", "発行元"),
        ({"expired": True}, "expired", "有効期限"),
        ({"nonce": "replayed-nonce"}, "nonce", "検証できませんでした"),
        ({"other_key": True}, "token", "検証できませんでした"),
        ({"state": "forged-state"}, "state", "完了できませんでした"),
        ({"deny": True}, "access_denied", "拒否"),
    ],
)
def test_bad_answers_are_refused_and_logged(client, idp, tamper, reason, message):
    idp.tamper = tamper
    response = sign_in(client, idp)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in-failed/"
    page = client.get(response["Location"])
    assert page.status_code == 403
    assert message in page.content.decode()
    assert not get_user_model().objects.filter(email__iexact=idp.claims["email"]).exists()
    assert "_auth_user_id" not in client.session
    assert failures() == [reason]


def test_a_disallowed_e_mail_domain_creates_no_account(client, idp):
    idp.claims["email"] = "someone@gmail.com"
    response = sign_in(client, idp)
    page = client.get(response["Location"])
    assert "このアプリケーションへのログインが許可されていません" in page.content.decode()
    assert not get_user_model().objects.filter(email="someone@gmail.com").exists()
    assert failures() == ["domain"]


def test_a_wrong_client_secret_is_refused_by_the_provider(client, idp, settings):
    settings.OIDC_RP_CLIENT_SECRET = "not-the-secret"
    response = sign_in(client, idp)
    assert response["Location"] == "/accounts/sign-in-failed/"
    assert [t.form.get("code") is not None for t in idp.seen("/token")] == [True]
    assert failures() == ["provider"]
    assert not get_user_model().objects.filter(email__iexact=idp.claims["email"]).exists()


def test_the_id_token_is_really_rs256_signed_by_the_jwks_key(idp):
    token = idp.id_token(nonce="n", sub="s")
    key = jwt.PyJWK(idp.jwks()["keys"][0])
    claims = jwt.decode(token, key, algorithms=["RS256"], audience="engagement-app")
    assert claims["iss"] == idp.issuer
    assert jwt.get_unverified_header(token)["kid"] == "test-key-1"


def test_local_passwords_off_except_for_break_glass(client, settings, django_user_model):
    settings.LOCAL_PASSWORDS_ENABLED = False
    settings.BREAK_GLASS_USERNAMES = ["breakglass"]
    django_user_model.objects.create_user("staff", password="a long password 1", is_staff=True)
    django_user_model.objects.create_user("breakglass", password="a long password 2", is_staff=True)
    refused = client.post("/admin/login/", {"username": "staff", "password": "a long password 1"})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "パスワードによるログインは無効" in refused.content.decode()
    allowed = client.post(
        "/admin/login/", {"username": "breakglass", "password": "a long password 2"}
    )
    assert allowed.status_code == 302 and "_auth_user_id" in client.session


def test_administrators_from_the_provider_rely_on_its_mfa(client, idp, settings):
    settings.TWO_FACTOR_REQUIRED_FOR_ADMINS = True
    idp.claims["groups"] = ["eng-admins"]
    sign_in(client, idp)
    user = get_user_model().objects.get(email="hanako.sato@example.co.jp")
    assert [g.name for g in user.groups.all()] == [roles.ADMINISTRATOR]
    assert client.get("/admin/").status_code == 200  # not sent to the TOTP page
