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
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from engagement.customers.models import Touchpoint
from engagement.platform.errors import Conflict, InvalidInput
from engagement.platform.forms import add_domain_error
from surveys import languages, ratelimits, selectors, services, tokens
from surveys.customer_pages import (
    already_answered_page,
    closed_page,
    customer_page,
    invalid_link_page,
    message_page,
)
from surveys.flow import SurveyPlan
from surveys.forms import PageForm, question_views
from surveys.links import PublicLink, Widget
from surveys.models import (
    Invitation,
    QuestionRole,
    Response,
    ResponseStatus,
    Survey,
    SurveyStatus,
)
from surveys.services import links, pages
from surveys.services import widget as widget_service
from surveys.services.answering import is_open
from surveys.services.design import TOUCHPOINT_PLACEHOLDER


def _invitation(token: str) -> selectors.AnsweringState | None:
    """The personal link's invitation, survey, response and saved answers (one query)."""
    nonce = tokens.verify_token(token, tokens.PERSONAL)
    if nonce is None:
        return None
    state = selectors.answering_invitation(nonce=nonce)
    if state is None or state.invitation.survey.status == SurveyStatus.DRAFT:
        return None
    return state


def _public_target(token: str) -> tuple[Survey | None, PublicLink | None]:
    """The survey behind a public token: its own public link, or a store/campaign link."""
    nonce = tokens.verify_token(token, tokens.PUBLIC)
    link = None
    if nonce is not None:
        survey = Survey.objects.select_related("wave").filter(public_nonce=nonce).first()
    else:
        nonce = tokens.verify_token(token, tokens.PUBLIC_LINK)
        link = (
            PublicLink.objects.select_related("survey", "survey__wave")
            .filter(nonce=nonce, is_active=True)
            .first()
            if nonce
            else None
        )
        survey = link.survey if link else None
    if survey is None or survey.status == SurveyStatus.DRAFT:
        return None, None
    return survey, link


def _public_survey(token: str) -> Survey | None:
    return _public_target(token)[0]


# --- answering --------------------------------------------------------------------------------


def replacements(plan: SurveyPlan, values: dict[str, Any]) -> dict[str, str]:
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


def answer_survey(
    request: HttpRequest,
    *,
    survey: Survey,
    response: Response | None,
    rows: list[dict[str, Any]] | None = None,
    start: Callable[[dict[str, str]], Response],
    here: str,
    thanks: str,
    banner: str = "",
) -> HttpResponse:
    """Show the respondent's current page, or save the posted one and redirect (POST/303/GET).

    ``rows``: the response's saved answers when read with it (``selectors.AnsweringState``).
    ``start(url_params)`` creates the response; the URL parameters that the survey's conditions
    use are read from the link (and kept on the form's address until the response exists)."""
    plan = SurveyPlan.load(survey)  # once per request: every step below reuses it
    requested = _int_or_none(request.POST.get("page")) if request.method == "POST" else None
    params: dict[str, str] = {}
    if response is None:
        names = plan.param_names()
        params = {k: request.GET[k][:100] for k in sorted(names) if k in request.GET}
    position = pages.locate(
        plan=plan, response=response, requested=requested, rows=rows, params=params
    )
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
                start=lambda: start(params),
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
        replacements=replacements(plan, position.values),
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
        "action_url": f"{here}?{urlencode(params)}" if params else here,
        "notice": notice,
        "staff_banner": banner,
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


def _use_language(
    request: HttpRequest, survey: Survey, attributes: dict[str, Any] | None = None
) -> str:
    """Show the page in the survey's version for this customer (``surveys.languages``);
    ``attributes``: the customer's record, read with the invitation."""
    language = languages.choose(request, survey, attributes)
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language


# --- personal link ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@customer_page
def personal(request: HttpRequest, token: str) -> HttpResponse:
    state = _invitation(token)
    if state is None:
        return invalid_link_page(request)
    invitation, response = state.invitation, state.response
    survey = invitation.survey
    language = _use_language(request, survey, state.customer_attributes)
    if response and response.status == ResponseStatus.COMPLETED:
        return already_answered_page(request, survey)
    if not is_open(survey, timezone.now()):
        return closed_page(request, survey)
    return answer_survey(
        request,
        survey=survey,
        response=response,
        rows=state.answer_rows,
        start=lambda params: services.start_response(
            survey=survey,
            invitation=invitation,
            now=timezone.now(),
            url_params=params,
            language=language,
        ),
        here=reverse("surveys:personal", args=[token]),
        thanks=reverse("surveys:personal-thanks", args=[token]),
    )


