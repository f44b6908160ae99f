from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from engagement.customers.models import Customer
from surveys import selectors, services
from surveys.models import Invitation, Response, Survey, Wave

from .conftest import FULL_ANSWERS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.surveys.urls")]


def _answer(survey, n_by_score, *, segment="", touchpoint="app", prefix="X"):
    customers = []
    for score, n in n_by_score.items():
        for i in range(n):
            customers.append(
                (
                    Customer.objects.create(external_id=f"{prefix}-{score}-{i}", segment=segment),
                    score,
                )
            )
    pairs = services.create_invitations(
        survey=survey, customers=[c for c, _ in customers], now=timezone.now()
    )
    for (invitation, _), (_, score) in zip(pairs, customers, strict=True):
        services.submit_response(
            survey=survey,
            invitation=invitation,
            answers={**FULL_ANSWERS, "nps": score, "touchpoint": touchpoint},
            now=timezone.now(),
        )


def test_nps_summary_distribution_rate_and_small_sample_flag(survey):
    _answer(survey, {10: 5, 9: 3, 8: 2, 5: 4, 0: 1}, segment="gold")
    extra = Customer.objects.create(external_id="not-answered")
    services.create_invitations(survey=survey, customers=[extra], now=timezone.now())
    qs = selectors.completed_responses(survey=survey)
    est = selectors.nps_summary(qs)
    assert (est.n, est.promoters, est.passives, est.detractors) == (15, 8, 2, 5)
    assert est.nps == pytest.approx(100 * 8 / 15 - 100 * 5 / 15)
    assert est.ci_low < est.nps < est.ci_high
    assert est.small_sample is True
    dist = selectors.score_distribution(qs)
    assert dist[10] == 5 and dist[0] == 1 and dist[7] == 0 and len(dist) == 11
    rate = selectors.response_rate(survey=survey)
    assert (rate.invited, rate.completed) == (16, 15)
    assert rate.rate == pytest.approx(15 / 16 * 100)
    assert selectors.nps_summary(selectors.completed_responses(segment="silver")).n == 0
    assert selectors.nps_summary(selectors.completed_responses(touchpoint="app")).n == 15
    aw = selectors.awareness_summary(qs)
    assert aw.awareness == pytest.approx(68.75) and aw.small_sample
    by_tp = selectors.nps_by_touchpoint(survey=survey)
    assert set(by_tp) == {"app"}


def test_wave_comparison_flags_significant_change(wave):
    later = Wave.objects.create(
        name="2027年上期", starts_on=dt.date(2027, 4, 1), ends_on=dt.date(2027, 9, 30)
    )
    s1 = services.create_template_survey(title="A", brand_name="B", wave=wave, slug="a")
    s2 = services.create_template_survey(title="B", brand_name="B", wave=later, slug="b")
    services.open_survey(survey=s1)
    services.open_survey(survey=s2)
    _answer(s1, {10: 10, 8: 10, 3: 20}, prefix="A")
    _answer(s2, {10: 25, 8: 10, 3: 5}, prefix="B")
    cmp = selectors.compare_waves(wave_a=wave, wave_b=later)
    assert cmp.a.nps == pytest.approx(-25) and cmp.b.nps == pytest.approx(50)
    assert cmp.nps_change.difference == pytest.approx(75)
    assert cmp.nps_change.significant and cmp.nps_change.p_value < 0.001
    assert not cmp.nps_change.small_sample


@pytest.fixture
def staff(db):
    user = User.objects.create_user("staff", password="x", is_staff=True)
    for codename in ["view_survey", "add_invitation", "view_response", "view_all_teams"]:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_lists_surveys_and_needs_permission(survey):
    anonymous = APIClient().get("/api/v1/surveys/")
    assert anonymous.status_code in (401, 403) and "error" in anonymous.json()
    nobody = User.objects.create_user("n", is_staff=True)
    c = APIClient()
    c.force_authenticate(nobody)
    assert c.get("/api/v1/surveys/").status_code == 403


