"""Personal data removed from quotes before they reach a report (page, exports, API, e-mail).

Masked: e-mail addresses, URLs, phone numbers (Japanese and international forms, half- and
full-width digits), order and membership numbers (after 注文番号, 会員番号, お問い合わせ番号,
order no. …, and any run of 8 or more digits), and the customer's own name (full name and each
part of it, with or without the space between family and given name) and e-mail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EMAIL_MASK = "[メール]"
URL_MASK = "[URL]"
PHONE_MASK = "[電話番号]"
NAME_MASK = "〇〇"
NUMBER_MASK = "[番号]"

_DIGIT = "[0-9０-９]"
_HYPHEN = "[-‐‑–—―−－ー ]?"
EMAIL_RE = re.compile(
    r"[A-Za-z0-9０-９Ａ-Ｚａ-ｚ._%+\-＿．]+[@＠][A-Za-z0-9０-９Ａ-Ｚａ-ｚ.\-．]+\.[A-Za-zＡ-Ｚａ-ｚ]{2,}"
)
URL_RE = re.compile(
    r"(?:https?|ｈｔｔｐｓ?)[:：][/／]{2}[^\s<>\"'、。）)」]+|www\.[^\s<>\"'、。）)」]+"
)
PHONE_RE = re.compile(
    rf"(?:[+＋]{_DIGIT}{{1,3}}{_HYPHEN})?[(（]?{_DIGIT}{{2,4}}[)）]?{_HYPHEN}"
    rf"{_DIGIT}{{2,4}}{_HYPHEN}{_DIGIT}{{3,4}}"
)
# An order/membership/inquiry number after its label, or a long run of digits (a number that
# identifies an order or a person; amounts are written with separators or are shorter).
LABELLED_NUMBER_RE = re.compile(
    r"(注文番号|注文No|受付番号|会員番号|会員ID|お客様番号|問い合わせ番号|伝票番号|"
    r"order no|order number|order id|order #)([\s:：#＃.．]*)"
    r"[A-Za-z0-9０-９Ａ-Ｚａ-ｚ][A-Za-z0-9０-９Ａ-Ｚａ-ｚ\-－]{3,}",
    re.IGNORECASE,
)
LONG_NUMBER_RE = re.compile(r"[A-Za-zＡ-Ｚａ-ｚ]{0,4}[-－]?[0-9０-９]{8,}")
_NAME_SPLIT = re.compile(r"[\s　・]+")


def _name_variants(names: Iterable[str | None]) -> list[str]:
    variants: set[str] = set()
    for name in names:
        if not name or not name.strip():
            continue
        parts = [part for part in _NAME_SPLIT.split(name.strip()) if part]
        variants.add(name.strip())
        variants.add("".join(parts))
        variants.add(" ".join(parts))
        variants.add("　".join(parts))
        # Single parts of two characters or more (a one-character part would mask too much).
        variants.update(part for part in parts if len(part) >= 2)
    return sorted(variants, key=len, reverse=True)


def mask_for(user: object, text: str, *, customer: object | None = None) -> str:
    """``text`` as ``user`` may see it: unchanged with personal-data access, masked otherwise
    (with the customer's own name and e-mail when the customer is given)."""
    from engagement.platform.scope import sees_personal_data

    if sees_personal_data(user):
        return text
    return mask_personal_data(
        text,
        names=[getattr(customer, "name", None)],
        emails=[getattr(customer, "email", None)],
    )


def mask_personal_data(
    text: str, *, names: Iterable[str | None] = (), emails: Iterable[str | None] = ()
) -> str:
    for email in emails:
        if email:
            text = re.sub(re.escape(email), EMAIL_MASK, text, flags=re.IGNORECASE)
    text = EMAIL_RE.sub(EMAIL_MASK, text)
    text = URL_RE.sub(URL_MASK, text)
    text = LABELLED_NUMBER_RE.sub(rf"\1\2{NUMBER_MASK}", text)
    text = LONG_NUMBER_RE.sub(NUMBER_MASK, text)  # before phones: no part of it is left
    text = PHONE_RE.sub(PHONE_MASK, text)
    for variant in _name_variants(names):
        text = re.sub(re.escape(variant), NAME_MASK, text, flags=re.IGNORECASE)
    return text
