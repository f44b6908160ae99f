"""Survey design: the built-in template, status changes, and edits that keep answers valid."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from engagement.customers.models import Touchpoint
from engagement.platform.errors import Conflict, InvalidInput
from surveys import tokens
from surveys.models import (
    AwarenessItem,
    Choice,
    NpsCategory,
    Page,
    Question,
    QuestionKind,
    QuestionRole,
    Survey,
    SurveyStatus,
    Wave,
)
from surveys.validation import validate_survey

# English msgids; the Japanese is in the catalogue. Stored on the survey in both languages.
AWARENESS_STATEMENTS = {
    AwarenessItem.LIKE: gettext_noop("I like %(brand)s"),
    AwarenessItem.SATISFIED: gettext_noop("I am satisfied with %(brand)s"),
    AwarenessItem.DEVOTION: gettext_noop("I feel a personal attachment to %(brand)s"),
    AwarenessItem.GRATEFUL: gettext_noop("I am grateful and happy that I can use %(brand)s"),
    AwarenessItem.WOULD_MISS: gettext_noop("I would be at a loss if %(brand)s disappeared"),
    AwarenessItem.SUPPORT: gettext_noop(
        "I want to support %(brand)s so that it does not disappear"
    ),
    AwarenessItem.SPREAD: gettext_noop(
        "%(brand)s is a good product or service, and I want to spread the word about it"
    ),
    AwarenessItem.VISION: gettext_noop("I share the vision and mission of %(brand)s"),
}
TEMPLATE_TOUCHPOINTS = (
    Touchpoint.WEB,
    Touchpoint.APP,
    Touchpoint.STORE,
    Touchpoint.CALL_CENTER,
    Touchpoint.EMAIL,
    Touchpoint.SNS,
)
TOUCHPOINT_PLACEHOLDER = "{touchpoint}"


def _both(msgid: str, **params: Any) -> tuple[str, str]:
    """The Japanese and English text of ``msgid`` (with ``params`` filled in)."""
    out = []
    for language in ("ja", "en"):
        with translation.override(language):
            text = _(msgid)
            if params:
                text = text % {k: str(v) for k, v in params.items()}
            out.append(text)
    return out[0], out[1]


def _label_both(label: Any) -> tuple[str, str]:
    out = []
    for language in ("ja", "en"):
        with translation.override(language):
            out.append(str(label))
    return out[0], out[1]


def _page(survey: Survey, position: int, title: str, **params: Any) -> Page:
    ja, en = _both(title, **params)
    return Page.objects.create(survey=survey, position=position, title=ja, title_en=en)


def _question(
    survey: Survey,
    page: Page,
    position: int,
    *,
    key: str,
    kind: str,
    text: str,
    role: str = "",
    awareness_item: str = "",
    help_text: str = "",
    required: bool = True,
    show_if: dict[str, Any] | None = None,
    brand: str,
) -> Question:
    text_ja, text_en = _both(text, brand=brand)
    help_ja, help_en = _both(help_text, brand=brand) if help_text else ("", "")
    return Question.objects.create(
        survey=survey,
        page=page,
        position=position,
        key=key,
        kind=kind,
        role=role,
        awareness_item=awareness_item,
        text=text_ja,
        text_en=text_en,
        help_text=help_ja,
        help_text_en=help_en,
        required=required,
        show_if=show_if or {},
    )


@transaction.atomic
def create_template_survey(*, title: str, brand_name: str, wave: Wave, slug: str) -> Survey:
    """The survey DOMAIN.md describes, as a draft: NPS, why (worded per NPS category), the eight
    awareness statements, touchpoint, CSAT of that touchpoint, ideas and requests."""
    brand_name = brand_name.strip()
    if not brand_name:
        raise InvalidInput(_("Enter the brand name."), fields={"brand_name": [_("Required.")]})
    if Survey.objects.filter(slug=slug).exists():
        raise Conflict(
            _("A survey with this slug already exists."),
            fields={"slug": [_("Already in use.")]},
        )
    intro_ja, _intro_en = _both(
        gettext_noop(
            "Thank you for using %(brand)s. This survey takes about three minutes. "
            "Your answers are used only to improve our products and services."
        ),
        brand=brand_name,
    )
    thanks_ja, _thanks_en = _both(
        gettext_noop(
            "Thank you very much for your answers. We will use your valuable opinions to improve "
            "%(brand)s."
        ),
        brand=brand_name,
    )
    survey = Survey.objects.create(
        title=title,
        slug=slug,
        brand_name=brand_name,
        wave=wave,
        description=intro_ja,
        thank_you_message=thanks_ja,
        other_languages=["en"],  # the template carries the English texts too
    )
    b = brand_name
    p1 = _page(survey, 1, gettext_noop("Recommendation"))
    _question(
        survey,
        p1,
        1,
        key="nps",
        kind=QuestionKind.NPS,
        role=QuestionRole.NPS,
        text=gettext_noop(
            "How likely is it that you would recommend %(brand)s to a friend or colleague?"
        ),
        help_text=gettext_noop("Please choose a number from 0 to 10."),
        brand=b,
    )
    p2 = _page(survey, 2, gettext_noop("The reason for your score"))
    reasons = [
        (
            NpsCategory.DETRACTOR,
            gettext_noop(
                "We are sorry we did not meet your expectations. What disappointed you, or what "
                "should we improve?"
            ),
        ),
        (
            NpsCategory.PASSIVE,
            gettext_noop("What would make you more likely to recommend %(brand)s?"),
        ),
        (
            NpsCategory.PROMOTER,
            gettext_noop("Thank you! What do you like most about %(brand)s?"),
        ),
    ]
    for position, (category, text) in enumerate(reasons, start=1):
        _question(
            survey,
            p2,
            position,
            key=f"reason_{category}",
            kind=QuestionKind.LONG_TEXT,
            role=QuestionRole.NPS_REASON,
            text=text,
            required=False,
            show_if={"question": "nps", "nps_category": str(category)},
            brand=b,
        )
    p3 = _page(survey, 3, gettext_noop("Your feelings about %(brand)s"), brand=b)
    for position, (item, statement) in enumerate(AWARENESS_STATEMENTS.items(), start=1):
        _question(
            survey,
            p3,
            position,
            key=f"aw_{item}",
            kind=QuestionKind.AGREEMENT,
            role=QuestionRole.AWARENESS,
            awareness_item=item,
            text=statement,
            brand=b,
        )
    p4 = _page(survey, 4, gettext_noop("Where you used %(brand)s"), brand=b)
    touchpoint = _question(
        survey,
        p4,
        1,
        key="touchpoint",
        kind=QuestionKind.SINGLE_CHOICE,
        role=QuestionRole.TOUCHPOINT,
        text=gettext_noop(
            "Through which channel did you most recently use %(brand)s? Please choose one."
        ),
        brand=b,
    )
    for position, value in enumerate(TEMPLATE_TOUCHPOINTS, start=1):
        ja, en = _label_both(value.label)
        Choice.objects.create(
            question=touchpoint, position=position, value=value.value, label=ja, label_en=en
        )
    p5 = _page(survey, 5, gettext_noop("Satisfaction and your ideas"))
    _question(
        survey,
        p5,
        1,
        key="csat",
        kind=QuestionKind.RATING,
        role=QuestionRole.CSAT,
        text=gettext_noop("How satisfied were you with your experience through {touchpoint}?"),
        brand=b,
    )
    _question(
        survey,
        p5,
        2,
        key="ideas",
        kind=QuestionKind.LONG_TEXT,
        role=QuestionRole.IDEAS,
        text=gettext_noop(
            "Do you have any ideas or requests for %(brand)s? Please feel free to tell us."
        ),
        required=False,
        brand=b,
    )
    return survey


# --- status -----------------------------------------------------------------------------------


def open_survey(*, survey: Survey, now: datetime | None = None) -> Survey:
    if survey.status != SurveyStatus.DRAFT:
        raise Conflict(_("Only a draft survey can be opened."))
    if not survey.questions.exists():
        raise InvalidInput(_("A survey needs at least one question before it is opened."))
    if survey.closes_at and now and survey.closes_at <= now:
        raise InvalidInput(_("The closing date is in the past. Change it before opening."))
    problems = validate_survey(survey)
    if problems:
        raise InvalidInput(
            _("The survey cannot be opened until these are fixed: %(problems)s")
            % {"problems": " / ".join(p.message for p in problems)}
        )
    survey.status = SurveyStatus.OPEN
    survey.save(update_fields=["status", "updated_at"])
    return survey


def close_survey(*, survey: Survey) -> Survey:
    if survey.status != SurveyStatus.OPEN:
        raise Conflict(_("Only an open survey can be closed."))
    survey.status = SurveyStatus.CLOSED
    survey.save(update_fields=["status", "updated_at"])
    return survey


def enable_public_link(*, survey: Survey) -> str:
    """Give the survey an anonymous public link (kept if it has one); returns its token."""
    if not survey.public_nonce:
        survey.public_nonce = tokens.new_nonce()
        survey.save(update_fields=["public_nonce", "updated_at"])
    return tokens.make_token(survey.public_nonce, tokens.PUBLIC)


def disable_public_link(*, survey: Survey) -> None:
    survey.public_nonce = ""
    survey.save(update_fields=["public_nonce", "updated_at"])
