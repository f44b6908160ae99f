"""Keyword search by token (解約 finds 解約したい), KWIC and co-occurrence."""

from __future__ import annotations

import pytest
from django.utils import timezone

from voc.models import FeedbackItem
from voc.selectors import co_occurrence, filter_by_keyword, keyword_in_context
from voc.services import analyze_items, save_dictionary_entry


def _items(*texts):
    now = timezone.now()
    items = [FeedbackItem.objects.create(text=t, channel="support", received_at=now) for t in texts]
    analyze_items(item_ids=[item.id for item in items], assign=False)
    return items


@pytest.mark.django_db
def test_keyword_matches_tokens_not_substrings():
    wants, cannot, usable, hard, other = _items(
        "定期便を解約したいです",
        "解約できないのですが",
        "アプリが使いやすい",
        "アプリが使いにくい",
        "配送が遅い",
    )
    base = FeedbackItem.objects.all()
    assert set(filter_by_keyword(base, "解約")) == {wants, cannot}
    assert set(filter_by_keyword(base, "使いにくい")) == {hard}
    assert set(filter_by_keyword(base, "使いやすい")) == {usable}
    assert set(filter_by_keyword(base, "ｱﾌﾟﾘ")) == {usable, hard}
    assert list(filter_by_keyword(base, "アプリ 使いにくい")) == [hard]
    assert set(filter_by_keyword(base, "")) == set(base)
    # No content token: plain text match.
    assert list(filter_by_keyword(base, "が")) != []
    assert other not in filter_by_keyword(base, "解約")


@pytest.mark.django_db
def test_user_dictionary_change_applies_to_search_and_retokenises(
    django_capture_on_commit_callbacks,
):
    from voc.models import UserDictionaryEntry
    from voc.selectors import _lexicon_cache

    UserDictionaryEntry.objects.filter(term="退会").delete()  # shipped list (migration 0007)
    _lexicon_cache.clear()
    (item,) = _items("退会したい")
    assert not filter_by_keyword(FeedbackItem.objects.all(), "解約").exists()
    with django_capture_on_commit_callbacks(execute=True):
        save_dictionary_entry(term="退会", kind="synonym", canonical="解約")
    # The outbox ran voc.retokenize (eager in unit tests), which re-tokenised by chunk tasks.
    item.refresh_from_db()
    assert item.tokens == ["解約"]
    assert list(filter_by_keyword(FeedbackItem.objects.all(), "解約")) == [item]
    assert list(filter_by_keyword(FeedbackItem.objects.all(), "退会")) == [item]


@pytest.mark.django_db
def test_keyword_in_context_and_co_occurrence():
    _items("朝食のバイキングが美味しかった", "朝食が冷めていた", "駅から近い")
    lines = keyword_in_context(FeedbackItem.objects.all(), "朝食", width=5)
    assert len(lines) == 2
    assert all(line["keyword"] == "朝食" for line in lines)
    data = co_occurrence([["朝食", "美味しい"], ["朝食", "美味しい"], ["朝食", "冷める"]], top=5)
    assert data["terms"][0] == {"term": "朝食", "count": 3}
    assert data["edges"][0]["source"] == "美味しい" or data["edges"][0]["target"] == "美味しい"


@pytest.mark.django_db
def test_keyword_matches_whole_words_not_inside_other_words():
    register, card, bag, self_checkout = _items(
        "レジの列が長い",
        "クレジットカードが使えない",
        "レジ袋が有料になった",
        "セルフレジが分かりにくい",
    )
    found = set(filter_by_keyword(FeedbackItem.objects.all(), "レジ"))
    assert found == {register, bag, self_checkout}
    assert card not in found
    assert set(filter_by_keyword(FeedbackItem.objects.all(), "カード")) == {card}


@pytest.mark.django_db
def test_kwic_highlights_whole_words_and_links_each_row_to_its_item():
    register, _card = _items(
        "クレジットカードは使えたがレジが混んでいた", "クレジットカードが使えない"
    )
    lines = keyword_in_context(FeedbackItem.objects.all(), "レジ", width=30)
    assert len(lines) == 1
    (line,) = lines
    assert line["item"] == register
    assert line["keyword"] == "レジ"
    assert line["left"].endswith("使えたが")  # not the レジ inside クレジットカード
    assert line["url"] == f"/admin/voc/feedbackitem/{register.id}/change/"
    (cancel,) = _items("定期便を解約したいです")
    (line,) = keyword_in_context(FeedbackItem.objects.filter(id=cancel.id), "解約")
    assert (line["keyword"], line["right"][:3]) == ("解約", "したい")


def test_co_occurrence_counts_a_negated_word_as_its_lemma():
    data = co_occurrence([["荷物", "届く_ない"], ["荷物", "届く"]], top=5)
    assert {"term": "届く", "count": 2} in data["terms"]
    assert all("_ない" not in term["term"] for term in data["terms"])
