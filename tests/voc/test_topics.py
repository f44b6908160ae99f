"""Topics: clearly different themes separate, new items land in the right topic, staff
corrections survive a re-run (real hotel vs spot reviews)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from voc import topics
from voc.models import FeedbackItem, Topic
from voc.services import (
    create_feedback_item,
    merge_topics,
    move_item,
    rename_topic,
    run_analysis,
)
from voc.tokenize import tokenize


def test_hotel_and_spot_reviews_separate(reviews):
    texts = reviews["hotel"][:120] + reviews["spot"][:120]
    truth = ["hotel"] * 120 + ["spot"] * 120
    token_lists = [tokenize(text) for text in texts]
    result = topics.fit_topics(topics.in_memory_chunks(token_lists), k=2)
    assert adjusted_rand_score(truth, result.labels.tolist()) > 0.8
    # The labels are Japanese words that tell the themes apart.
    all_terms = [set(cluster.terms) for cluster in result.clusters]
    assert any("ホテル" in terms or "部屋" in terms for terms in all_terms)


def test_automatic_k_finds_two_domains_in_whole_reviews(reviews):
    texts = reviews["hotel"][:150] + reviews["spot"][:150]
    token_lists = [tokenize(text) for text in texts]
    result = topics.fit_topics(topics.in_memory_chunks(token_lists), k_range=range(2, 7))
    assert result.selection["criterion"].startswith("silhouette")
    assert result.model.k == 2


def test_item_without_known_words_goes_to_other(reviews):
    token_lists = [tokenize(text) for text in reviews["hotel"][:60] + reviews["spot"][:60]]
    result = topics.fit_topics(topics.in_memory_chunks(token_lists), k=2)
    # Neither in the fitted vocabulary nor in the word-vector table (pieces included).
    labels, _scores = result.model.assign([["ヰヱヰヱ"], []])
    assert labels.tolist() == [-1, -1]
    # A word the fitted sample never saw but the vector table knows still places the item.
    assert "露天風呂付き客室" not in result.model.index
    hotel = Counter(result.labels[:60].tolist()).most_common(1)[0][0]
    assert result.model.assign([["露天風呂付き客室"]])[0].tolist() == [hotel]


def test_model_round_trips_through_bytes(reviews):
    token_lists = [tokenize(text) for text in reviews["hotel"][:40] + reviews["spot"][:40]]
    result = topics.fit_topics(topics.in_memory_chunks(token_lists), k=2)
    result.model.topic_ids = [11, 12]
    restored = topics.TopicModel.from_bytes(result.model.to_bytes())
    assert restored.topic_ids == [11, 12]
    assert (
        restored.assign(token_lists[:10])[0].tolist()
        == result.model.assign(token_lists[:10])[0].tolist()
    )


def _seed(reviews, n=80):
    from django.utils import timezone

    now = timezone.now()
    items = []
    for label in ("hotel", "spot"):
        for i, text in enumerate(reviews[label][:n]):
            items.append(
                FeedbackItem(
                    text=text,
                    channel="review",
                    received_at=now,
                    external_id=f"{label}-{i}",
                    attributes={"label": label},
                )
            )
    FeedbackItem.objects.bulk_create(items)


def _topic_of(label: str) -> int:
    counts = Counter(
        FeedbackItem.objects.filter(attributes__label=label).values_list("topic_id", flat=True)
    )
    return counts.most_common(1)[0][0]


@pytest.mark.django_db
def test_run_analysis_then_new_item_lands_in_right_topic(reviews):
    _seed(reviews)
    run = run_analysis(k=2)
    assert run.status == "done"
    hotel_topic, spot_topic = _topic_of("hotel"), _topic_of("spot")
    assert hotel_topic != spot_topic
    topic = Topic.objects.get(id=hotel_topic)
    assert topic.terms and topic.name
    assert 3 <= len(topic.quote_ids) <= 5
    # Assigned on arrival, without a re-run (held-out reviews): nearly all land right.
    right = 0
    for number in range(200, 210):
        item, created = create_feedback_item(text=reviews["hotel"][number], channel="review")
        assert created and item.tokens and item.sentiment
        right += item.topic_id == hotel_topic
        item, _ = create_feedback_item(text=reviews["spot"][number], channel="sns")
        right += item.topic_id == spot_topic
    assert right >= 17
    # Each item's clauses carry a topic too (voc.aspects).
    assert item.aspects and all("topic_id" in aspect for aspect in item.aspects)


@pytest.mark.django_db
def test_staff_corrections_survive_a_rerun(reviews):
    _seed(reviews)
    run_analysis(k=2)
    hotel = Topic.objects.get(id=_topic_of("hotel"))
    spot = Topic.objects.get(id=_topic_of("spot"))
    rename_topic(topic=hotel, name="宿泊の感想")
    moved = FeedbackItem.objects.filter(attributes__label="spot").first()
    move_item(item=moved, topic=hotel)

    run_analysis(k=2)
    hotel.refresh_from_db()
    assert hotel.name == "宿泊の感想" and hotel.is_active
    assert _topic_of("hotel") == hotel.id  # same id
    assert _topic_of("spot") == spot.id
    moved.refresh_from_db()
    assert moved.topic_id == hotel.id and moved.topic_locked

    # Merge: the spot topic goes into the hotel topic and stays merged after a re-run.
    merge_topics(sources=[spot], target=hotel)
    run_analysis(k=2)
    spot.refresh_from_db()
    assert spot.merged_into_id == hotel.id and not spot.is_active
    assert _topic_of("spot") == hotel.id
    hotel.refresh_from_db()
    assert hotel.name == "宿泊の感想"


@pytest.mark.django_db
def test_split_topic_survives_a_rerun(reviews):
    from voc.services import split_topic

    _seed(reviews)
    run_analysis(k=2)
    spot = Topic.objects.get(id=_topic_of("spot"))
    chosen = list(
        FeedbackItem.objects.filter(topic=spot).order_by("id").values_list("id", flat=True)[:5]
    )
    new_topic = split_topic(topic=spot, item_ids=chosen, name="分けた声")
    run_analysis(k=2)
    new_topic.refresh_from_db()
    assert new_topic.is_active and new_topic.name == "分けた声"
    assert set(FeedbackItem.objects.filter(topic=new_topic).values_list("id", flat=True)) == set(
        chosen
    )
    assert _topic_of("spot") == spot.id


def test_voc_evaluate_prints_one_json_object(tmp_path, reviews, capsys):
    import csv
    import json

    from django.core.management import call_command

    path = tmp_path / "labelled.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["body", "domain"])
        for label in ("hotel", "spot"):
            for text in reviews[label][:60]:
                writer.writerow([text, label])
    call_command(
        "voc_evaluate",
        "--input",
        str(path),
        "--text-column",
        "body",
        "--label-column",
        "domain",
        "--k",
        "2",
    )
    result = json.loads(capsys.readouterr().out)
    for key in [
        "n_items",
        "n_topics",
        "ari",
        "ami",
        "v_measure",
        "npmi",
        "diversity",
        "unassigned_share",
        "seconds",
        "baseline_ari",
        "baseline_ami",
    ]:
        assert key in result
    assert result["n_items"] == 120 and result["n_topics"] == 2
    assert result["ari"] > 0.8


@pytest.mark.django_db
def test_analyze_voc_command(reviews):
    from django.core.management import call_command

    _seed(reviews, n=40)
    call_command("analyze_voc", "--k", "2")
    assert FeedbackItem.objects.filter(topic=None).count() == 0
    assert FeedbackItem.objects.filter(tokenized_at=None).count() == 0


def test_salience_weighs_nouns_over_predicates_and_evaluations():
    from voc.salience import part_of_speech, term_weights

    terms = ["料金", "取り込む", "便利", "ちゃんと", "使いやすい", "ポイント還元", "エラー", "遅い"]
    assert [part_of_speech(t) for t in terms] == [
        "名詞", "動詞", "形容詞", "副詞", "形容詞", "名詞", "名詞", "形容詞"
    ]  # fmt: skip
    weights = dict(zip(terms, term_weights(terms).tolist(), strict=True))
    assert weights["料金"] == weights["ポイント還元"] == weights["エラー"] == 1.0
    assert weights["取り込む"] == 0.5  # a verb without polarity
    assert weights["ちゃんと"] == 0.0
    assert weights["遅い"] < weights["取り込む"]  # an evaluative predicate weighs least


def test_graph_communities_find_the_number_of_topics_without_k():
    rng = np.random.default_rng(0)
    centres = topics._normalize_rows(rng.normal(size=(6, 50)).astype(np.float32))
    labels = rng.integers(0, 6, 600)
    points = topics._normalize_rows(centres[labels] + 0.08 * rng.normal(size=(600, 50)))
    found, selection = topics.community_centres(points.astype(np.float32), seed=0)
    assert len(found) == 6 and selection["kept"] == 6
    # Each true group has its own centre.
    assert adjusted_rand_score(labels, (points @ found.T).argmax(axis=1)) > 0.95


def test_graph_edges_weigh_shared_neighbours():
    points = topics._normalize_rows(
        np.array([[1, 0], [0.99, 0.1], [0.98, 0.15], [0, 1], [0.1, 0.99], [0.15, 0.98]], np.float32)
    )
    graph = topics.neighbour_graph(points, neighbours=2)
    assert graph.has_edge(0, 1) and graph.has_edge(3, 4)
    assert not graph.has_edge(0, 3)
    assert all(0 < data["weight"] <= 1 for _a, _b, data in graph.edges(data=True))
