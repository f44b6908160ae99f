"""Japanese feedback generated from vocabulary and templates (no external data).

``generate_feedback_texts(n, seed)`` yields ``(theme, text, sentiment)``; the VoC evaluation set
and the demo's survey answers, reviews, inquiries and SNS posts all come from here.
"""

from .generator import (
    SENTIMENTS,
    THEMES,
    FeedbackText,
    Theme,
    compose_feedback,
    generate_feedback_texts,
)

__all__ = [
    "SENTIMENTS",
    "THEMES",
    "FeedbackText",
    "Theme",
    "compose_feedback",
    "generate_feedback_texts",
]