def _thanks(request: HttpRequest, survey: Survey) -> HttpResponse:
    return render(request, "surveys/thanks.html", {"survey": survey})


@require_http_methods(["GET"])
@customer_page
def personal_thanks(request: HttpRequest, token: str) -> HttpResponse:
    state = _invitation(token)
    if state is None:
        return invalid_link_page(request)
    _use_language(request, state.invitation.survey, state.customer_attributes)
    done = state.response is not None and state.response.status == ResponseStatus.COMPLETED
    if not done:
        return HttpResponseRedirect(reverse("surveys:personal", args=[token]), status=303)
    return _thanks(request, state.invitation.survey)


# --- public link (anonymous; the session remembers the response) ------------------------------


def _session_key(survey: Survey) -> str:
    return f"surveys-public-{survey.id}"


@require_http_methods(["GET", "POST"])
@customer_page
def public(request: HttpRequest, token: str) -> HttpResponse:
    survey, link = _public_target(token)
    if survey is None:
        return invalid_link_page(request)
    language = _use_language(request, survey)
    response_id = request.session.get(_session_key(survey))
    found = (
        selectors.answering_public_response(response_id=response_id, survey=survey)
        if response_id
        else None
    )
    response, rows = found if found is not None else (None, None)
    params_key = _session_key(survey) + "-params"
    if response is None and request.method == "GET" and request.GET:
        # Hidden fields (?store=shibuya&order=A123): the allow-listed ones are kept until the
        # response is created by the first answer.
        allowed = links.clean_url_params(survey=survey, query=request.GET)
        if allowed:
            request.session[params_key] = allowed
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

    def start(params: dict[str, str]) -> Response:
        # The allow-listed parameters kept since the first page, and those the survey's
        # conditions refer to (carried on the form's address).
        created = services.start_response(
            survey=survey,
            invitation=None,
            now=timezone.now(),
            public_link=link,
            url_params={**(request.session.pop(params_key, None) or {}), **params},
            language=language,
        )
        request.session[_session_key(survey)] = created.id
        return created

    return answer_survey(
        request,
        survey=survey,
        response=response,
        rows=rows,
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


# --- embedded NPS widget (an iframe on the allowed origins) -------------------------------------


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def widget(request: HttpRequest, token: str) -> HttpResponse:
    """The NPS question and its follow-up inside a host site's iframe (``widget.js``).

    No cookie is needed (third-party iframes often get none): the customer comes signed by the
    host, and the form carries its own signed token. ``frame-ancestors`` lists the widget's
    allowed origins only."""
    translation.activate("ja")
    nonce = tokens.verify_token(token, tokens.WIDGET)
    item = (
        Widget.objects.select_related("survey", "survey__wave")
        .filter(nonce=nonce, is_active=True)
        .first()
        if nonce
        else None
    )
    if item is None or item.survey.status == SurveyStatus.DRAFT:
        return invalid_link_page(request)
    now = timezone.now()
    context: dict[str, Any] = {"widget": item, "survey": item.survey, "done": False, "error": ""}
    status = 200
    try:
        if request.method == "POST":
            customer = widget_service.read_form_token(
                widget=item, token=request.POST.get("form", "")
            )
            if customer is None and ratelimits.public_start_limited(request, link=item.nonce):
                context["error"] = _("Too many answers in a short time")
                status = 429
            else:
                widget_service.answer_widget(
                    widget=item,
                    customer=customer,
                    score=request.POST.get("score"),
                    text=services.clean_text(request.POST.get("text", ""))[:2000],
                    now=now,
                )
                context["done"] = True
        else:
            customer = widget_service.verify_customer(
                widget=item,
                customer_id=request.GET.get("customer", ""),
                timestamp=request.GET.get("ts", ""),
                signature=request.GET.get("sig", ""),
                now=now,
            )
            if widget_service.already_answered(widget=item, customer=customer):
                context["done"] = True
            context["form_token"] = widget_service.form_token(widget=item, customer=customer)
    except widget_service.Forbidden as exc:
        context["error"], status = exc.message, 403
    except Conflict as exc:
        context["done"] = exc.code == "already_answered"
        context["error"] = "" if context["done"] else exc.message
        status = 200 if context["done"] else 410
    except InvalidInput as exc:
        context["error"], status = exc.message, 400
        context["form_token"] = request.POST.get("form", "")
    context["scores"] = range(11)
    response = render(request, "surveys/widget.html", context, status=status)
    ancestors = " ".join(item.allowed_origins) or "'none'"
    response["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"form-action 'self'; frame-ancestors {ancestors}; base-uri 'none'"
    )
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
