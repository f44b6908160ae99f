"""Seed a small data set in the production configuration and list the URLs to crawl.

Run as ``python tests/production/seed.py`` with the production environment (``DJANGO_DEBUG=0``
and the required variables): it loads a small demo (``seed_demo --customers 40``), runs the VoC
analysis, creates an admin, a survey with personal, public and unsubscribe links, a report and
an improvement action, then walks the URL resolver and prints one JSON object:

``{"admin": {"username", "password"}, "staff": [url…], "customer": [url…],
"excluded": {pattern: reason}}``

Every URL pattern is either crawled or excluded with a reason; a pattern with a parameter this
script cannot fill stops it (so a new page cannot be forgotten silently).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "engagement.settings")

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.urls import URLPattern, URLResolver, get_resolver, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

# Patterns not fetched with GET, and why.
EXCLUDED = {
    "i18n/setlang/": "POST-only language switch (the footer form posts to it)",
    "admin/dashboard/refresh/": "POST-only action",
    "admin/dashboard/views/save/": "POST-only action",
    "branding/logo": "served only once a logo is uploaded (tests/triage/test_branding.py)",
    "branding.css": "public stylesheet of customer pages: crawled with the customer pages",
    "admin/dashboard/views/<int:view_id>/": "redirects to the page it saved (those are crawled)",
    "admin/dashboard/views/<int:view_id>/delete/": "POST-only action",
    "admin/triage/items/<int:item_id>/notes/": "POST-only action",
    "admin/triage/items/<int:item_id>/tags/": "POST-only action",
    "admin/triage/items/<int:item_id>/tags/<int:tag_id>/remove/": "POST-only action",
    "admin/triage/items/<int:item_id>/reply/": "POST-only action",
    "admin/voc/topics/<int:topic_id>/rename/": "POST-only action",
    "admin/voc/topics/<int:topic_id>/merge/": "POST-only action",
    "admin/voc/topics/<int:topic_id>/split/": "POST-only action",
    "admin/voc/items/move/": "POST-only action",
    "reports/actions/<int:action_id>/status/": "POST-only action",
    "admin/voc/analysis/": "POST-only action (starts an analysis run)",
    "admin/logout/": "logs the crawler out (POST-only in Django 5)",
    "admin/password_change/done/": "shown only after a password change",
    "admin/autocomplete/": "JSON for autocomplete widgets; needs app/model/field parameters",
    "admin/r/<path:content_type_id>/<path:object_id>/": "redirect to the object's public page",
    "admin/login/": "fetched by the login step itself",
    "accounts/sign-out-everywhere/": "POST-only action (ends every session of the user)",
    "accounts/sign-in-failed/": "shown only after a refused single sign-on (reason in the session)",
    "oidc/authenticate/": "redirects to the identity provider (tests/audit run a local one)",
    "oidc/callback/": "the identity provider's redirect back (tests/audit run a local one)",
}
EXCLUDED_PREFIXES = {
    "api/v1/": "the API: covered by schemathesis over /api/schema/ (tests/api)",
}
# Patterns whose parameter values are found on the pages: the crawler follows every link to them.
FOLLOWED = {"dashboard:panel-csv": r"^/admin/dashboard/csv/[-\w]+/"}
# Admin pages per model other than changelist/add/change/history/delete are listed by name.
ADMIN_OBJECT_PAGES = ("change", "history", "delete")


def seed() -> dict[str, object]:
    from engagement.customers.models import Customer
    from engagement.demo.services import ensure_demo_admin, seed_demo
    from engagement.reports.models import ImprovementAction, Report
    from engagement.reports.services import generate_report, request_report
    from surveys import services as survey_services
    from surveys import tokens
    from surveys.models import Invitation, Wave
    from surveys.services.design import create_template_survey, enable_public_link, open_survey
    from voc.models import FeedbackItem, Topic

    if not Customer.objects.exists():
        seed_demo(customers=40, seed=3)
        call_command("analyze_voc", verbosity=0)
    user, password = ensure_demo_admin(username="prodcheck")
    recovery_codes = _second_factor(user)
    now = timezone.now()
    wave = Wave.objects.order_by("-id").first() or Wave.objects.create(name="check")
    survey = create_template_survey(
        title="本番確認アンケート",
        brand_name="確認",
        wave=wave,
        slug=f"prodcheck-{now:%H%M%S%f}",
    )
    open_survey(survey=survey, now=now - timedelta(minutes=1))
    public_token = enable_public_link(survey=survey)
    # A store link with an allow-listed URL parameter (its QR codes and poster are crawled).
    from surveys.links import UrlParameter
    from surveys.services.links import create_public_link, link_token

    UrlParameter.objects.create(survey=survey, key="store", label="店舗")
    from surveys.links import Widget

    widget = Widget.objects.create(
        survey=survey, name="本番確認ウィジェット", allowed_origins=["https://shop.example.jp"]
    )
    store_link = create_public_link(
        survey=survey, name="本番確認店", source="store", source_value="prod"
    )
    customers = list(Customer.objects.filter(forgotten_at__isnull=True).order_by("id")[:3])
    links = survey_services.create_invitations(survey=survey, customers=customers, now=now)
    (fresh, fresh_token), (answered, answered_token), (_third, _third_token) = links
    survey_services.submit_response(
        survey=survey,
        invitation=answered,
        answers={
            "nps": 9,
            "reason_promoter": "店員さんの対応がとても丁寧でした。",
            **{
                key: 4
                for key in (
                    "aw_like",
                    "aw_satisfied",
                    "aw_devotion",
                    "aw_grateful",
                    "aw_would_miss",
                    "aw_support",
                    "aw_spread",
                    "aw_vision",
                )
            },
            "touchpoint": "store",
            "csat": 5,
        },
        now=now,
    )
    unsubscribe_token = tokens.make_token(
        Invitation.objects.get(id=_third.id).nonce, tokens.UNSUBSCRIBE
    )
    end = timezone.localdate(now)
    report = request_report(period_start=end - timedelta(days=365), period_end=end, actor=user)
    generate_report(report_id=report.id)
    action = ImprovementAction.objects.create(title="本番確認の改善施策")
    topic = Topic.objects.order_by("id").first()
    if topic is not None:
        action.topics.add(topic)
    params = {
        "pk": Customer.objects.order_by("id").values_list("id", flat=True).first(),
        "topic_id": topic.id if topic else None,
        "report_id": Report.objects.filter(id=report.id).values_list("id", flat=True).first(),
        "action_id": action.id,
        "survey": survey.id,
        "item_id": FeedbackItem.objects.order_by("id").values_list("id", flat=True).first(),
    }
    customer_urls = [
        reverse("surveys:personal", args=[fresh_token]),
        reverse("surveys:personal", args=[answered_token]),  # "already answered"
        reverse("surveys:personal-thanks", args=[answered_token]),
        reverse("surveys:public", args=[public_token]),
        reverse("surveys:public", args=[link_token(store_link)]) + "?store=prod",
        reverse("surveys:widget", args=[tokens.make_token(widget.nonce, tokens.WIDGET)]),
        reverse("surveys:unsubscribe", args=[unsubscribe_token]),
        reverse("surveys:personal", args=[fresh_token]) + "?lang=en",
        reverse("branding-css"),
    ]
    del fresh
    return {
        "password": password,
        "username": user.get_username(),
        "recovery_codes": recovery_codes,
        "params": params,
        "customer": customer_urls,
    }


def _second_factor(user: Any) -> list[str]:
    """Administrators sign in with a second factor in production: the crawler's administrator
    has an authenticator enrolled and signs in with recovery codes (each works once)."""
    import secrets

    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.get_or_create(user=user, name="prodcheck", defaults={"confirmed": True})
    recovery, _created = StaticDevice.objects.get_or_create(
        user=user, name="prodcheck-recovery", defaults={"confirmed": True}
    )
    recovery.token_set.all().delete()
    codes = [f"pc{secrets.token_hex(5)}" for _ in range(20)]
    StaticToken.objects.bulk_create([StaticToken(device=recovery, token=c) for c in codes])
    return codes


def walk(patterns: list, prefix: str = "", namespace: str = "") -> list[tuple[str, str, str]]:
    out = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            space = namespace
            if pattern.namespace:
                space = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            out += walk(pattern.url_patterns, prefix + str(pattern.pattern), space)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            out.append((prefix + str(pattern.pattern), name or "", namespace))
    return out


def admin_urls() -> list[str]:
    """Changelist and add page of every registered model, and the change, history and delete
    pages of its first object (what a superuser can open)."""
    superuser = get_user_model().objects.filter(is_superuser=True).order_by("id").first()
    request = RequestFactory().get("/admin/")
    request.user = superuser
    urls = [reverse("admin:index")]
    for model, model_admin in sorted(
        admin.site._registry.items(), key=lambda item: item[0]._meta.label
    ):
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        urls.append(reverse("admin:app_list", args=[model._meta.app_label]))
        if model_admin.has_add_permission(request):
            urls.append(reverse("admin:{}_{}_add".format(*info)))
        first = model_admin.get_queryset(request).order_by("pk").first()
        if first is not None:
            for page in ADMIN_OBJECT_PAGES:
                if page == "delete" and not model_admin.has_delete_permission(request, first):
                    continue
                urls.append(reverse(f"admin:{info[0]}_{info[1]}_{page}", args=[first.pk]))
    return list(dict.fromkeys(urls))


def discover(params: dict[str, object]) -> dict[str, object]:
    """Every staff URL to fetch (from the resolver and the admin registry), the exclusions with
    their reasons, and the link patterns to follow. Exits when a pattern cannot be filled."""
    params = dict(params)
    staff: list[str] = admin_urls()
    survey_id = params.pop("survey")
    excluded: dict[str, str] = {}
    unfilled: list[str] = []
    admin_generated = (
        "_changelist",
        "_add",
        "_change",
        "_history",
        "_delete",
        "admin:app_list",
        "admin:index",
    )
    for pattern, name, _namespace in walk(get_resolver().url_patterns):
        route = pattern.lstrip("^").rstrip("$")
        prefix = next((p for p in EXCLUDED_PREFIXES if route.startswith(p)), None)
        if prefix:
            excluded[prefix] = EXCLUDED_PREFIXES[prefix]
            continue
        if route in EXCLUDED:
            excluded[route] = EXCLUDED[route]
            continue
        if name.startswith("surveys:"):
            continue  # customer pages: the seeded links
        if name.startswith("admin:") and name.endswith(admin_generated):
            continue  # covered by admin_urls()
        if name.startswith("admin:") and route.startswith("admin/") and "<" in route:
            # Per-object admin extras (progress JSON, links CSV, QR…): first object of the model.
            staff_url = _survey_builder_url(name, survey_id) or _admin_extra(
                name, {"surveys.survey": survey_id}
            )
            if staff_url:
                staff.append(staff_url)
            else:
                excluded[route] = "admin page for an object this small seed does not have"
            continue
        if not name and route.startswith("admin/") and route.endswith("<path:object_id>/"):
            excluded["admin/<model>/<path:object_id>/"] = "redirects to the change page (crawled)"
            continue
        if not name and route.startswith("admin/(?P<url>"):
            excluded[route] = "the admin's catch-all: 404 for unknown admin URLs"
            continue
        if not name:
            unfilled.append(route)
            continue
        kwargs = _kwargs(route, name, params)
        if kwargs is None:
            unfilled.append(route)
            continue
        for each in kwargs:
            staff.append(reverse(name, kwargs=each))
    if unfilled:
        raise SystemExit(f"patterns with parameters the crawler cannot fill: {unfilled}")
    return {
        "staff": list(dict.fromkeys(staff)),
        "excluded": excluded,
        "follow": list(FOLLOWED.values()),
    }


def main() -> None:
    data = seed()
    data.update(discover(data.pop("params")))
    print(json.dumps(data, ensure_ascii=False))


def _kwargs(route: str, name: str, params: dict[str, object]) -> list[dict[str, object]] | None:
    import re

    names = re.findall(r"<(?:\w+:)?(\w+)>", route)
    if not names:
        return [{}]
    if name in FOLLOWED:
        return []  # the crawler follows the links to it found on the pages
    values: dict[str, list[object]] = {}
    for key in names:
        if key == "fmt":
            values[key] = ["csv", "xlsx"]
        elif params.get(key) is not None:
            values[key] = [params[key]]
        else:
            return None
    combos: list[dict[str, object]] = [{}]
    for key, options in values.items():
        combos = [{**combo, key: option} for combo in combos for option in options]
    return combos


def _survey_builder_url(name: str, survey_id: object) -> str | None:
    """The builder's question and page forms: the seeded survey's first question and page."""
    from surveys.models import Page, Question

    if name == "admin:surveys_survey_question":
        first = Question.objects.filter(survey_id=survey_id).order_by("id").first()
        return reverse(name, args=[survey_id, first.id]) if first else None
    if name == "admin:surveys_survey_page":
        first = Page.objects.filter(survey_id=survey_id).order_by("id").first()
        return reverse(name, args=[survey_id, first.id]) if first else None
    return None


def _admin_extra(name: str, chosen: dict[str, object]) -> str | None:
    """The URL ``name`` for the first object of its model (or the one in ``chosen``)."""
    from django.apps import apps

    label = name.split(":", 1)[1]
    for model in apps.get_models():
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if label.startswith(prefix):
            first = chosen.get(model._meta.label_lower) or (
                model._default_manager.order_by("pk").values_list("pk", flat=True).first()
            )
            if first is None:
                return None
            try:
                return reverse(name, args=[first])
            except Exception:
                return None
    return None


if __name__ == "__main__":
    main()
