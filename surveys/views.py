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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from engagement.customers.models import Touchpoint
from engagement.platform.errors import Conflict, InvalidInput
from surveys import ratelimits, services, tokens
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
from surveys.services.answering import is_open, values_of
from surveys.services.design import TOUCHPOINT_PLACEHOLDER


def _invitation(token: str) -> Invitation | None:
    nonce = tokens.verify_token(token, tokens.PERSONAL)
    if nonce is None:
        return None
    invitation = (
        Invitation.objects.select_related("survey", "survey__wave").filter(nonce=nonce).first()
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
    now = timezone.now()
    plan = SurveyPlan.load(survey)
    values = values_of(response, plan) if response else {}
    pages = plan.visible_pages(values)
    if not pages:
        return closed_page(request, survey)
    positions = [p.position for p in pages]
    current = response.current_page if response else positions[0]
    if current not in positions:
        current = next((p for p in positions if p >= current), positions[-1])
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
    if (
        request.method == "POST"
        and request.POST.get("action", "next") != "back"
        and ratelimits.posted_too_fast(request)
    ):
        # Sooner than a person reads the page (or no stamp): show it again with what was
        # posted, save nothing.
        posted_page = plan.page_at(current) or pages[0]
        form = PageForm(
            request.POST, questions=plan.visible_questions(posted_page, values), lenient=True
        )
        form.is_valid()
        notice = _(
            "Thank you for your answers. To confirm that they were sent by you, please check "
            "them and press the button once more."
        )
    elif request.method == "POST":
        action = request.POST.get("action", "next")
        try:
            posted = int(request.POST.get("page", current))
        except ValueError:
            posted = current
        # Only the current page or one already passed can be posted.
        if posted in positions and posted <= current:
            current = posted
        posted_page = plan.page_at(current) or pages[0]
        questions = plan.visible_questions(posted_page, values)
        form = PageForm(request.POST, questions=questions, lenient=action == "back")
        if form.is_valid():
            index = positions.index(current)
            try:
                if response is None:
                    response = start()
                target = positions[index - 1] if action == "back" and index > 0 else current
                response = services.save_answers(
                    response=response,
                    values=form.values(),
                    now=now,
                    page_position=target,
                    plan=plan,
                )
                if action != "back":
                    values = values_of(response, plan)
                    new_positions = [p.position for p in plan.visible_pages(values)]
                    following = [p for p in new_positions if p > current]
                    if following:
                        services.save_answers(
                            response=response,
                            values={},
                            now=now,
                            page_position=following[0],
                            plan=plan,
                        )
                    else:
                        services.complete_response(response=response, now=now, plan=plan)
                        return HttpResponseRedirect(thanks, status=303)
                return HttpResponseRedirect(here, status=303)
            except Conflict as exc:
                if exc.code == "already_answered":
                    return already_answered_page(request, survey)
                return closed_page(request, survey)
            except InvalidInput as exc:
                # A required answer on an earlier page is missing: go back there.
                keys = set(exc.fields)
                missing_page = next(
                    (
                        p.position
                        for p in plan.pages
                        for q in plan.visible_questions(p, values)
                        if q.key in keys
                    ),
                    None,
                )
                if missing_page is not None and missing_page != current and response:
                    services.save_answers(
                        response=response,
                        values={},
                        now=now,
                        page_position=missing_page,
                        plan=plan,
                    )
                    return HttpResponseRedirect(here, status=303)
                for key, messages in exc.fields.items():
                    for message in messages:
                        form.add_error(f"q-{key}" if f"q-{key}" in form.fields else None, message)

    page = plan.page_at(current) or pages[0]
    questions = plan.visible_questions(page, values)
    views = question_views(
        questions, form=form, saved=values, replacements=_replacements(plan, values)
    )
    expected = _expected_pages(plan, values)
    index = expected.index(current) + 1 if current in expected else positions.index(current) + 1
    total = max(len(expected), index)
    context = {
        "survey": survey,
        "page": page,
        "questions": views,
        "has_errors": bool(form is not None and form.errors),
        "error_count": sum(1 for v in views if v.errors),
        "step": index,
        "total": total,
        "is_first": current == positions[0],
        "is_last": current == positions[-1] and index == total,
        "action_url": here,
        "notice": notice,
        "stamp": ratelimits.page_stamp(),
        "honeypot_field": ratelimits.HONEYPOT_FIELD,
        "stamp_field": ratelimits.STAMP_FIELD,
    }
    return render(request, "surveys/page.html", context)


def _expected_pages(plan: SurveyPlan, values: dict[str, Any]) -> list[int]:
    """Pages that are, or may still become, visible (a condition on an unanswered question)."""
    out = []
    for p in plan.pages:
        for q in plan.questions.get(p.id, []):
            source = q.show_if.get("question") if q.show_if else None
            if not q.show_if or values.get(source) in (None, "", []):
                out.append(p.position)
                break
            if q in plan.visible_questions(p, values):
                out.append(p.position)
                break
    return out


# --- personal link ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@customer_page
def personal(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation(token)
    if invitation is None:
        return invalid_link_page(request)
    survey = invitation.survey
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
            survey=survey, invitation=invitation, now=timezone.now()
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
        created = services.start_response(survey=survey, invitation=None, now=timezone.now())
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
