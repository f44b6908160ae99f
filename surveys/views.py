"""Customer pages: answer a survey through a personal or public link; unsubscribe.

Every page here: Japanese unless the customer switched language, rate limited on the real client
address, ``Referrer-Policy: no-referrer``, ``Cache-Control: no-store``, a CSP that allows only this
site's own files, and no token in any log line (``engagement.platform.logfilters``). An unknown,
tampered
or draft-survey token gets the same 404 page; a valid link to a closed or expired survey gets 410.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from engagement.customers.models import Touchpoint
from engagement.platform.forms import add_domain_error
from surveys import languages, ratelimits, services, tokens
from surveys.customer_pages import (
    already_answered_page,
    closed_page,
    customer_page,
    invalid_link_page,
    message_page,
)
from surveys.flow import SurveyPlan
from surveys.forms import PageForm, question_views
from surveys.models import (
    Invitation,
    QuestionRole,
    Response,
    ResponseStatus,
    Survey,
    SurveyStatus,
)
from surveys.services import pages
from surveys.services.answering import is_open
from surveys.services.design import TOUCHPOINT_PLACEHOLDER


def _invitation(token: str) -> Invitation | None:
    nonce = tokens.verify_token(token, tokens.PERSONAL)
    if nonce is None:
        return None
    invitation = (
        Invitation.objects.select_related("survey", "survey__wave", "customer")
        .filter(nonce=nonce)
        .first()
    )
    if invitation is None or invitation.survey.status == SurveyStatus.DRAFT:
        return None
    return invitation


def _public_survey(token: str) -> Survey | None:
    nonce = tokens.verify_token(token, tokens.PUBLIC)
    if nonce is None:
        return None
    survey = Survey.objects.select_related("wave").filter(public_nonce=nonce).first()
    if survey is None or survey.status == SurveyStatus.DRAFT:
        return None
    return survey


# --- answering --------------------------------------------------------------------------------


def _replacements(plan: SurveyPlan, values: dict[str, Any]) -> dict[str, str]:
    chosen = next(
        (values.get(q.key) for q in plan.all_questions() if q.role == QuestionRole.TOUCHPOINT),
        None,
    )
    label = ""
    if chosen:
        choice = next(
            (
                c
                for q in plan.all_questions()
                if q.role == QuestionRole.TOUCHPOINT
                for c in q.choices.all()
                if c.value == chosen
            ),
            None,
        )
        label = choice.display_label if choice else ""
        if not label and chosen in Touchpoint.values:
            label = str(Touchpoint(chosen).label)
    return {TOUCHPOINT_PLACEHOLDER: label or _("the channel you used")}


def _answer(
    request: HttpRequest,
    *,
    survey: Survey,
    response: Response | None,
    start: Callable[[], Response],
    here: str,
    thanks: str,
) -> HttpResponse:
    """Show the respondent's current page, or save the posted one and redirect (POST/303/GET)."""
    plan = SurveyPlan.load(survey)  # once per request: every step below reuses it
    requested = _int_or_none(request.POST.get("page")) if request.method == "POST" else None
    position = pages.locate(plan=plan, response=response, requested=requested)
    if position is None:
        return closed_page(request, survey)
    form: PageForm | None = None
    notice = ""
    if request.method == "POST" and ratelimits.honeypot_filled(request):
        return message_page(
            request,
            status=400,
            title=_("Your answers could not be sent"),
            text=_(
                "We are sorry for the trouble. Please open the page again and send your "
                "answers once more."
            ),
            survey=survey,
        )
    going_back = request.POST.get("action", "next") == "back"
    if request.method == "POST" and not going_back and ratelimits.posted_too_fast(request):
        # Sooner than a person reads the page (or no stamp): show it again with what was
        # posted, save nothing.
        form = PageForm(request.POST, questions=position.questions(), lenient=True)
        form.is_valid()
        notice = _(
            "Thank you for your answers. To confirm that they were sent by you, please check "
            "them and press the button once more."
        )
    elif request.method == "POST":
        form = PageForm(request.POST, questions=position.questions(), lenient=going_back)
        if form.is_valid():
            result = pages.answer_page(
                position=position,
                response=response,
                start=start,
                values=form.values(),
                going_back=going_back,
                now=timezone.now(),
            )
            match result.outcome:
                case pages.PageOutcome.COMPLETED:
                    return HttpResponseRedirect(thanks, status=303)
                case pages.PageOutcome.SAVED:
                    return HttpResponseRedirect(here, status=303)
                case pages.PageOutcome.ALREADY_ANSWERED:
                    return already_answered_page(request, survey)
                case pages.PageOutcome.CLOSED:
                    return closed_page(request, survey)
            if result.error is not None:
                add_domain_error(
                    form, result.error, field_name=lambda key: f"q-{key}", summary=False
                )
    views = question_views(
        position.questions(),
        form=form,
        saved=position.values,
        replacements=_replacements(plan, position.values),
    )
    context = {
        "survey": survey,
        "page": position.page,
        "questions": views,
        "has_errors": bool(form is not None and form.errors),
        "error_count": sum(1 for v in views if v.errors),
        "step": position.step,
        "total": position.total,
        "is_first": position.is_first,
        "is_last": position.is_last,
        "action_url": here,
        "notice": notice,
        "stamp": ratelimits.page_stamp(),
        "honeypot_field": ratelimits.HONEYPOT_FIELD,
        "stamp_field": ratelimits.STAMP_FIELD,
    }
    return render(request, "surveys/page.html", context)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _use_language(request: HttpRequest, survey: Survey, customer: Any = None) -> str:
    """Show the page in the survey's version for this customer (``surveys.languages``)."""
    language = languages.choose(request, survey, customer)
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language


