"""No two demo quotes alike: a free text that repeats an earlier one (word for word, or apart
from spacing, punctuation, emoji, laughter and full/half width) is written again.

The simulation composes texts from templates, so short ones (one terse sentence) repeat; a
report whose quotes repeat word for word looks fabricated. This pass runs after the simulation
and before anything is written, deterministically (its own random stream per text), so the
rest of the data set (who answered what, when) is unchanged.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterable

from engagement.demo.texts import compose_feedback

from .plans import CustomerPlan, FeedbackPlan
from .timeline import FIX_DATE, FIXED_THEME

_NOT_WORD = re.compile(r"[\W_]+")
_TRAILING_LAUGH = re.compile(r"(?:笑|草|w)+$")
MAX_ATTEMPTS = 200


def text_key(text: str) -> str:
    """What two texts must differ in to count as different quotes."""
    key = _NOT_WORD.sub("", unicodedata.normalize("NFKC", text)).lower()
    return _TRAILING_LAUGH.sub("", key)


def _rewrite(
    seen: set[str], text: str, *, theme: str, sentiment: str, label: str, improved: bool = False
) -> str:
    key = text_key(text)
    if key not in seen:
        seen.add(key)
        return text
    for attempt in range(MAX_ATTEMPTS):
        rng = random.Random(f"{label}:{attempt}")
        # A short (terse) text has few variants: after a few tries write a longer one.
        register = None if attempt < 3 else "polite" if attempt % 2 else "casual"
        candidate = compose_feedback(
            rng, theme=theme, sentiment=sentiment, register=register, improved=improved
        )
        if text_key(candidate) not in seen:
            seen.add(text_key(candidate))
            return candidate
    raise RuntimeError(f"no unique text for {label}")  # pragma: no cover - never with 200 tries


def make_texts_unique(
    plans: Iterable[CustomerPlan], posts: Iterable[FeedbackPlan], *, seed: int
) -> int:
    """Rewrite, in place, every free text that repeats an earlier one; returns how many."""
    seen: set[str] = set()
    rewritten = 0
    for plan in plans:
        for answer in plan.answers:
            for field in ("reason", "ideas"):
                value = getattr(answer, field)
                if value is None:
                    continue
                theme, sentiment, text = value
                new = _rewrite(
                    seen,
                    text,
                    theme=theme,
                    sentiment=sentiment,
                    label=f"demo:{seed}:unique:{plan.index}:{answer.wave}:{field}",
                    improved=(
                        theme == FIXED_THEME and sentiment == "positive" and answer.at >= FIX_DATE
                    ),
                )
                if new != text:
                    setattr(answer, field, (theme, sentiment, new))
                    rewritten += 1
        for feedback in plan.feedback:
            rewritten += _rewrite_feedback(seen, feedback, seed=seed)
    for post in posts:
        rewritten += _rewrite_feedback(seen, post, seed=seed)
    return rewritten


def planned_dataset(seed: int, customers: int) -> tuple[list[CustomerPlan], list[FeedbackPlan]]:
    """What ``seed_demo`` writes: every customer's plan and the anonymous SNS posts, with no two
    free texts alike."""
    from .life import simulate_customer
    from .voices import anonymous_sns_posts

    plans = [simulate_customer(seed, index) for index in range(1, customers + 1)]
    posts = anonymous_sns_posts(seed, max(10, customers // 12))
    make_texts_unique(plans, posts, seed=seed)
    return plans, posts


def _rewrite_feedback(seen: set[str], feedback: FeedbackPlan, *, seed: int) -> int:
    new = _rewrite(
        seen,
        feedback.text,
        theme=feedback.theme,
        sentiment=feedback.sentiment,
        label=f"demo:{seed}:unique:{feedback.external_id}",
    )
    if new == feedback.text:
        return 0
    feedback.text = new
    return 1
