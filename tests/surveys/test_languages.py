"""Language versions: Japanese always, others per survey; the customer's language from their
record, the link or Accept-Language; answers of every version analysed together."""

from __future__ import annotations

import pytest
from django.utils import timezone

from surveys import languages
from surveys.models import Response

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.surveys.urls")]

EN_NPS = "How likely is it that you would recommend さくらカフェ to a friend or colleague?"
JA_NPS = "さくらカフェを友人や同僚にすすめる可能性"


def link(survey, customer) -> str:
    from surveys import services

    [(_invitation, token)] = services.create_invitations(
        survey=survey, customers=[customer], now=timezone.now()
    )
    return f"/s/{token}/"


def with_english(survey):
    survey.other_languages = ["en", "xx", "en"]
    survey.save(update_fields=["other_languages"])
    return survey


def test_offered_versions_and_accept_language() -> None:
    class S:
        other_languages = ["en", "xx", "ja", "en"]

    assert languages.offered(S()) == ["ja", "en"]
    assert languages.from_accept_language("fr-FR,en-US;q=0.8,ja;q=0.5", ["ja", "en"]) == "en"
    assert languages.from_accept_language("fr-FR,de;q=0.8", ["ja", "en"]) is None
    assert languages.from_accept_language("en-GB", ["ja"]) is None


def test_customer_record_chooses_the_english_version(client, survey, customer) -> None:
    customer.attributes = {"language": "en"}
    customer.save()
    url = link(with_english(survey), customer)
    html = client.get(url).content.decode()
    assert '<html lang="en">' in html and EN_NPS in html and JA_NPS not in html
    client.post(url, {"page": "1", "action": "next", "q-nps": "9"})
    assert Response.objects.get().language == "en"


def test_no_english_version_means_japanese_whatever_the_record(client, survey, customer) -> None:
    assert survey.other_languages == ["en"]  # the template survey has English texts
    survey.other_languages = []
    survey.save(update_fields=["other_languages"])
    customer.attributes = {"language": "en"}
    customer.save()
    url = link(survey, customer)
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ja">' in html and JA_NPS in html
    assert 'hreflang="en"' not in html  # no link to a version the survey does not have


def test_accept_language_and_the_link_choose_the_version(client, survey, customer) -> None:
    url = link(with_english(survey), customer)
    assert EN_NPS in client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert JA_NPS in client.get(url, HTTP_ACCEPT_LANGUAGE="fr,ja;q=0.5").content.decode()
    # the link's ?lang=ja is remembered and wins over the browser and the record
    customer.attributes = {"language": "en"}
    customer.save()
    assert client.get(url + "?lang=ja").status_code == 303
    assert JA_NPS in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_answers_of_both_versions_are_analysed_together(
    survey, customer, django_user_model
) -> None:
    from engagement.customers.models import Customer
    from engagement.dashboard.analysis import crosstab
    from surveys import services
    from surveys.filters import AnalysisFilters

    with_english(survey)
    other = Customer.objects.create(external_id="C-002", attributes={"language": "en"})
    for person, language, score in ((customer, "ja", 9), (other, "en", 3)):
        [(invitation, _token)] = services.create_invitations(
            survey=survey, customers=[person], now=timezone.now()
        )
        response = services.start_response(
            survey=survey, invitation=invitation, now=timezone.now(), language=language
        )
        services.save_answers(response=response, values={"nps": score}, now=timezone.now())
    Response.objects.update(status="completed", submitted_at=timezone.now(), nps_category="")
    user = django_user_model.objects.create_superuser(username="boss", password="pw-1234567")
    table = crosstab.crosstab(
        rows="q:nps", columns="language", filters=AnalysisFilters(), user=user
    )
    assert [label for _v, label in table.column_values] == ["日本語", "英語"]
    assert table.row_totals == [1, 1] and table.total == 2


