"""Signals that end in the audit log: role and permission changes, setting saves, sign-ins.

Settings models are named by label in ``AUDITED_SETTINGS_MODELS`` (this app sits below the
domain apps and imports none of them); the domain apps connect ``on_customer_forgotten`` to
their own ``customer_forgotten`` signal.
"""

from __future__ import annotations

import time
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save

from engagement.audit.log import record
from engagement.audit.middleware import SEEN_KEY, STARTED_KEY
from engagement.audit.models import AuditAction, StaffSession

AUDITED_SETTINGS_MODELS = (
    "voc.analysissettings",
    "triage.triagesettings",
    "audit.retentionpolicy",
)
_PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "is_active")


def _names(model: Any, pk_set: set[Any] | None) -> list[str]:
    if not pk_set:
        return []
    if model is Group:
        return sorted(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
    perms = model.objects.filter(pk__in=pk_set).select_related("content_type")
    return sorted(f"{p.content_type.app_label}.{p.codename}" for p in perms)


def on_user_groups_changed(
    sender: Any, instance: Any, action: str, model: Any, pk_set: Any, reverse: bool, **kw: Any
) -> None:
    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    if action == "pre_clear":
        pk_set = set(
            (instance.user_set if reverse else instance.groups).values_list("pk", flat=True)
        )
        if not pk_set:
            return
    op = {"post_add": "add", "post_remove": "remove", "pre_clear": "clear"}[action]
    if reverse:  # group.user_set.add(users): one entry per group, users listed
        users = get_user_model().objects.filter(pk__in=pk_set or [])
        record(
            action=AuditAction.ROLE_CHANGE,
            obj=instance,
            detail={"op": op, "users": sorted(u.get_username() for u in users)},
        )
    else:
        record(
            action=AuditAction.ROLE_CHANGE,
            obj=instance,
            detail={"op": op, "groups": _names(Group, pk_set)},
        )


def on_permissions_changed(
    sender: Any, instance: Any, action: str, model: Any, pk_set: Any, reverse: bool, **kw: Any
) -> None:
    if action not in {"post_add", "post_remove", "pre_clear"} or reverse:
        return
    if action == "pre_clear":
        rel = instance.permissions if isinstance(instance, Group) else instance.user_permissions
        pk_set = set(rel.values_list("pk", flat=True))
        if not pk_set:
            return
    op = {"post_add": "add", "post_remove": "remove", "pre_clear": "clear"}[action]
    record(
        action=AuditAction.PERMISSION_CHANGE,
        obj=instance,
        detail={"op": op, "permissions": _names(model, pk_set)},
    )


def on_user_pre_save(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if raw or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(_PRIVILEGE_FIELDS):
        return  # e.g. last_login on every sign-in: no extra query
    old = sender.objects.filter(pk=instance.pk).values(*_PRIVILEGE_FIELDS).first()
    if old is None:
        return
    changed = {
        f: [old[f], getattr(instance, f)]
        for f in _PRIVILEGE_FIELDS
        if old[f] != getattr(instance, f)
    }
    if changed:
        record(action=AuditAction.PERMISSION_CHANGE, obj=instance, detail={"changed": changed})


def on_settings_saved(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kw: Any
) -> None:
    if raw:
        return
    fields = {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.attname not in {"id", "created_at", "updated_at"}
    }
    record(
        action=AuditAction.SETTING_CHANGE,
        obj=instance,
        detail={"created": created, "values": fields},
    )


def on_customer_forgotten(sender: Any, customer: Any, now: Any = None, **kwargs: Any) -> None:
    record(
        action=AuditAction.CUSTOMER_FORGET,
        obj=customer,
        object_repr=customer.external_id[:200],
        customer_id=customer.pk,
    )


def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None:
        return
    backend = getattr(user, "backend", "") or ""
    record(request, action=AuditAction.SIGN_IN, actor=user, detail={"backend": backend})
    session = getattr(request, "session", None)
    if session is not None:
        session[STARTED_KEY] = session[SEEN_KEY] = time.time()
        if session.session_key is None:
            session.save()
        StaffSession.objects.get_or_create(session_key=session.session_key, defaults={"user": user})


def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or user is None:
        return
    detail = getattr(request, "_audit_sign_out_detail", None) or {}
    record(request, action=AuditAction.SIGN_OUT, actor=user, detail=detail)
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        StaffSession.objects.filter(session_key=key).delete()


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    record(
        request,
        action=AuditAction.SIGN_IN_FAILED,
        object_type="auth.user",
        object_repr=username,
        detail={"username": username},
    )


def connect() -> None:
    user_model = get_user_model()
    m2m_changed.connect(
        on_user_groups_changed, sender=user_model.groups.through, dispatch_uid="audit-groups"
    )
    m2m_changed.connect(
        on_permissions_changed,
        sender=user_model.user_permissions.through,
        dispatch_uid="audit-user-perms",
    )
    m2m_changed.connect(
        on_permissions_changed, sender=Group.permissions.through, dispatch_uid="audit-group-perms"
    )
    pre_save.connect(on_user_pre_save, sender=user_model, dispatch_uid="audit-user-privileges")
    for label in AUDITED_SETTINGS_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        post_save.connect(on_settings_saved, sender=model, dispatch_uid=f"audit-settings-{label}")
    user_logged_in.connect(on_logged_in, dispatch_uid="audit-logged-in")
    user_logged_out.connect(on_logged_out, dispatch_uid="audit-logged-out")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit-login-failed")
