"""OpenID Connect sign-in for staff (mozilla-django-oidc), configured by environment.

On top of the library: endpoints read from the issuer's discovery document when not set; the
id_token's issuer, audience, expiry and nonce checked (the library checks only the signature and
nonce); e-mail domains limited to ``OIDC_ALLOWED_EMAIL_DOMAINS``; the groups claim mapped to the
product's roles (``OIDC_ROLE_MAP``) on every sign-in; and every refusal recorded in the audit log
and shown to the person as a clear Japanese message, with no account created.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from engagement.audit.log import record
from engagement.audit.models import AuditAction
from engagement.platform import roles
from engagement.platform.errors import DomainError

logger = logging.getLogger(__name__)

_DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_discovery: dict[str, dict[str, Any]] = {}
_discovery_lock = threading.Lock()
FAILURE_SESSION_KEY = "oidc_failure_message"


class SignInRefused(DomainError):
    code = "sign_in_refused"
    status_code = 403


def discovery_document(issuer: str) -> dict[str, Any]:
    """The issuer's ``/.well-known/openid-configuration``, fetched once per process."""
    with _discovery_lock:
        if issuer not in _discovery:
            url = issuer.rstrip("/") + "/.well-known/openid-configuration"
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
            if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
                raise SuspiciousOperation("discovery document names another issuer")
            _discovery[issuer] = document
        return _discovery[issuer]


def forget_discovery() -> None:
    with _discovery_lock:
        _discovery.clear()


def oidc_setting(attr: str, *args: Any) -> Any:
    if attr in _DISCOVERED and not getattr(settings, attr, "") and settings.OIDC_OP_ISSUER:
        return discovery_document(settings.OIDC_OP_ISSUER)[_DISCOVERED[attr]]
    return import_from_settings(attr, *args)


def roles_from_claims(claims: dict[str, Any]) -> set[str]:
    """The product's roles named by the groups claim through ``OIDC_ROLE_MAP``."""
    raw = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(raw, str):
        raw = [raw]
    known = set(roles.ROLES)
    mapped = {settings.OIDC_ROLE_MAP.get(str(g), "") for g in raw}
    return {name for name in mapped if name in known}


class StaffOIDCBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Endpoints are read (and the provider asked) only for an OIDC callback, so a local
        # password sign-in never waits on the identity provider.
        self.UserModel = get_user_model()

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if request is None or not request.GET.get("code") or not request.GET.get("state"):
            return None
        try:
            OIDCAuthenticationBackend.__init__(self)
        except (requests.RequestException, ValueError, KeyError, SuspiciousOperation) as exc:
            raise SignInRefused(
                _("The identity provider cannot be reached."), code="provider"
            ) from exc
        return super().authenticate(request, **kwargs)

    def get_payload_data(self, token: str, key: Any) -> dict[str, Any]:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SignInRefused(_("The identity provider's answer could not be verified."))
        issuer = settings.OIDC_OP_ISSUER
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                leeway=30,
            )
        except jwt.ExpiredSignatureError as exc:
            raise SignInRefused(
                _("The sign-in has expired. Please sign in again."), code="expired"
            ) from exc
        except jwt.InvalidAudienceError as exc:
            raise SignInRefused(
                _("The identity provider's answer was not meant for this application."),
                code="audience",
            ) from exc
        except jwt.InvalidIssuerError as exc:
            raise SignInRefused(
                _("The identity provider's answer came from an unknown issuer."), code="issuer"
            ) from exc
        except jwt.PyJWTError as exc:
            raise SignInRefused(
                _("The identity provider's answer could not be verified."), code="token"
            ) from exc

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return super().verify_token(token, **kwargs)
        except SuspiciousOperation as exc:
            raise SignInRefused(
                _("The identity provider's answer could not be verified."), code="nonce"
            ) from exc

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        email = str(claims.get("email") or "").lower()
        if not email or claims.get("email_verified") is False:
            raise SignInRefused(
                _("The identity provider did not confirm your e-mail address."), code="email"
            )
        allowed = settings.OIDC_ALLOWED_EMAIL_DOMAINS
        if allowed and email.rpartition("@")[2] not in allowed:
            raise SignInRefused(
                _("Your e-mail domain is not allowed to sign in to this application."),
                code="domain",
            )
        return True

    def get_username(self, claims: dict[str, Any]) -> str:
        return str(claims["email"]).lower()[:150]

    @transaction.atomic
    def create_user(self, claims: dict[str, Any]) -> Any:
        user = self.UserModel.objects.create_user(
            self.get_username(claims), email=str(claims["email"]).lower()
        )
        user.set_unusable_password()
        return self.update_user(user, claims)

    @transaction.atomic
    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        user.first_name = str(claims.get("given_name", user.first_name))[:150]
        user.last_name = str(claims.get("family_name", user.last_name))[:150]
        user.is_staff = True
        user.save()
        wanted = roles_from_claims(claims)
        role_groups = Group.objects.filter(name__in=list(roles.ROLES))
        current = {g.name for g in user.groups.all() if g.name in roles.ROLES}
        if current != wanted:
            remove = [g for g in role_groups if g.name in current - wanted]
            add = [g for g in role_groups if g.name in wanted - current]
            if remove:
                user.groups.remove(*remove)
            if add:
                user.groups.add(*add)
        return user


class StaffOIDCAuthenticateView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_OP_AUTH_ENDPOINT = ""
        self.OIDC_RP_CLIENT_ID = oidc_setting("OIDC_RP_CLIENT_ID")

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (requests.RequestException, ValueError, KeyError, SuspiciousOperation):
            logger.exception("OIDC discovery failed")
            return _refuse(request, _("The identity provider cannot be reached."), "discovery")
        return super().get(request)


class StaffOIDCCallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.GET.get("error"):
            super().get(request)
            return _refuse(
                request,
                _("The identity provider refused the sign-in."),
                str(request.GET.get("error"))[:50],
            )
        try:
            response = super().get(request)
        except SignInRefused as exc:
            return _refuse(request, exc.message, exc.code)
        except SuspiciousOperation:
            return _refuse(
                request, _("The sign-in could not be completed. Please try again."), "state"
            )
        except requests.RequestException:
            logger.exception("OIDC token or userinfo request failed")
            return _refuse(request, _("The identity provider cannot be reached."), "provider")
        if not request.user.is_authenticated:
            return _refuse(
                request, _("The sign-in could not be completed. Please try again."), "state"
            )
        return response


def _refuse(request: HttpRequest, message: str, reason: str) -> HttpResponse:
    logger.warning("OIDC sign-in refused: %s", reason)
    record(
        request,
        action=AuditAction.SIGN_IN_FAILED,
        object_type="oidc",
        detail={"reason": reason},
    )
    request.session[FAILURE_SESSION_KEY] = str(message)
    return HttpResponseRedirect(settings.LOGIN_REDIRECT_URL_FAILURE)
