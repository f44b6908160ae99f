"""Every URL in the URL conf, requested by every role: status, counts, and what must not leak.

The URL conf is walked; a route that is neither a model admin's generated page (checked
against each ``ModelAdmin``'s own permissions and queryset) nor in ``TABLE`` below fails the
test, so a new endpoint cannot ship without an expectation. Every body is searched:

- an agent of team A never sees team B's customer name, e-mail, phone, customer ID or phrase;
- the product team never sees anybody's name, e-mail, phone or customer ID;
- anonymous visitors see none of the markers at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .conftest import (
    A_EMAIL,
    A_NAME,
    A_PHONE,
    B_EMAIL,
    B_EXTERNAL,
    B_NAME,
    B_PHONE,
    B_PHRASE,
    World,
)

ROLES = ("anonymous", "agent_a", "lead_a", "product", "admin")
B_MARKERS = [B_NAME, B_EMAIL, B_PHONE, B_PHRASE, B_EXTERNAL]
PERSONAL = [A_NAME, A_EMAIL, A_PHONE, B_NAME, B_EMAIL, B_PHONE, B_EXTERNAL, "CUST-ALPHA-1234"]
FORBIDDEN = {
    "anonymous": sorted(set(B_MARKERS + PERSONAL)),
    "agent_a": B_MARKERS,
    "lead_a": [],
    "product": PERSONAL,
    "admin": [],
}


def walk(patterns: list[Any], prefix: str = "", ns: str | None = None) -> Iterator[tuple]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ns
            if pattern.namespace:
                inner = f"{ns}:{pattern.namespace}" if ns else pattern.namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{ns}:{pattern.name}" if ns and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name


def S(anonymous: Any, agent_a: Any, lead_a: Any, product: Any, admin: Any) -> dict[str, Any]:
    return {
        "anonymous": anonymous,
        "agent_a": agent_a,
        "lead_a": lead_a,
        "product": product,
        "admin": admin,
    }


LOGIN = 302  # staff pages send anonymous visitors to the admin login
API_ANON = (401, 403)
ALL_200 = S(200, 200, 200, 200, 200)
POST_ONLY = S(LOGIN, 405, 405, 405, 405)
DASHBOARD = S(LOGIN, 403, 403, 200, 200)
REPORTS = S(LOGIN, 403, 403, 200, 200)
B = "b"  # marks a path built on team B's objects

# route → (path builder, expected status per role). Paths use team B's objects where there
# are any, so that "may not see" is tested on the rows that matter.
TABLE: dict[str, tuple[Callable[[World], str], dict[str, Any]]] = {
    "": (lambda w: "/", ALL_200),
    "healthz": (lambda w: "/healthz", ALL_200),
    "i18n/setlang/": (lambda w: "/i18n/setlang/", S(*[(204, 302)] * 5)),
    "admin/settings/branding/": (lambda w: reverse("branding"), S(LOGIN, 403, 403, 403, 200)),
    "admin/settings/profile/": (lambda w: reverse("staff-profile"), S(LOGIN, 200, 200, 200, 200)),
    "branding.css": (lambda w: reverse("branding-css"), ALL_200),
    "branding/logo": (lambda w: reverse("branding-logo"), S(404, 404, 404, 404, 404)),
    "admin/dashboard/": (lambda w: reverse("dashboard:index"), DASHBOARD),
    "admin/dashboard/refresh/": (lambda w: reverse("dashboard:refresh"), POST_ONLY),
    "admin/dashboard/csv/<slug:panel>/": (
        lambda w: reverse("dashboard:panel-csv", args=["topics_volume"]),
        DASHBOARD,
    ),
    "admin/dashboard/drivers/": (lambda w: reverse("dashboard:drivers"), DASHBOARD),
    "admin/dashboard/drivers/csv/": (lambda w: reverse("dashboard:drivers-csv"), DASHBOARD),
    "admin/dashboard/metrics/": (lambda w: reverse("dashboard:metrics"), DASHBOARD),
    "admin/dashboard/metrics/csv/": (lambda w: reverse("dashboard:metrics-csv"), DASHBOARD),
    "admin/dashboard/compare/": (lambda w: reverse("dashboard:compare"), DASHBOARD),
    "admin/dashboard/crosstab/": (
        lambda w: reverse("dashboard:crosstab") + "?rows=segment&columns=nps_band",
        DASHBOARD,
    ),
    "admin/dashboard/views/save/": (lambda w: reverse("dashboard:save-view"), POST_ONLY),
    "admin/dashboard/views/<int:view_id>/": (
        lambda w: reverse("dashboard:open-view", args=[999999]),
        S(LOGIN, 403, 403, 404, 404),
    ),
    "admin/dashboard/views/<int:view_id>/delete/": (
        lambda w: reverse("dashboard:delete-view", args=[999999]),
        POST_ONLY,
    ),
    "admin/dashboard/customers/<int:pk>/": (
        lambda w: reverse("dashboard:customer", args=[w.customer_b.pk]),
        S(LOGIN, 404, 200, 403, 200),
    ),
    "admin/triage/items/<int:item_id>/notes/": (
        lambda w: reverse("triage:note", args=[w.item_b.pk]),
        POST_ONLY,
    ),
    "admin/triage/items/<int:item_id>/tags/": (
        lambda w: reverse("triage:tag", args=[w.item_b.pk]),
        POST_ONLY,
    ),
    "admin/triage/items/<int:item_id>/tags/<int:tag_id>/remove/": (
        lambda w: reverse("triage:untag", args=[w.item_b.pk, 1]),
        POST_ONLY,
    ),
    "admin/triage/items/<int:item_id>/reply/": (
        lambda w: reverse("triage:reply", args=[w.item_b.pk]),
        POST_ONLY,
    ),
    "admin/triage/heard-you/": (
        lambda w: reverse("triage:heard_you"),
        S(LOGIN, 403, 200, 403, 200),
    ),
    # The product team sees topics and KWIC with personal data masked (bodies are searched).
    "admin/voc/topics/": (lambda w: reverse("voc:topics"), S(LOGIN, 200, 200, 200, 200)),
    "admin/voc/topics/<int:topic_id>/": (
        lambda w: reverse("voc:topic", args=[w.topic.pk]),
        S(LOGIN, 200, 200, 200, 200),
    ),
    "admin/voc/topics/<int:topic_id>/rename/": (
        lambda w: reverse("voc:topic_rename", args=[w.topic.pk]),
        POST_ONLY,
    ),
    "admin/voc/topics/<int:topic_id>/merge/": (
        lambda w: reverse("voc:topic_merge", args=[w.topic.pk]),
        POST_ONLY,
    ),
    "admin/voc/topics/<int:topic_id>/split/": (
        lambda w: reverse("voc:topic_split", args=[w.topic.pk]),
        POST_ONLY,
    ),
    "admin/voc/items/move/": (lambda w: reverse("voc:item_move"), POST_ONLY),
    "admin/voc/search/": (
        lambda w: reverse("voc:search") + "?q=解約",
        S(LOGIN, 200, 200, 200, 200),
    ),
    "admin/voc/cooccurrence/": (
        lambda w: reverse("voc:cooccurrence"),
        S(LOGIN, 200, 200, 403, 200),
    ),
    "admin/voc/coding/": (
        lambda w: reverse("voc:coding") + "?segment=channel",
        S(LOGIN, 200, 200, 403, 200),
    ),
    "admin/voc/import/": (lambda w: reverse("voc:import"), S(LOGIN, 403, 403, 403, 200)),
    "admin/voc/analysis/": (lambda w: reverse("voc:analysis"), POST_ONLY),
    "admin/": (lambda w: "/admin/", S(LOGIN, 200, 200, 200, 200)),
    "admin/login/": (lambda w: "/admin/login/", S(200, 302, 302, 302, 302)),
    "admin/logout/": (lambda w: "/admin/logout/", S(LOGIN, 405, 405, 405, 405)),
    "admin/autocomplete/": (
        lambda w: (
            "/admin/autocomplete/?app_label=voc&model_name=feedbackitem&field_name=duplicate_of&term=解約"
        ),
        S(LOGIN, (200, 403), (200, 403), 403, (200, 403)),
    ),
    "admin/password_change/": (
        lambda w: "/admin/password_change/",
        S(LOGIN, 200, 200, 200, 200),
    ),
    "admin/password_change/done/": (
        lambda w: "/admin/password_change/done/",
        S(LOGIN, 200, 200, 200, 200),
    ),
    "admin/auth/user/<id>/password/": (
        lambda w: f"/admin/auth/user/{w.users['agent_a'].pk}/password/",
        S(LOGIN, 403, 403, 403, 200),
    ),
    "admin/jsi18n/": (lambda w: "/admin/jsi18n/", S(LOGIN, 200, 200, 200, 200)),
    "admin/r/<path:content_type_id>/<path:object_id>/": (
        lambda w: f"/admin/r/{_content_type('voc', 'feedbackitem')}/{w.item_b.pk}/",
        S(LOGIN, 404, 404, 404, 404),
    ),
    "admin/engagement/customer/import/": (
        lambda w: "/admin/engagement/customer/import/",
        S(LOGIN, 403, 403, 403, 200),
    ),
    "admin/engagement/importjob/<int:pk>/progress/": (
        lambda w: "/admin/engagement/importjob/999999/progress/",
        S(LOGIN, 403, 403, 403, 404),
    ),
    "admin/surveys/survey/template/": (
        lambda w: "/admin/surveys/survey/template/",
        S(LOGIN, 403, 403, 403, 200),
    ),
    "admin/surveys/survey/<int:pk>/copy/": (
        lambda w: f"/admin/surveys/survey/{w.objects['survey'].pk}/copy/",
        S(LOGIN, 403, 403, 403, (200, 302, 405)),
    ),
    # The survey builder (surveys.builder): every staff member may look at a survey's design
    # and preview it; editing and the test link (which stores a test response) need the
    # change permission.
    "admin/surveys/survey/<int:pk>/builder/": (
        lambda w: f"/admin/surveys/survey/{w.objects['survey'].pk}/builder/",
        S(LOGIN, 200, 200, 200, 200),
    ),
    "admin/surveys/survey/<int:pk>/builder/questions/add/": (
        lambda w: f"/admin/surveys/survey/{w.objects['survey'].pk}/builder/questions/add/",
        S(LOGIN, 403, 403, 403, 200),
    ),
    "admin/surveys/survey/<int:pk>/builder/questions/<int:question_id>/": (
        lambda w: (
            f"/admin/surveys/survey/{w.objects['survey'].pk}/builder/questions/"
            f"{w.objects['survey'].questions.order_by('id').first().pk}/"
        ),
        S(LOGIN, 403, 403, 403, 200),
    ),
    "admin/surveys/survey/<int:pk>/builder/pages/<int:page_id>/": (
        lambda w: (
            f"/admin/surveys/survey/{w.objects['survey'].pk}/builder/pages/"
            f"{w.objects['survey'].pages.order_by('id').first().pk}/"
        ),
        S(LOGIN, 403, 403, 403, 200),
    ),
    "admin/surveys/survey/<int:pk>/preview/": (
        lambda w: f"/admin/surveys/survey/{w.objects['survey'].pk}/preview/",
        S(LOGIN, 200, 200, 200, 200),
    ),
    "admin/surveys/survey/<int:pk>/test/": (
        lambda w: f"/admin/surveys/survey/{w.objects['survey'].pk}/test/",
        S(LOGIN, 403, 403, 403, 200),
    ),
    "admin/surveys/survey/<int:pk>/links.csv": (
        lambda w: f"/admin/surveys/survey/{w.objects['survey'].pk}/links.csv",
        S(LOGIN, 403, 403, 403, 200),
    ),
    "admin/surveys/survey/<int:pk>/qr.svg": (
        lambda w: f"/admin/surveys/survey/{w.objects['survey'].pk}/qr.svg",
        # 403 without a public link (the survey here has none).
        S(LOGIN, 403, 403, 403, (200, 403)),
    ),
    "admin/surveys/survey/<int:pk>/qr.png": (
        lambda w: f"/admin/surveys/survey/{w.objects['survey'].pk}/qr.png",
        S(LOGIN, 403, 403, 403, (200, 403)),
    ),
    # Invite by segment: needs surveys.add_invitation (administrators).
    "admin/surveys/survey/<int:pk>/segment/": (
        lambda w: f"/admin/surveys/survey/{w.objects['survey'].pk}/segment/",
        S(LOGIN, 403, 403, 403, 200),
    ),
    # Store and campaign links: QR codes and the A4 poster need the link's view permission.
    "admin/surveys/publiclink/<int:pk>/qr.svg": (
        lambda w: f"/admin/surveys/publiclink/{w.objects['public_link'].pk}/qr.svg",
        S(LOGIN, 403, 403, 403, 200),
    ),
    "admin/surveys/publiclink/<int:pk>/qr.png": (
        lambda w: f"/admin/surveys/publiclink/{w.objects['public_link'].pk}/qr.png",
        S(LOGIN, 403, 403, 403, 200),
    ),
    "admin/surveys/publiclink/<int:pk>/poster/": (
        lambda w: f"/admin/surveys/publiclink/{w.objects['public_link'].pk}/poster/",
        S(LOGIN, 403, 403, 403, 200),
    ),
    # Staff accounts (engagement.audit): every signed-in staff member has their own page.
    "accounts/": (lambda w: reverse("audit:account"), S(LOGIN, 200, 200, 200, 200)),
    "accounts/two-factor/": (
        lambda w: reverse("audit:two-factor"),
        S(LOGIN, 200, 200, 200, 200),
    ),
    "accounts/two-factor/setup/": (
        lambda w: reverse("audit:enrol"),
        S(LOGIN, 200, 200, 200, 200),
    ),
    "accounts/sign-out-everywhere/": (
        lambda w: reverse("audit:sign-out-everywhere"),
        S(LOGIN, 405, 405, 405, 405),
    ),
    # Shown only after a refused sign-in (the reason is in the session); otherwise refused.
    "accounts/sign-in-failed/": (
        lambda w: reverse("audit:sign-in-failed"),
        S(403, 403, 403, 403, 403),
    ),
    "oidc/callback/": (lambda w: "/oidc/callback/", S(302, 302, 302, 302, 302)),
    "oidc/authenticate/": (lambda w: "/oidc/authenticate/", S(302, 302, 302, 302, 302)),
    "admin/otp_totp/totpdevice/<int:pk>/config/": (
        lambda w: "/admin/otp_totp/totpdevice/1/config/",
        S(LOGIN, 403, 403, 403, 403),
    ),
    "admin/otp_totp/totpdevice/<int:pk>/qrcode/": (
        lambda w: "/admin/otp_totp/totpdevice/1/qrcode/",
        S(LOGIN, 403, 403, 403, 403),
    ),
    "admin/audit/auditentry/export.csv": (
        # Exporting the audit log needs its own permission, which no role has by default.
        lambda w: "/admin/audit/auditentry/export.csv",
        S(LOGIN, 403, 403, 403, 403),
    ),
    "admin/^(?P<app_label>"
    "auth|authtoken|platform|integrations|otp_totp|otp_static|axes|audit|engagement|surveys|voc|triage|reports|demo"
    ")/$": (
        lambda w: "/admin/voc/",
        S(LOGIN, 200, 200, 200, 200),
    ),
    "admin/(?P<url>.*)$": (lambda w: "/admin/no-such-page/", S(LOGIN, 404, 404, 404, 404)),
    "reports/": (lambda w: reverse("reports:list"), REPORTS),
    "reports/<int:report_id>/": (
        lambda w: reverse("reports:report", args=[w.objects["report"].pk]),
        REPORTS,
    ),
    "reports/<int:report_id>/export.<str:fmt>": (
        lambda w: reverse("reports:export", args=[w.objects["report"].pk, "csv"]),
        REPORTS,
    ),
    "reports/actions/": (lambda w: reverse("reports:actions"), REPORTS),
    "reports/actions/<int:action_id>/": (
        lambda w: reverse("reports:action", args=[w.objects["action"].pk]),
        REPORTS,
    ),
    "reports/actions/<int:action_id>/status/": (
        lambda w: reverse("reports:action_status", args=[w.objects["action"].pk]),
        S(LOGIN, 403, 403, 405, 405),
    ),
    "reports/actions/<int:action_id>/heard-you/": (
        lambda w: reverse("reports:action_heard_you", args=[w.objects["action"].pk]),
        S(LOGIN, 403, 403, 200, 200),
    ),
    "api/v1/customers/": (lambda w: "/api/v1/customers/", S(API_ANON, 200, 200, 403, 200)),
    "api/v1/customer-values/": (
        lambda w: "/api/v1/customer-values/",
        S(API_ANON, 403, 403, 403, 200),  # the values model permission: administrators
    ),
    "api/v1/customers/bulk/": (
        lambda w: "/api/v1/customers/bulk/",
        S(API_ANON, 405, 405, 403, 405),
    ),
    "api/v1/behaviours/bulk/": (
        lambda w: "/api/v1/behaviours/bulk/",
        S(API_ANON, 405, 405, 403, 405),
    ),
    "api/v1/surveys/": (lambda w: "/api/v1/surveys/", S(API_ANON, 200, 200, 200, 200)),
    "api/v1/surveys/<slug:slug>/invitations/": (
        lambda w: f"/api/v1/surveys/{w.objects['survey'].slug}/invitations/",
        S(API_ANON, 403, 403, 403, 405),
    ),
    "api/v1/responses/": (lambda w: "/api/v1/responses/", S(API_ANON, 403, 403, 403, 200)),
    "api/v1/voc/feedback/": (
        lambda w: "/api/v1/voc/feedback/",
        S(API_ANON, 405, 405, 403, 405),
    ),
    "api/v1/voc/topics/": (lambda w: "/api/v1/voc/topics/", S(API_ANON, 200, 200, 200, 200)),
    "api/v1/voc/search/": (
        lambda w: "/api/v1/voc/search/?q=解約",
        S(API_ANON, 200, 200, 403, 200),
    ),
    "api/v1/triage/items/": (
        lambda w: "/api/v1/triage/items/",
        S(API_ANON, 200, 200, 403, 200),
    ),
    "api/v1/triage/items/<int:pk>/": (
        lambda w: f"/api/v1/triage/items/{w.item_b.pk}/",
        S(API_ANON, 404, 200, 403, 200),
    ),
    "api/v1/triage/items/<int:pk>/state/": (
        lambda w: f"/api/v1/triage/items/{w.item_b.pk}/state/",
        S(API_ANON, (404, 405), 405, 403, 405),
    ),
    "api/v1/dashboard/": (lambda w: "/api/v1/dashboard/", S(API_ANON, 403, 403, 200, 200)),
    "api/v1/dashboard/compare/": (
        lambda w: "/api/v1/dashboard/compare/",
        S(API_ANON, 403, 403, 200, 200),
    ),
    "api/v1/dashboard/crosstab/": (
        lambda w: "/api/v1/dashboard/crosstab/?rows=segment&columns=nps_band",
        S(API_ANON, 403, 403, 200, 200),
    ),
    "api/v1/reports/": (lambda w: "/api/v1/reports/", S(API_ANON, 403, 403, 200, 200)),
    "api/v1/^reports/(?P<report_id>-?[0-9]+)/$": (
        lambda w: f"/api/v1/reports/{w.objects['report'].pk}/",
        S(API_ANON, 403, 403, 200, 200),
    ),
    "api/v1/^reports/(?P<report_id>-?[0-9]+)/topics/$": (
        lambda w: f"/api/v1/reports/{w.objects['report'].pk}/topics/",
        S(API_ANON, 403, 403, 200, 200),
    ),
    "api/v1/^(?P<path>[\\s\\S]*)$": (lambda w: "/api/v1/nothing/", S(*[404] * 5)),
    "api/schema/": (lambda w: "/api/schema/", S(*[(200, 401, 403)] * 5)),
    "api/docs/": (lambda w: "/api/docs/", S(*[(200, 401, 403)] * 5)),
    # Customer pages: a wrong token is a message page for everybody (tests/surveys covers the
    # right ones); they show no staff data whoever asks.
    "s/<str:token>/": (lambda w: "/s/not-a-token/", S(*[(200, 404)] * 5)),
    "s/<str:token>/thanks/": (lambda w: "/s/not-a-token/thanks/", S(*[(200, 404)] * 5)),
    "p/<str:token>/": (lambda w: "/p/not-a-token/", S(*[(200, 404)] * 5)),
    "w/<str:token>/": (lambda w: "/w/not-a-token/", S(*[(200, 404)] * 5)),
    "p/<str:token>/thanks/": (lambda w: "/p/not-a-token/thanks/", S(*[(200, 404)] * 5)),
    "u/<str:token>/": (lambda w: "/u/not-a-token/", S(*[(200, 404)] * 5)),
    # Provider callbacks: POST only, authenticated by a signature (tests/surveys/test_inbound.py).
    "channels/line/webhook/": (lambda w: "/channels/line/webhook/", S(*[405] * 5)),
    "channels/sms/inbound/": (lambda w: "/channels/sms/inbound/", S(*[405] * 5)),
    "channels/sms/status/": (lambda w: "/channels/sms/status/", S(*[405] * 5)),
}

# Counts on the lists that show feedback, customers or responses.
COUNTS: dict[str, tuple[str, dict[str, int]]] = {
    "api/v1/customers/": ("count", {"agent_a": 1, "lead_a": 2, "admin": 2}),
    "api/v1/voc/search/": ("count", {"agent_a": 1, "lead_a": 2, "admin": 2}),
    "api/v1/triage/items/": ("count", {"agent_a": 1, "lead_a": 2, "admin": 2}),
    "api/v1/responses/": ("count", {"admin": 2}),
}

# Admin pages generated by ModelAdmin.get_urls(); checked against the ModelAdmin itself.
ADMIN_SUFFIXES = ("", "add/", "<path:object_id>/history/", "<path:object_id>/delete/",
                  "<path:object_id>/change/", "<path:object_id>/")  # fmt: skip


def _content_type(app_label: str, model: str) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get(app_label=app_label, model=model).id


def admin_routes() -> dict[str, Any]:
    routes = {}
    for model, model_admin in admin.site._registry.items():
        base = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        for suffix in ADMIN_SUFFIXES:
            routes[base + suffix] = (model, model_admin, suffix)
    return routes


def team_b_object(world: World, model: Any) -> Any:
    """The object whose change page each role requests: team B's when the model has one."""
    from engagement.customers.models import BehaviourRecord
    from surveys.models import Invitation, Response

    by_model = {
        "voc.feedbackitem": world.item_b,
        "engagement.customer": world.customer_b,
        "surveys.response": Response.objects.filter(customer=world.customer_b).first(),
        "surveys.invitation": Invitation.objects.filter(customer=world.customer_b).first(),
        "engagement.behaviourrecord": BehaviourRecord.objects.filter(
            customer=world.customer_b
        ).first(),
    }
    found = by_model.get(model._meta.label_lower)
    return found if found is not None else model._default_manager.order_by("pk").first()