def test_option_labels_in_english_from_the_builder_to_the_customer_page(
    admin_client, client, wave, django_user_model
) -> None:
    """Choices, matrix statements and scale end labels given in English in the builder are what
    an English-version customer sees; answers are stored by option key, so both versions are
    counted together."""
    from engagement.customers.models import Customer
    from engagement.dashboard.analysis import crosstab
    from surveys.builder import services as builder
    from surveys.filters import AnalysisFilters
    from surveys.models import Answer, Survey
    from surveys.services.design import open_survey

    survey = Survey.objects.create(
        title="言語テスト", slug="lang", brand_name="さくら", wave=wave, other_languages=["en"]
    )
    page = builder.add_page(survey=survey, title="ご利用について")
    base = f"/admin/surveys/survey/{survey.pk}/builder/questions/add/"
    common = {"page": page.id, "points": "5", "required": "on"}
    posted = [
        {
            "kind": "single_choice",
            "key": "store",
            "text": "ご利用の店舗",
            "text_en": "Which store?",
            "options": "shibuya|渋谷店|Shibuya\nueno|上野店|Ueno",
        },
        {
            "kind": "matrix",
            "key": "parts",
            "text": "各項目の評価",
            "text_en": "Rate each",
            "rows": "staff|スタッフの対応|Our staff\nprice|価格|Prices",
            "low_label": "全くそう思わない",
            "high_label": "とてもそう思う",
            "low_label_en": "Not at all",
            "high_label_en": "Absolutely",
        },
        {
            "kind": "ces",
            "key": "effort",
            "text": "手続きは簡単でしたか",
            "text_en": "Was it easy?",
            "low_label": "とても大変",
            "high_label": "とても簡単",
            "low_label_en": "Very hard",
            "high_label_en": "Effortless",
        },
    ]
    for fields in posted:
        assert admin_client.post(base, {**common, **fields}).status_code == 302
    store = survey.questions.get(key="store")
    assert list(store.choices.values_list("value", "label", "label_en")) == [
        ("shibuya", "渋谷店", "Shibuya"),
        ("ueno", "上野店", "Ueno"),
    ]
    edit = admin_client.get(f"/admin/surveys/survey/{survey.pk}/builder/questions/{store.id}/")
    assert "shibuya|渋谷店|Shibuya" in edit.content.decode()  # shown back as entered
    open_survey(survey=survey)

    english = Customer.objects.create(external_id="C-EN", attributes={"language": "en"})
    japanese = Customer.objects.create(external_id="C-JA")
    html = client.get(link(survey, english)).content.decode()
    assert '<html lang="en">' in html
    for text in ("Shibuya", "Ueno", "Our staff", "Prices", "Not at all", "Absolutely"):
        assert text in html
    assert "Very hard" in html and "Effortless" in html
    assert "渋谷店" not in html and "スタッフの対応" not in html and "とても簡単" not in html
    answers = {
        "page": "1",
        "action": "next",
        "q-store": "ueno",
        "q-parts-staff": "5",
        "q-parts-price": "2",
        "q-effort": "7",
    }
    page_ja = client.get(link(survey, japanese), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "渋谷店" in page_ja and "スタッフの対応" in page_ja and "とても大変" in page_ja
    assert "Shibuya" not in page_ja and "Our staff" not in page_ja
    for person, language in ((english, "en"), (japanese, "ja")):
        client.cookies.clear()
        url = link(survey, person)  # the same personal link again (idempotent)
        assert client.get(url, HTTP_ACCEPT_LANGUAGE=language).status_code == 200
        assert client.post(url, answers, HTTP_ACCEPT_LANGUAGE=language).status_code in (302, 303)
    stored = Answer.objects.filter(question=store).order_by("response__language")
    assert [(a.response.language, a.choices) for a in stored] == [
        ("en", ["ueno"]),
        ("ja", ["ueno"]),
    ]
    matrix = Answer.objects.filter(question__key="parts").values_list("choices", flat=True)
    assert list(matrix) == [{"staff": 5, "price": 2}] * 2
    user = django_user_model.objects.create_superuser(username="boss", password="pw-1234567")
    table = crosstab.crosstab(
        rows="q:store", columns="language", filters=AnalysisFilters(), user=user
    )
    assert table.row_values == [("ueno", "上野店")]
    assert table.row_totals == [2]
