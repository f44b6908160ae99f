"""The audit log: an entry for each kind of event, written once per request, never changed."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.audit import log
from engagement.audit.log import record, verify_chain
from engagement.audit.models import AuditAction, AuditEntry, AuditImmutable
from engagement.platform import roles

pytestmark = pytest.mark.django_db


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_viewing_a_customer_page_is_recorded_with_who_and_where(staff_client, build):
    customer = build.customer(name="山田太郎")
    response = staff_client.get(
        reverse("dashboard:customer", args=[customer.pk]), REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 200
    [entry] = entries(AuditAction.CUSTOMER_VIEW)
    assert entry.actor_username == "pm"
    assert entry.ip == "203.0.113.7"
    assert entry.customer_id == customer.pk
    assert entry.path == f"/admin/dashboard/customers/{customer.pk}/"


def test_customer_admin_page_and_not_found_pages(admin_client, build):
    customer = build.customer()
    assert (
        admin_client.get(
            reverse("admin:engagement_customer_change", args=[customer.pk])
        ).status_code
        == 200
    )
    assert admin_client.get(reverse("dashboard:customer", args=[999999])).status_code == 404
    [entry] = entries(AuditAction.CUSTOMER_VIEW)  # the 404 records nothing
    assert entry.customer_id == customer.pk and entry.actor_username == "root"


def test_every_attachment_is_an_export(admin_client, build):
    build.customer()
    response = admin_client.get(reverse("dashboard:metrics-csv"))
    assert response.status_code == 200
    [entry] = entries(AuditAction.EXPORT)
    assert entry.object_type == "dashboard:metrics-csv"
    assert entry.detail["filename"].endswith(".csv")


def test_api_reads_of_personal_data_are_recorded(admin_client, build):
    build.customer(name="佐藤花子")
    response = admin_client.get("/api/v1/customers/?page_size=10")
    assert response.status_code == 200
    [entry] = entries(AuditAction.API_READ)
    assert entry.object_type == "api-customers"
    assert entry.detail["query"] == {"page_size": "10"}
    admin_client.get("/api/v1/voc/topics/")  # no personal data: not recorded
    assert len(entries(AuditAction.API_READ)) == 1


def test_api_read_with_a_token_names_the_token_user(client, admin_user, build):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=admin_user)
    response = client.get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    [entry] = entries(AuditAction.API_READ)
    assert entry.actor_username == "root"


def test_role_and_permission_changes_are_recorded(admin_user, django_user_model):
    roles.sync_roles()
    AuditEntry.objects.all()  # sync at migrate may have recorded group permission changes
    before = AuditEntry.objects.count()
    user = django_user_model.objects.create_user(username="agent", password="x" * 12)
    group = Group.objects.get(name=roles.CS_AGENT)
    user.groups.add(group)
    user.groups.remove(group)
    group.user_set.add(user)
    perm = Permission.objects.get(codename="view_customer")
    user.user_permissions.add(perm)
    user.is_superuser = True
    user.save()
    new = list(AuditEntry.objects.order_by("id")[before:])
    assert [(e.action, e.detail.get("op")) for e in new] == [
        (AuditAction.ROLE_CHANGE, "add"),
        (AuditAction.ROLE_CHANGE, "remove"),
        (AuditAction.ROLE_CHANGE, "add"),
        (AuditAction.PERMISSION_CHANGE, "add"),
        (AuditAction.PERMISSION_CHANGE, None),
    ]
    assert new[0].detail["groups"] == [roles.CS_AGENT]
    assert new[2].detail["users"] == ["agent"]
    assert new[3].detail["permissions"] == ["engagement.view_customer"]
    assert new[4].detail["changed"] == {"is_superuser": [False, True]}


def test_group_membership_change_through_the_admin_names_the_admin(admin_client, django_user_model):
    roles.sync_roles()
    user = django_user_model.objects.create_user(username="agent2", password="x" * 12)
    group = Group.objects.get(name=roles.CS_LEAD)
    response = admin_client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {
            "username": "agent2",
            "is_active": "on",
            "is_staff": "on",
            "groups": [group.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2026-01-01",
            "initial-date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    role = entries(AuditAction.ROLE_CHANGE)[-1]
    assert role.actor_username == "root" and role.detail == {"op": "add", "groups": [roles.CS_LEAD]}
    staff = entries(AuditAction.PERMISSION_CHANGE)[-1]
    assert staff.detail["changed"] == {"is_staff": [False, True]}


def test_forgetting_a_customer_is_recorded(build):
    from engagement.customers.services import forget_customer

    customer = build.customer(name="消す人")
    forget_customer(customer=customer, now=timezone.now())
    [entry] = entries(AuditAction.CUSTOMER_FORGET)
    assert entry.customer_id == customer.pk
    assert entry.object_repr.startswith("forgotten-") or entry.object_repr


def test_setting_changes_are_recorded(admin_client):
    from voc.triage.models import TriageSettings

    settings_obj = TriageSettings.objects.first() or TriageSettings.objects.create(pk=1)
    settings_obj.digest_hour = 7
    settings_obj.save()
    entry = entries(AuditAction.SETTING_CHANGE)[-1]
    assert entry.object_type == "triage.triagesettings"
    assert entry.detail["values"]["digest_hour"] == 7
    # through the admin: the person who saved it is named
    response = admin_client.post(
        reverse("admin:audit_retentionpolicy_add"), {"kind": "audit_log", "months": "24"}
    )
    assert response.status_code == 302
    entry = entries(AuditAction.SETTING_CHANGE)[-1]
    assert entry.actor_username == "root"
    assert entry.object_type == "audit.retentionpolicy"
    assert entry.detail["values"] == {"kind": "audit_log", "months": 24}


def test_sign_in_and_failed_sign_in_are_recorded(client, admin_user, settings):
    settings.TWO_FACTOR_REQUIRED_FOR_ADMINS = False
    client.post(reverse("admin:login"), {"username": "root", "password": "wrong password!"})
    client.post(reverse("admin:login"), {"username": "root", "password": "correct horse battery"})
    signs = AuditEntry.objects.filter(action__startswith="auth.").order_by("id")
    assert [(e.action, e.object_repr or e.actor_username) for e in signs] == [
        (AuditAction.SIGN_IN_FAILED, "root"),
        (AuditAction.SIGN_IN, "root"),
    ]


def test_a_request_writes_its_entries_in_one_batch(admin_client, build, django_user_model):
    """However many events a request records, the log costs a fixed handful of queries."""
    from django.http import HttpResponse

    customers = [build.customer() for _ in range(30)]

    def many(request):
        for c in customers:
            record(request, action=AuditAction.CUSTOMER_VIEW, obj=c)
        return HttpResponse("ok")

    request = RequestFactory().get("/x")
    request.user = django_user_model.objects.get(username="root")
    log.start_buffer(request)
    many(request)
    with CaptureQueriesContext(connection) as queries:
        assert log.flush(request) == 30
    # lock the chain head, insert all, move the head (plus savepoint bookkeeping)
    assert len([q for q in queries.captured_queries if "audit_" in q["sql"]]) == 3
    assert AuditEntry.objects.filter(action=AuditAction.CUSTOMER_VIEW).count() == 30
    assert verify_chain() == []


def test_entries_cannot_be_changed_or_deleted_through_the_app(build):
    entry = record(action=AuditAction.EXPORT, object_repr="a.csv")
    entry.object_repr = "b.csv"
    with pytest.raises(AuditImmutable):
        entry.save()
    with pytest.raises(AuditImmutable):
        entry.delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr="c.csv")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == "a.csv"


def test_the_database_refuses_updates_and_the_chain_detects_tampering(build):
    first = record(action=AuditAction.EXPORT, object_repr="a.csv")
    record(action=AuditAction.EXPORT, object_repr="b.csv")
    assert verify_chain() == []
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET object_repr = 'x.csv' WHERE id = %s", [first.pk]
        )
    # someone who drops the guard and edits the row is still caught by the chain
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER audit_entry_append_only"
            + (" ON audit_auditentry" if connection.vendor == "postgresql" else "")
        )
        cursor.execute(
            "UPDATE audit_auditentry SET object_repr = 'x.csv' WHERE id = %s", [first.pk]
        )
    assert [(p.entry_id, p.reason) for p in verify_chain()] == [(first.pk, "content")]


def test_admin_is_read_only_even_for_superusers(admin_client):
    entry = record(action=AuditAction.EXPORT, object_repr="a.csv")
    changelist = admin_client.get(reverse("admin:audit_auditentry_changelist"))
    assert changelist.status_code == 200
    assert b"a.csv" in changelist.content
    page = admin_client.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert (
        admin_client.post(
            reverse("admin:audit_auditentry_change", args=[entry.pk]), {"object_repr": "z"}
        ).status_code
        == 403
    )
    assert (
        admin_client.post(
            reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert admin_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == "a.csv"


def test_admin_search_by_staff_customer_and_date_and_csv_export(
    admin_client, build, django_user_model
):
    c1, c2 = build.customer(), build.customer()
    alice = django_user_model.objects.create_user(username="alice", password="x" * 12)
    bob = django_user_model.objects.create_user(username="bob", password="x" * 12)
    record(action=AuditAction.CUSTOMER_VIEW, obj=c1, actor=alice, at=timezone.now())
    record(action=AuditAction.CUSTOMER_VIEW, obj=c2, actor=alice, object_repr="=HYPERLINK(1)")
    record(action=AuditAction.CUSTOMER_VIEW, obj=c1, actor=bob)
    old = timezone.now() - timezone.timedelta(days=40)
    record(action=AuditAction.CUSTOMER_VIEW, obj=c1, actor=alice, at=old, object_repr="old")

    url = reverse("admin:audit_auditentry_changelist")
    page = admin_client.get(url, {"staff": "alice", "customer": str(c1.pk)})
    assert page.status_code == 200
    shown = list(page.context["cl"].result_list)
    assert {(e.actor_username, e.customer_id) for e in shown} == {("alice", c1.pk)}
    assert len(shown) == 2
    today = timezone.localdate().isoformat()
    page = admin_client.get(url, {"staff": "alice", "customer": str(c1.pk), "at__gte": today})
    assert [e.object_repr for e in page.context["cl"].result_list] != ["old"]
    assert len(page.context["cl"].result_list) == 1

    export = admin_client.get(reverse("admin:audit_auditentry_export"), {"staff": "alice"})
    assert export.status_code == 200
    assert export["Content-Disposition"].startswith('attachment; filename="audit-log-')
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert {r["actor_username"] for r in rows} == {"alice"}
    assert len(rows) == 3
    assert "'=HYPERLINK(1)" in {r["object_repr"] for r in rows}  # neutralised
    # the export itself is in the log
    assert entries(AuditAction.EXPORT)[-1].object_type == "admin:audit_auditentry_export"


def test_export_needs_the_permission(client, django_user_model):
    user = django_user_model.objects.create_user(username="v", password="x" * 12, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    client.force_login(user)
    assert client.get(reverse("admin:audit_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditentry_export")).status_code == 403


def test_entries_are_written_when_the_response_is_closed(build, django_user_model):
    """The browser gets the page first; the server writes the batch when it closes it."""
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from engagement.audit.middleware import AuditMiddleware

    customer = build.customer()

    def view(request):
        record(request, action=AuditAction.CUSTOMER_VIEW, obj=customer)
        record(request, action=AuditAction.CUSTOMER_VIEW, obj=customer)
        return HttpResponse("ok")

    request = RequestFactory().get("/x")
    request.user = AnonymousUser()
    response = AuditMiddleware(view)(request)
    assert response.content == b"ok"
    assert not AuditEntry.objects.filter(customer_id=customer.pk).exists()
    response.close()
    assert AuditEntry.objects.filter(customer_id=customer.pk).count() == 2


def test_pages_listing_personal_data_are_recorded(admin_client, build):
    build.customer(name="一覧の人")
    assert admin_client.get(reverse("admin:engagement_customer_changelist")).status_code == 200
    [entry] = entries(AuditAction.PERSONAL_DATA_VIEW)
    assert entry.object_type == "admin:engagement_customer_changelist"
    assert entry.actor_username == "root"