def expected_admin_status(model_admin: Any, suffix: str, user: Any, obj: Any) -> Any:
    if user is None:
        return LOGIN
    request = RequestFactory().get("/")
    request.user = user
    if suffix == "":
        allowed = model_admin.has_view_or_change_permission(request)
        return 200 if allowed else 403
    if suffix == "add/":
        return 200 if model_admin.has_add_permission(request) else 403
    if suffix == "<path:object_id>/":
        return (301, 302)  # the admin's redirect to the change page
    if obj is None:
        return (302, 403, 404)
    visible = model_admin.get_queryset(request).filter(pk=obj.pk).exists()
    if suffix == "<path:object_id>/delete/" and not model_admin.has_delete_permission(request, obj):
        return 403
    if not model_admin.has_view_or_change_permission(request):
        return 403 if visible else (302, 403)
    if not visible:
        return 302  # the admin's "does not exist" redirect
    return 200


def _allowed(expected: Any) -> tuple[int, ...]:
    return expected if isinstance(expected, tuple) else (expected,)


@pytest.fixture
def matrix_world(world: World) -> World:
    from engagement.reports.models import ImprovementAction

    world.objects["action"] = ImprovementAction.objects.create(title="解約導線の改善")
    return world


def test_every_url_is_in_the_matrix_and_holds_for_every_role(matrix_world):
    world = matrix_world
    admin_generated = admin_routes()
    routes = [route for route, _name in walk(get_resolver().url_patterns)]
    missing = [r for r in routes if r not in TABLE and r not in admin_generated]
    assert not missing, f"routes without an expectation in the role matrix: {missing}"

    clients = {}
    for role in ROLES:
        client = Client()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        clients[role] = client

    checked = 0
    problems: list[str] = []
    for route in routes:
        if route in TABLE:
            builder, expected = TABLE[route]
            path = builder(world)
            expectations = {role: _allowed(expected[role]) for role in ROLES}
        else:
            model, model_admin, suffix = admin_generated[route]
            obj = team_b_object(world, model)
            base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            path = base + suffix.replace("<path:object_id>", str(obj.pk if obj else 999999))
            expectations = {
                role: _allowed(expected_admin_status(model_admin, suffix, world.users[role], obj))
                for role in ROLES
            }
        for role in ROLES:
            response = clients[role].get(path)
            checked += 1
            if response.status_code not in expectations[role]:
                problems.append(
                    f"{role} GET {path}: {response.status_code}, expected {expectations[role]}"
                )
                continue
            body = b"".join(response) if response.streaming else response.content
            text = body.decode("utf-8-sig", errors="replace")
            leaked = [marker for marker in FORBIDDEN[role] if marker in text]
            if leaked:
                problems.append(f"{role} GET {path}: shows {leaked}")
            if route in COUNTS and response.status_code == 200:
                key, counts = COUNTS[route]
                if role in counts and response.json()[key] != counts[role]:
                    problems.append(
                        f"{role} GET {path}: {key}={response.json()[key]}, expected {counts[role]}"
                    )
    print(f"role matrix: {len(routes)} routes × {len(ROLES)} roles = {checked} requests")
    assert not problems, "\n".join(problems)


