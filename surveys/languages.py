"""Language versions of a survey and the language a customer sees.

A survey always has its Japanese version; ``Survey.other_languages`` adds others (English
first: the ``*_en`` fields of pages, questions and choices hold its texts). The language of a
customer page, in order:

1. the customer's explicit choice (the page's language link ``?lang=``, remembered in a cookie);
2. the customer's record: ``Customer.attributes["language"]`` (e.g. ``en``; imported like any
   attribute) — personal links only;
3. the link: ``?lang=`` in the invitation or public link as distributed;
4. the browser's ``Accept-Language`` (the best of the versions the survey has);
5. Japanese.

Only languages the survey has are used. The response records the version answered
(``Response.language``); answers of every version are stored by question and analysed together.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation.trans_real import parse_accept_lang_header

MAIN = "ja"


def offered(survey: Any) -> list[str]:
    """The survey's language versions: Japanese, then its others that the site supports."""
    supported = dict(settings.LANGUAGES)
    others = [
        code
        for code in (survey.other_languages or [])
        if isinstance(code, str) and code in supported and code != MAIN
    ]
    return [MAIN, *dict.fromkeys(others)]


def _base(code: str) -> str:
    return code.lower().split("-")[0].split("_")[0]


def from_accept_language(header: str, languages: list[str]) -> str | None:
    """The first language of ``header`` (by quality) that is one of ``languages``."""
    for code, _quality in parse_accept_lang_header(header or ""):
        if code == "*":
            continue
        if _base(code) in languages:
            return _base(code)
    return None


def choose(request: HttpRequest, survey: Any, attributes: Any = None) -> str:
    """The language of this customer page (see the module's docstring for the order);
    ``attributes``: the customer's record (``Customer.attributes``), personal links only."""
    languages = offered(survey)
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in languages:
        return chosen
    if isinstance(attributes, dict):
        recorded = _base(str(attributes.get("language") or ""))
        if recorded in languages:
            return recorded
    found = from_accept_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""), languages)
    return found or MAIN