def test_api_invitations_bulk_idempotent_and_responses_filter(staff, survey, customer):
    other = Customer.objects.create(external_id="C-002")
    listing = staff.get("/api/v1/surveys/").json()
    assert listing["results"][0]["slug"] == survey.slug
    url = f"/api/v1/surveys/{survey.slug}/invitations/"
    body = {"customer_external_ids": ["C-001", "C-002", "C-001"]}
    first = staff.post(url, body, format="json")
    assert first.status_code == 200
    again = staff.post(url, body, format="json")
    assert first.json() == again.json()
    assert Invitation.objects.filter(survey=survey).count() == 2
    links = {r["customer_external_id"]: r["url"] for r in first.json()["results"]}
    assert set(links) == {"C-001", "C-002"} and "/s/" in links["C-001"]
    bad = staff.post(url, {"customer_external_ids": ["C-001", "nope"]}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["customer_external_ids"] == ["nope"]
    assert staff.post("/api/v1/surveys/zzz/invitations/", body, format="json").status_code == 404

    invitation = Invitation.objects.get(customer=other)
    services.submit_response(
        survey=survey, invitation=invitation, answers=FULL_ANSWERS, now=timezone.now()
    )
    page = staff.get("/api/v1/responses/", {"survey": survey.slug}).json()
    assert page["count"] == 1
    item = page["results"][0]
    assert item["customer_external_id"] == "C-002" and item["nps_category"] == "promoter"
    assert {
        "question_key": "ideas",
        "number": None,
        "text": "ﾃｽﾄ　全角スペースも",
        "choices": [],
    } in item["answers"]
    future = (timezone.now() + timezone.timedelta(hours=1)).isoformat()
    assert staff.get("/api/v1/responses/", {"updated_since": future}).json()["count"] == 0
    assert staff.get("/api/v1/responses/", {"wave": survey.wave_id + 99}).json()["count"] == 0
    schema = staff.get("/api/schema/?format=json")
    paths = schema.json()["paths"] if schema.status_code == 200 else {}
    assert "/api/v1/responses/" in paths and "/api/v1/surveys/{slug}/invitations/" in paths


def test_export_command_writes_links_and_lists_surveys(survey, tmp_path, capsys):
    risky = Customer.objects.create(external_id='=HYPERLINK("x")')
    plain = Customer.objects.create(external_id="C-9")
    pairs = services.create_invitations(survey=survey, customers=[plain, risky], now=timezone.now())
    out = tmp_path / "links.csv"
    call_command("export_survey_links", "--survey", survey.slug, "--output", str(out))
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == ["customer_external_id", "url"]
    by_id = dict(rows[1:])
    assert by_id["C-9"].endswith(f"/s/{pairs[0][1]}/")
    assert by_id['\'=HYPERLINK("x")']  # formula neutralised
    call_command("export_survey_links")
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split("\t")[0] == survey.slug
    with pytest.raises(CommandError):
        call_command("export_survey_links", "--survey", "nope", "--output", str(out))


def test_admin_template_links_download_qr_and_refused_edit(client, survey, wave, customer):
    admin = User.objects.create_superuser("admin", "a@example.jp", "x")
    client.force_login(admin)
    listing = client.get("/admin/surveys/survey/")
    assert listing.status_code == 200 and "テンプレートから作成" in listing.content.decode()
    r = client.post(
        "/admin/surveys/survey/template/",
        {"title": "新アンケート", "slug": "new-one", "brand_name": "もみじ", "wave": wave.id},
    )
    assert r.status_code == 302
    from surveys.models import Survey

    created = Survey.objects.get(slug="new-one")
    assert created.questions.count() == 15
    dup = client.post(
        "/admin/surveys/survey/template/",
        {"title": "x", "slug": "new-one", "brand_name": "もみじ", "wave": wave.id},
    )
    assert "このスラッグのアンケートはすでにあります" in dup.content.decode()

    services.create_invitations(survey=survey, customers=[customer], now=timezone.now())
    csv_response = client.get(f"/admin/surveys/survey/{survey.id}/links.csv")
    assert csv_response.status_code == 200
    assert csv_response.content.decode("utf-8-sig").startswith("customer_external_id,url")
    services.enable_public_link(survey=survey)
    qr = client.get(f"/admin/surveys/survey/{survey.id}/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content
    png = client.get(f"/admin/surveys/survey/{survey.id}/qr.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png.content[16:20], "big")  # IHDR: (21 + 2 × 4 border) modules × 10
    assert width >= 290 and png["Content-Disposition"].endswith('-qr.png"')

    [(invitation, _)] = services.create_invitations(
        survey=survey, customers=[customer], now=timezone.now()
    )
    services.submit_response(
        survey=survey, invitation=invitation, answers=FULL_ANSWERS, now=timezone.now()
    )
    question = survey.questions.get(key="nps")
    page = client.get(f"/admin/surveys/question/{question.id}/change/")
    assert "すでに回答があります" in page.content.decode()
    assert Response.objects.count() == 1


def test_links_download_needs_permission(client, survey):
    user = User.objects.create_user("v", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_survey"))
    client.force_login(user)
    assert client.get(f"/admin/surveys/survey/{survey.id}/links.csv").status_code == 403


def test_copy_survey_for_next_wave_and_admin_results(client, survey, wave, customer):
    later = Wave.objects.create(
        name="2027年上期", starts_on=dt.date(2027, 4, 1), ends_on=dt.date(2027, 9, 30)
    )
    [(invitation, _)] = services.create_invitations(
        survey=survey, customers=[customer], now=timezone.now()
    )
    services.submit_response(
        survey=survey, invitation=invitation, answers=FULL_ANSWERS, now=timezone.now()
    )
    admin = User.objects.create_superuser("admin", "a@example.jp", "x")
    client.force_login(admin)
    page = client.get(f"/admin/surveys/survey/{survey.id}/change/").content.decode()
    assert "NPS 100.0" in page and "参考値（n=1）" in page  # one answer: a reference value
    r = client.post(
        f"/admin/surveys/survey/{survey.id}/copy/",
        {"title": "次回", "slug": "next-wave", "wave": later.id},
    )
    assert r.status_code == 302
    copy = Survey.objects.get(slug="next-wave")
    assert copy.status == "draft" and copy.wave == later
    assert list(copy.questions.values_list("key", flat=True).order_by("key")) == list(
        survey.questions.values_list("key", flat=True).order_by("key")
    )
    assert copy.questions.get(key="reason_promoter").show_if["nps_category"] == "promoter"
    assert copy.questions.get(key="touchpoint").choices.count() == 6
    assert copy.pages.count() == 5