# --- personal link ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@customer_page
def personal(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation(token)
    if invitation is None:
        return invalid_link_page(request)
    survey = invitation.survey
    language = _use_language(request, survey, invitation.customer)
    response = Response.objects.filter(invitation=invitation).first()
    if response and response.status == ResponseStatus.COMPLETED:
        return already_answered_page(request, survey)
    if not is_open(survey, timezone.now()):
        return closed_page(request, survey)
    return _answer(
        request,
        survey=survey,
        response=response,
        start=lambda: services.start_response(
            survey=survey, invitation=invitation, now=timezone.now(), language=language
        ),
        here=reverse("surveys:personal", args=[token]),
        thanks=reverse("surveys:personal-thanks", args=[token]),
    )


def _thanks(request: HttpRequest, survey: Survey) -> HttpResponse:
    return render(request, "surveys/thanks.html", {"survey": survey})


@require_http_methods(["GET"])
@customer_page
def personal_thanks(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation(token)
    if invitation is None:
        return invalid_link_page(request)
    _use_language(request, invitation.survey, invitation.customer)
    done = Response.objects.filter(invitation=invitation, status=ResponseStatus.COMPLETED).exists()
    if not done:
        return HttpResponseRedirect(reverse("surveys:personal", args=[token]), status=303)
    return _thanks(request, invitation.survey)


# --- public link (anonymous; the session remembers the response) ------------------------------


def _session_key(survey: Survey) -> str:
    return f"surveys-public-{survey.id}"


@require_http_methods(["GET", "POST"])
@customer_page
def public(request: HttpRequest, token: str) -> HttpResponse:
    survey = _public_survey(token)
    if survey is None:
        return invalid_link_page(request)
    language = _use_language(request, survey)
    response_id = request.session.get(_session_key(survey))
    response = (
        Response.objects.filter(id=response_id, survey=survey, invitation__isnull=True).first()
        if response_id
        else None
    )
    if response and response.status == ResponseStatus.COMPLETED:
        return already_answered_page(request, survey)
    if not is_open(survey, timezone.now()):
        return closed_page(request, survey)

    if (
        response is None
        and request.method == "POST"
        and request.POST.get("action", "next") != "back"
        and ratelimits.public_start_limited(request, link=survey.public_nonce or str(survey.id))
    ):
        return message_page(
            request,
            status=429,
            title=_("Too many answers in a short time"),
            text=_(
                "Many answers have been sent to this survey from your connection in a short "
                "time. We are sorry, but please wait a while before answering again."
            ),
            survey=survey,
        )

    def start() -> Response:
        created = services.start_response(
            survey=survey, invitation=None, now=timezone.now(), language=language
        )
        request.session[_session_key(survey)] = created.id
        return created

    return _answer(
        request,
        survey=survey,
        response=response,
        start=start,
        here=reverse("surveys:public", args=[token]),
        thanks=reverse("surveys:public-thanks", args=[token]),
    )


@require_http_methods(["GET"])
@customer_page
def public_thanks(request: HttpRequest, token: str) -> HttpResponse:
    survey = _public_survey(token)
    if survey is None:
        return invalid_link_page(request)
    _use_language(request, survey)
    response_id = request.session.get(_session_key(survey))
    done = (
        bool(response_id)
        and Response.objects.filter(
            id=response_id, survey=survey, status=ResponseStatus.COMPLETED
        ).exists()
    )
    if not done:
        return HttpResponseRedirect(reverse("surveys:public", args=[token]), status=303)
    return _thanks(request, survey)


# --- unsubscribe ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@customer_page
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    nonce = tokens.verify_token(token, tokens.UNSUBSCRIBE)
    invitation = (
        Invitation.objects.select_related("customer", "survey").filter(nonce=nonce).first()
        if nonce
        else None
    )
    if invitation is None:
        return invalid_link_page(request)
    if request.method == "POST":
        services.unsubscribe(invitation=invitation, now=timezone.now())
        return message_page(
            request,
            status=200,
            title=_("You have been unsubscribed"),
            text=_("We will not send you survey e-mails any more. Thank you for your time."),
            survey=invitation.survey,
        )
    return render(
        request,
        "surveys/unsubscribe.html",
        {"survey": invitation.survey, "action_url": request.path},
    )
