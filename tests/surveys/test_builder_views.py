"""Customer pages with the builder's question kinds: each widget drawn accessibly, tampered or
incomplete pages sent back with Japanese errors and nothing stored (and nothing stored twice),
closing after N answers with a polite page; the builder's staff pages."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.utils import timezone

from engagement.platform.errors import InvalidInput
from surveys import services
from surveys.builder import services as builder
from surveys.models import Answer, QuestionKind, Response, ResponseStatus, Survey

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.surveys.urls")]


@pytest.fixture(autouse=True)
def _fresh_cache():
    caches["default"].clear()


def _q(survey, page, key, kind, *, choices=(), required=True, **settings):
    return builder.save_question(
        survey=survey,
        page=page,
        question=None,
        fields={
            "key": key,
            "kind": kind,
            "text": f"{key}の質問",
            "required": required,
            "settings": settings,
        },
        choices=list(choices),
        now=timezone.now(),
    )


@pytest.fixture
def kinds_survey(wave):
    survey = Survey.objects.create(title="種類テスト", slug="kinds", brand_name="さくら", wave=wave)
    page = builder.add_page(survey=survey, title="いろいろ")
    _q(survey, page, "ces", QuestionKind.CES)
    _q(survey, page, "likert", QuestionKind.LIKERT, points=7)
    _q(
        survey,
        page,
        "mx",
        QuestionKind.MATRIX,
        points=5,
        rows=[{"value": "price", "label": "価格"}, {"value": "taste", "label": "味"}],
    )
    _q(
        survey,
        page,
        "pick",
        QuestionKind.DROPDOWN,
        choices=[("a", "A店"), ("b", "B店")],
        other=True,
    )
    _q(
        survey,
        page,
        "many",
        QuestionKind.MULTIPLE_CHOICE,
        choices=[("x", "エックス"), ("y", "ワイ")],
        other=True,
        required=False,
    )
    _q(
        survey,
        page,
        "rank",
        QuestionKind.RANKING,
        choices=[("p", "価格"), ("q", "品質"), ("s", "接客")],
    )
    _q(survey, page, "age", QuestionKind.NUMBER, min=18, max=99)
    _q(survey, page, "visit", QuestionKind.DATE)
    _q(survey, page, "note", QuestionKind.SHORT_TEXT, required=False)
    services.open_survey(survey=survey)
    return survey


VALID = {
    "page": "1",
    "action": "next",
    "q-ces": "6",
    "q-likert": "7",
    "q-mx-price": "2",
    "q-mx-taste": "5",
    "q-pick": "other",
    "q-pick-other": "C店（駅前）",
    "q-many": ["x", "other"],
    "q-many-other": "ゼット",
    "q-rank-p": "2",
    "q-rank-q": "1",
    "q-rank-s": "3",
    "q-age": "42",
    "q-visit": "2026-11-03",
}


@pytest.fixture
def link(kinds_survey, customer):
    [(_invitation, token)] = services.create_invitations(
        survey=kinds_survey, customers=[customer], now=timezone.now()
    )
    return f"/s/{token}/"


def test_widgets_are_drawn_as_accessible_controls(client, link):
    html = client.get(link).content.decode()
    # CES: 7 radios; Likert 7 points; the matrix is one radio group per statement.
    assert html.count('name="q-ces"') == 7 and html.count('name="q-likert"') == 7
    assert html.count('role="radiogroup"') == 2
    assert '<legend class="matrix-statement">価格</legend>' in html
    assert '<select id="q-pick" name="q-pick"' in html and "その他" in html
    assert 'id="q-pick-other"' in html and 'id="q-many-other"' in html
    assert html.count('<select id="q-rank-') == 3
    assert 'type="number" id="q-age"' in html and 'min="18"' in html and 'max="99"' in html
    assert 'type="date" id="q-visit"' in html


def test_skipped_required_questions_come_back_in_japanese_and_nothing_is_stored(client, link):
    r = client.post(link, {"page": "1", "action": "next", "q-ces": "6"}, HTTP_ACCEPT_LANGUAGE="ja")
    html = r.content.decode()
    assert r.status_code == 200
    assert "すべての項目にお答えください。" in html  # matrix
    assert "すべての項目に順位をお選びください。" in html  # ranking
    assert html.count("この質問にお答えください。") >= 4  # likert, dropdown, number, date
    assert 'value="6" checked' in html  # what was given is kept
    assert not Answer.objects.exists() and not Response.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"q-pick": "hack"}, "選択肢の中からお選びください。"),
        ({"q-mx-price": "9"}, "選択肢の中からお選びください。"),
        ({"q-rank-s": "1"}, "項目ごとに異なる順位をお選びください。"),
        ({"q-age": "7"}, "18から99までの整数でご記入ください。"),
        ({"q-visit": "2026-13-45"}, "2026-04-01のような形式で日付をご記入ください。"),
        ({"q-pick-other": ""}, "「その他」の内容をご記入ください。"),
        ({"q-ces": "8"}, "選択肢の中からお選びください。"),
    ],
)
def test_tampered_pages_come_back_with_the_error(client, link, change, message):
    r = client.post(link, {**VALID, **change})
    assert r.status_code == 200
    assert message in r.content.decode()
    assert not Answer.objects.exists()


def test_valid_page_is_stored_once_and_a_second_send_is_refused(client, link, kinds_survey):
    r = client.post(link, VALID)
    assert r.status_code == 303
    response = Response.objects.get(survey=kinds_survey)
    assert response.status == ResponseStatus.COMPLETED
    got = {a.question.key: a for a in response.answers.select_related("question")}
    assert got["mx"].choices == {"price": 2, "taste": 5}
    assert got["rank"].choices == ["q", "p", "s"]
    assert got["pick"].choices == ["other"] and got["pick"].text == "C店（駅前）"
    assert got["many"].choices == ["x", "other"] and got["many"].text == "ゼット"
    assert got["age"].number == 42 and got["visit"].text == "2026-11-03"
    assert got["ces"].number == 6 and got["likert"].number == 7
    count = Answer.objects.count()
    again = client.post(link, VALID)
    assert again.status_code == 409
    assert Answer.objects.count() == count and Response.objects.count() == 1


def test_survey_closes_after_n_answers_with_a_polite_page(client, kinds_survey, customer):
    from engagement.customers.models import Customer

    kinds_survey.max_responses = 1
    kinds_survey.save()
    other = Customer.objects.create(external_id="C-002", email="taro@example.jp")
    links = [
        f"/s/{token}/"
        for _i, token in services.create_invitations(
            survey=kinds_survey, customers=[customer, other], now=timezone.now()
        )
    ]
    assert client.post(links[0], VALID).status_code == 303
    kinds_survey.refresh_from_db()
    assert kinds_survey.status == "closed"
    closed = client.get(links[1])
    assert closed.status_code == 410
    assert "終了" in closed.content.decode()


def test_a_survey_failing_validation_cannot_be_opened(wave):
    survey = Survey.objects.create(title="未完成", slug="broken", brand_name="さくら", wave=wave)
    page = builder.add_page(survey=survey)
    _q(survey, page, "pick", QuestionKind.SINGLE_CHOICE)  # no options yet
    with pytest.raises(InvalidInput) as exc:
        services.open_survey(survey=survey)
    assert "pick" in exc.value.message
    survey.refresh_from_db()
    assert survey.status == "draft"


def test_builder_pages_for_staff(admin_client, kinds_survey):
    base = f"/admin/surveys/survey/{kinds_survey.pk}"
    page = kinds_survey.pages.get()
    html = admin_client.get(f"{base}/builder/").content.decode()
    assert "surveys/builder.js" in html and "<script>" not in html  # no inline script (CSP)
    assert "上へ" in html and "下へ" in html
    assert admin_client.get(f"{base}/builder/questions/add/?page={page.id}").status_code == 200
    assert admin_client.get(f"{base}/builder/pages/{page.id}/").status_code == 200
    preview = admin_client.get(f"{base}/preview/?page=1&size=phone").content.decode()
    assert "preview-phone" in preview and 'name="q-ces"' in preview
    # Reorder by JSON (the drag path): ranking first.
    ids = list(page.questions.order_by("position").values_list("id", flat=True))
    new = [ids[5], *ids[:5], *ids[6:]]
    r = admin_client.post(
        f"{base}/builder/",
        {"order": [{"page": page.id, "questions": new}]},
        content_type="application/json",
    )
    assert r.status_code == 200
    assert list(page.questions.order_by("position").values_list("id", flat=True)) == new
    bad = admin_client.post(f"{base}/builder/", "not json", content_type="application/json")
    assert bad.status_code == 400


def test_a_branch_ends_the_survey_early_and_a_url_parameter_shows_a_page(client, wave, customer):
    survey = Survey.objects.create(
        title="早期終了", slug="end-early", brand_name="さくら", wave=wave
    )
    first = builder.add_page(survey=survey)
    second = builder.add_page(survey=survey)
    third = builder.add_page(survey=survey)
    _q(
        survey,
        first,
        "member",
        QuestionKind.SINGLE_CHOICE,
        choices=[("yes", "はい"), ("no", "いいえ")],
    )
    _q(survey, second, "why", QuestionKind.SHORT_TEXT)
    _q(survey, third, "store", QuestionKind.SHORT_TEXT)
    builder.update_page(
        page=first,
        title="",
        show_if={},
        jumps=[{"if": {"question": "member", "choice": ["no"]}, "goto": "end"}],
    )
    builder.update_page(
        page=third, title="", show_if={"param": "src", "equals": ["store"]}, jumps=[]
    )
    services.open_survey(survey=survey)
    from engagement.customers.models import Customer

    other = Customer.objects.create(external_id="C-009", email="jiro@example.jp")
    (_a, token_a), (_b, token_b) = services.create_invitations(
        survey=survey, customers=[customer, other], now=timezone.now()
    )
    # "No": the survey ends after page 1; the button says so.
    r = client.post(f"/s/{token_a}/", {"page": "1", "action": "next", "q-member": "no"})
    assert r.status_code == 303 and r["Location"].endswith("/thanks/")
    done = Response.objects.get(invitation__customer=customer)
    assert done.status == ResponseStatus.COMPLETED and done.answers.count() == 1
    # "Yes" with ?src=store: pages 2 and 3; the parameter rides on the form's address.
    html = client.get(f"/s/{token_b}/?src=store").content.decode()
    assert f'action="/s/{token_b}/?src=store"' in html
    r = client.post(f"/s/{token_b}/?src=store", {"page": "1", "action": "next", "q-member": "yes"})
    assert r.status_code == 303 and not r["Location"].endswith("/thanks/")
    r = client.post(f"/s/{token_b}/", {"page": "2", "action": "next", "q-why": "便利"})
    assert r.status_code == 303 and not r["Location"].endswith("/thanks/")
    assert 'name="q-store"' in client.get(f"/s/{token_b}/").content.decode()  # page 3 shown
    r = client.post(f"/s/{token_b}/", {"page": "3", "action": "next", "q-store": "渋谷店"})
    assert r["Location"].endswith("/thanks/")
    answered = Response.objects.get(invitation__customer=other)
    assert answered.url_params == {"src": "store"} and answered.answers.count() == 3


def test_question_and_page_forms_save_through_the_builder(admin_client, kinds_survey):
    base = f"/admin/surveys/survey/{kinds_survey.pk}/builder"
    first = kinds_survey.pages.get()
    page = builder.add_page(survey=kinds_survey, title="続き")
    # On the same page as the question it depends on: refused, said once.
    same = admin_client.post(
        f"{base}/questions/add/",
        {
            "page": first.id,
            "kind": "short_text",
            "key": "early",
            "text": "x",
            "points": "5",
            "c_question": "age",
            "c_min": "1",
        },
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert same.content.decode().count("後にある質問「age」") == 1
    assert not kinds_survey.questions.filter(key="early").exists()
    r = admin_client.post(
        f"{base}/questions/add/",
        {
            "page": page.id,
            "kind": "single_choice",
            "key": "again",
            "text": "また利用したいですか。",
            "text_en": "Would you use us again?",
            "help_text": "",
            "options": "y|はい\nn|いいえ",
            "other": "on",
            "points": "5",
            "c_question": "age",
            "c_min": "20",
            "c_max": "39",
        },
    )
    assert r.status_code == 302
    q = kinds_survey.questions.get(key="again")
    assert q.text_en == "Would you use us again?" and q.required is False
    assert q.show_if == {"question": "age", "min": 20, "max": 39}
    assert q.settings == {"other": True}
    assert list(q.choices.values_list("value", "label")) == [("y", "はい"), ("n", "いいえ")]
    # A condition without what the answer must be: the form says so (Japanese), nothing saved.
    r = admin_client.post(
        f"{base}/questions/{q.id}/",
        {
            "page": page.id,
            "kind": "single_choice",
            "key": "again",
            "text": "x",
            "points": "5",
            "options": "y|はい\nn|いいえ",
            "c_question": "age",
        },
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert r.status_code == 200
    assert "回答の条件" in r.content.decode()
    q.refresh_from_db()
    assert q.text == "また利用したいですか。"
    # Page: English title and an "end" branch.
    r = admin_client.post(
        f"{base}/pages/{page.id}/",
        {
            "title": "いろいろ",
            "title_en": "Various",
            "j1_question": "again",
            "j1_choice": "n",
            "j1_goto": "end",
        },
    )
    assert r.status_code == 302
    page.refresh_from_db()
    assert page.title_en == "Various"
    assert page.jumps == [{"if": {"question": "again", "choice": ["n"]}, "goto": "end"}]


def test_with_answers_a_matrix_keeps_its_statements_and_a_scale_its_points(
    client, link, kinds_survey
):
    from engagement.platform.errors import Conflict

    assert client.post(link, VALID).status_code in (302, 303)
    matrix = kinds_survey.questions.get(key="mx")
    likert = kinds_survey.questions.get(key="likert")

    def save(question, **settings):
        return builder.save_question(
            survey=kinds_survey,
            page=question.page,
            question=question,
            fields={"text": question.text, "settings": settings},
            choices=[],
            now=timezone.now(),
        )

    with pytest.raises(Conflict) as refused:
        save(matrix, points=5, rows=[{"value": "price", "label": "価格"}])  # "taste" dropped
    assert "回答" in refused.value.message
    with pytest.raises(Conflict):
        save(likert, points=5)  # was 7
    # rewording a statement (and adding its English) is fine: answers refer to the value
    save(
        matrix,
        points=5,
        rows=[
            {"value": "price", "label": "お値段", "label_en": "Price"},
            {"value": "taste", "label": "味"},
        ],
    )
    matrix.refresh_from_db()
    assert matrix.matrix_rows()[0]["label"] == "お値段"
    assert Answer.objects.get(question=matrix).choices == {"price": 2, "taste": 5}
