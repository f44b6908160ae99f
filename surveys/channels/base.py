"""What every channel client shares: the message, the result and the failures."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutgoingMessage:
    """One survey message: the text, and the personal link with its button label."""

    text: str
    url: str
    button_label: str
    alt_text: str
    # Idempotency key: the same send retried carries the same key (LINE's X-Line-Retry-Key).
    key: str


@dataclass(frozen=True)
class SendResult:
    provider_id: str = ""
    duplicate: bool = False  # the provider had already accepted this key


class SendError(Exception):
    """A send that did not go through; ``reason`` is safe to show and store (no secrets)."""

    transient = False

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class TransientSendError(SendError):
    """The provider is down, slow or rate-limiting: try again later (nothing is lost)."""

    transient = True


class PermanentSendError(SendError):
    """The provider refused the message (bad token, bad recipient): retrying will not help."""

    def __init__(self, reason: str, *, opted_out: bool = False) -> None:
        super().__init__(reason)
        self.opted_out = opted_out


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form; dates are ignored)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(0.0, min(seconds, 24 * 3600))
