"""Writes for staff identity: two-factor enrolment and checks, signing out everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from engagement.audit.log import record
from engagement.audit.models import AuditAction, StaffSession
from engagement.platform import roles
from engagement.platform.errors import DomainError, InvalidInput

RECOVERY_DEVICE_NAME = "recovery"


class TwoFactorLocked(DomainError):
    code = "two_factor_locked"
    status_code = 429


def is_admin(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return any(g.name == roles.ADMINISTRATOR for g in user.groups.all())


def has_confirmed_totp(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def start_totp_enrolment(*, user: Any) -> TOTPDevice:
    """The user's unconfirmed authenticator (a new secret if none is pending)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    recovery_codes: list[str]


@transaction.atomic
def confirm_totp_enrolment(*, user: Any, token: str, request: Any = None) -> Enrolment:
    """Confirm the pending authenticator with a first code; issue fresh recovery codes."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("-id")
        .first()
    )
    if device is None:
        raise InvalidInput(_("Start the set-up again."))
    if not device.verify_token(_clean(token)):
        raise InvalidInput(
            _("The code is not correct. Enter the 6-digit code shown in your app."),
            fields={"token": [_("The code is not correct.")]},
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = issue_recovery_codes(user=user)
    record(request, action=AuditAction.TWO_FACTOR, obj=user, detail={"op": "enrol"})
    return Enrolment(device=device, recovery_codes=codes)


@transaction.atomic
def issue_recovery_codes(*, user: Any) -> list[str]:
    """Replace the user's recovery codes by ``RECOVERY_CODES`` new single-use ones."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(settings.RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def _clean(token: str) -> str:
    return "".join(str(token).split()).lower()[:16]


def _locked_until(device: Any, now: datetime) -> datetime | None:
    count = device.throttling_failure_count
    stamp = device.throttling_failure_timestamp
    if count >= settings.AXES_FAILURE_LIMIT and stamp is not None:
        until = stamp + settings.AXES_COOLOFF_TIME
        if until > now:
            return until
    return None


def verify_second_factor(*, user: Any, token: str, now: datetime, request: Any = None) -> Any:
    """The device the code belongs to (TOTP first, then a recovery code, which is used up).

    After ``AXES_FAILURE_LIMIT`` wrong codes in a row the account's second factor is locked
    for ``AXES_COOLOFF_TIME``: ``TwoFactorLocked`` says so, even for a right code."""
    with transaction.atomic():  # the failure count is committed even when the code is wrong
        matched = _match_second_factor(user=user, token=token, now=now)
    if matched is None:
        raise InvalidInput(
            _("The code is not correct."), fields={"token": [_("The code is not correct.")]}
        )
    if isinstance(matched, StaticDevice):
        record(request, action=AuditAction.TWO_FACTOR, obj=user, detail={"op": "recovery"})
    return matched


def _match_second_factor(*, user: Any, token: str, now: datetime) -> Any:
    totp = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True))
    static = list(StaticDevice.objects.select_for_update().filter(user=user, confirmed=True))
    if not totp and not static:
        raise InvalidInput(_("Two-factor sign-in is not set up for this account."))
    for device in totp + static:
        if _locked_until(device, now):
            raise TwoFactorLocked(
                _(
                    "Too many wrong codes. Two-factor sign-in is locked for %(minutes)d "
                    "minutes; ask an administrator if you need access sooner."
                )
                % {"minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)}
            )
    cleaned = _clean(token)
    # django-otp counts each device's failures (its delay is off: OTP_*_THROTTLE_FACTOR = 0).
    matched = next((d for d in totp + static if d.verify_token(cleaned)), None)
    if matched is not None:
        for device in totp + static:
            if device.throttling_failure_count:
                device.throttle_reset()
    return matched


@transaction.atomic
def sign_out_everywhere(*, user: Any, request: Any = None) -> int:
    """End every session of ``user`` (this browser's too); returns how many were ended."""
    keys = list(StaffSession.objects.filter(user=user).values_list("session_key", flat=True))
    ended, _detail = Session.objects.filter(session_key__in=keys).delete()
    StaffSession.objects.filter(user=user).delete()
    record(
        request,
        action=AuditAction.SIGN_OUT_EVERYWHERE,
        obj=user,
        actor=user,
        detail={"sessions": ended},
    )
    return ended
