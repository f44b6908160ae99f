"""Fixtures for the VoC tests: real Japanese reviews (Quasi Japanese Reviews, CC BY 4.0,
Megagon Labs) from ../shared/data beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from voc.evaluation import quasi_reviews_rows

# ../shared beside the repository (or beside the folder of work trees).
DATA = next(
    (
        parent / "shared" / "data" / "quasi_japanese_reviews"
        for parent in Path(__file__).resolve().parents
        if (parent / "shared" / "data" / "quasi_japanese_reviews").is_dir()
    ),
    Path(__file__).resolve().parents[3] / "shared" / "data" / "quasi_japanese_reviews",
)


def load_reviews(unit: str = "review") -> dict[str, list[str]]:
    if not DATA.exists():
        pytest.skip(f"review data not found at {DATA}")
    by_label: dict[str, list[str]] = {"hotel": [], "spot": []}
    for row in quasi_reviews_rows(DATA, unit=unit):
        by_label[row["label"]].append(row["text"])
    return by_label


@pytest.fixture(scope="session")
def reviews() -> dict[str, list[str]]:
    return load_reviews("review")


@pytest.fixture(scope="session")
def review_sentences() -> dict[str, list[str]]:
    return load_reviews("sentence")