def test_writes_on_another_teams_items_are_refused_and_change_nothing(matrix_world):
    """The POST side of the matrix: an agent of team A acting on team B's item by id."""
    from rest_framework.test import APIClient

    from voc.models import FeedbackItem, Topic
    from voc.triage.models import Note, Reply, Tag

    world = matrix_world
    agent = Client()
    agent.force_login(world.users["agent_a"])
    item = world.item_b
    tag = Tag.objects.create(name="要確認")
    other_topic = Topic.objects.create(name="配送", terms=["配送"])
    before = (Note.objects.count(), Reply.objects.count(), item.item_tags.count())
    posts = {
        reverse("triage:note", args=[item.pk]): {"body": "見ました"},
        reverse("triage:tag", args=[item.pk]): {"name": "要確認"},
        reverse("triage:untag", args=[item.pk, tag.pk]): {},
        reverse("triage:reply", args=[item.pk]): {"do": "save", "subject": "x", "body": "y"},
    }
    for path, data in posts.items():
        assert agent.post(path, data).status_code == 404, path
    agent.post(reverse("voc:item_move"), {"item_id": item.pk, "topic": other_topic.pk})
    agent.post(
        reverse("voc:topic_split", args=[world.topic.pk]), {"items": [item.pk], "name": "分割"}
    )
    api = APIClient()
    api.force_authenticate(world.users["agent_a"])
    response = api.post(f"/api/v1/triage/items/{item.pk}/state/", {"state": "resolved"})
    assert response.status_code == 404
    fresh = FeedbackItem.objects.get(pk=item.pk)
    assert (fresh.state, fresh.topic_id) == (item.state, world.topic.pk)
    assert (Note.objects.count(), Reply.objects.count(), fresh.item_tags.count()) == before
