"""Coding rules (KH Coder-style codes): parsing with precedence and Japanese errors, matching by
whole word and phrase, the frequency table by segment, correspondence analysis, the page."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django.utils.translation import override

from voc.coding import (
    And,
    CodingRuleError,
    Not,
    Or,
    Phrase,
    Word,
    correspondence_analysis,
    frequency_table,
    item_terms,
    matches,
    parse_expression,
    split_definition,
)
from voc.models import CodingRule, FeedbackItem
from voc.services import analyze_items
from voc.tokenize import tokenize

# Words are tokenised with the user dictionary (a database read).
pytestmark = pytest.mark.django_db


def _has(expression: str, text: str) -> bool:
    from voc.normalize import normalize_text
    from voc.selectors import current_lexicon, keyword_tokens

    # Rule words and item text both through the user dictionary (seeded synonyms included).
    rule = parse_expression(expression, tokenizer=keyword_tokens)
    return matches(rule, item_terms(tokenize(text, current_lexicon())), normalize_text(text))


def test_precedence_not_binds_tightest_then_and_then_or():
    node = parse_expression("高い | 値段 | 料金 & !安い")
    assert isinstance(node, Or)
    assert node.operands[0] == Word(("高い",), "高い")
    assert node.operands[1] == Word(("値段",), "値段")
    third = node.operands[2]
    assert isinstance(third, And)
    assert third.operands[0] == Word(("料金",), "料金")
    assert isinstance(third.operands[1], Not)
    grouped = parse_expression("(高い | 値段) & !安い")
    assert isinstance(grouped, And) and isinstance(grouped.operands[0], Or)


def test_definition_line_and_full_width_operators():
    assert split_definition("*価格: 高い | 値段") == ("価格", "高い | 値段")
    assert isinstance(parse_expression("*価格： 高い｜値段＆！安い"), Or)
    assert parse_expression('"ポイント還元"') == Phrase("ポイント還元")


def test_matching_is_by_whole_word_and_phrase():
    from voc.models import UserDictionaryEntry
    from voc.selectors import _lexicon_cache

    # The words as written: with the shipped synonyms (料金, 値段 → 価格) the rule's 値段 would
    # match 料金 too, by design.
    UserDictionaryEntry.objects.all().delete()
    _lexicon_cache.clear()
    rule = "高い | 値段 | 料金 & !安い"
    assert _has(rule, "月額が高かった")  # 高かった → 高い
    assert _has(rule, "料金プランがわかりにくい") is False  # 料金プラン is another word
    assert _has(rule, "料金が分かりにくい")
    assert not _has(rule, "料金が安くて助かる")
    assert _has("レジ", "レジが混んでいた")
    assert not _has("レジ", "クレジットカードが使えない")
    assert _has('"ﾎﾟｲﾝﾄ還元"', "ポイント還元が遅い")  # phrases match the normalised text


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("", "空"),
        ("高い |", "語がありません"),
        ("(高い | 値段", "閉じていません"),
        ("高い)", "開き括弧"),
        ('"高い', "引用符"),
        ("高い 値段", "演算子"),
        ("& 高い", "語がありません"),
    ],
)
def test_bad_expressions_give_clear_japanese_errors(expression, fragment):
    with override("ja"), pytest.raises(CodingRuleError) as error:
        parse_expression(expression)
    assert fragment in error.value.message


@pytest.mark.django_db
def test_a_bad_rule_is_refused_on_save_with_the_message_on_the_field():
    rule = CodingRule(name="価格", expression="(高い | 値段")
    with override("ja"), pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert "閉じていません" in str(error.value.message_dict["expression"])
    with pytest.raises(CodingRuleError):
        rule.save()
    assert not CodingRule.objects.exists()


def test_frequency_table_counts_and_percentages_by_segment():
    codes = [("価格", parse_expression("高い | 値段")), ("接客", parse_expression("店員"))]
    items = [
        ("推奨者", frozenset({"店員", "親切"}), "店員が親切"),
        ("批判者", frozenset({"値段", "高い"}), "値段が高い"),
        ("批判者", frozenset({"高い"}), "高い"),
        ("批判者", frozenset({"店員", "遅い"}), "店員が遅い"),
    ]
    table = frequency_table(codes, items)
    assert [segment["name"] for segment in table["segments"]] == ["批判者", "推奨者"]
    price, staff = table["rows"]
    assert price["cells"] == [{"count": 2, "percent": 66.7}, {"count": 0, "percent": 0.0}]
    assert staff["cells"] == [{"count": 1, "percent": 33.3}, {"count": 1, "percent": 100.0}]
    assert price["total"] == {"count": 2, "percent": 50.0}


def test_correspondence_analysis_shape_and_known_structure():
    table = [[10, 0, 1], [0, 10, 1], [5, 5, 2], [1, 1, 8]]
    result = correspondence_analysis(table)
    assert np.array(result["rows"]).shape == (4, 2)
    assert np.array(result["columns"]).shape == (3, 2)
    assert result["inertia"][0] >= result["inertia"][1] > 0
    assert sum(result["inertia"]) <= 1.0 + 1e-9
    rows = np.array(result["rows"])
    # Rows 1 and 2 are opposite on the first axis; row 3 (even mix) lies between them.
    assert rows[0, 0] * rows[1, 0] < 0
    assert min(rows[0, 0], rows[1, 0]) < rows[2, 0] < max(rows[0, 0], rows[1, 0])
    # Total inertia is the table's chi-square / n.
    matrix = np.array(table, dtype=float)
    expected = np.outer(matrix.sum(1), matrix.sum(0)) / matrix.sum()
    chi2 = ((matrix - expected) ** 2 / expected).sum()
    assert result["total_inertia"] == pytest.approx(chi2 / matrix.sum(), rel=1e-3)
    assert correspondence_analysis([[1, 2]])["total_inertia"] == 0.0  # one row: no map


def _staff_client(*codenames: str) -> Client:
    user = User.objects.create_user("coder", password="pw", is_staff=True)
    # view_all_teams: the coding table covers every team's items (the one scope rule).
    user.user_permissions.set(
        Permission.objects.filter(codename__in=[*codenames, "view_all_teams"])
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def coded(db):
    now = timezone.now()
    texts = [
        ("値段が高い。店員は親切", "detractor", "本店"),
        ("料金が高くて不満", "detractor", "本店"),
        ("値段が高いし駐車場が狭い", "detractor", "駅前店"),
        ("店員さんが親切で満足", "promoter", "駅前店"),
        ("店員の笑顔が素敵で満足", "promoter", "駅前店"),
        ("料理が美味しくて満足", "promoter", "本店"),
        ("料理は普通。駐車場が狭い", "passive", "本店"),
        ("駐車場が狭いけど料理は美味しい", "passive", "駅前店"),
    ] * 2
    items = FeedbackItem.objects.bulk_create(
        [
            FeedbackItem(
                text=text,
                channel="survey",
                received_at=now,
                nps_category=band,
                attributes={"store": store},
            )
            for text, band, store in texts
        ]
    )
    analyze_items(item_ids=[item.id for item in items], assign=False)
    CodingRule.objects.create(name="価格", expression="高い | 値段 | 料金 & !安い")
    CodingRule.objects.create(name="接客", expression="店員 & 親切")
    CodingRule.objects.create(name="停止中", expression="料理", active=False)


def test_coding_page_renders_the_table_and_the_map_data(coded):
    client = _staff_client("view_feedbackitem")
    with override("ja"):
        response = client.get("/admin/voc/coding/?segment=nps")
    assert response.status_code == 200
    html = response.content.decode()
    assert "価格" in html and "接客" in html and "停止中" not in html.split("coding-table")[1]
    table = response.context["overview"]["table"]
    price = next(row for row in table["rows"] if row["code"] == "価格")
    by_segment = dict(zip([s["name"] for s in table["segments"]], price["cells"], strict=True))
    assert by_segment["批判者"] == {"count": 6, "percent": 100.0}
    assert by_segment["推奨者"]["count"] == 0
    data = json.loads(html.split('id="ca-data" type="application/json">')[1].split("</script>")[0])
    assert {point["label"] for point in data["segments"]} == {"推奨者", "中立者", "批判者"}
    assert any(point["label"] == "満足" for point in data["words"])
    assert all({"x", "y", "label"} <= set(point) for point in data["words"])
    assert 'src="/static/voc/ca_map.js"' in html
    assert "<script>" not in html  # data via json_script only, code in a static file
    by_store = client.get("/admin/voc/coding/?segment=store").context["overview"]["table"]
    assert {segment["name"] for segment in by_store["segments"]} == {"本店", "駅前店"}


def test_coding_csv_export_is_neutralised(coded):
    CodingRule.objects.create(name="=危険", expression="高い")
    client = _staff_client("view_feedbackitem")
    with override("ja"):
        response = client.get("/admin/voc/coding/?segment=nps&export=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "コード"
    assert any(row[0] == "'=危険" for row in rows)
    price = next(row for row in rows if row[0] == "価格")
    assert "6" in price and "100.0" in price


def test_coding_page_needs_the_exploration_permission(coded):
    assert _staff_client().get("/admin/voc/coding/").status_code == 403
    assert Client().get("/admin/voc/coding/").status_code == 302  # to the admin login
