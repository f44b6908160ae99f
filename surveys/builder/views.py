"""Builder pages (staff, in the admin's look): the survey's structure with reordering (drag and
drop, or the 上へ/下へ buttons), the question and page forms, the preview (phone or desktop size)
and the test link (answers marked as tests, never counted). No business logic: forms parse,
``surveys.builder.services`` write, refusals are shown with their reason."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.platform.errors import DomainError
from engagement.platform.forms import add_domain_error
from surveys import views as customer_views
from surveys.builder import services
from surveys.builder.forms import PageForm, QuestionForm
from surveys.flow import SurveyPlan
from surveys.forms import question_views
from surveys.models import Page, Question, QuestionWording, Response, ResponseStatus, Survey
from surveys.services import start_response
from surveys.validation import validate_survey


def _can_change(request: HttpRequest) -> None:
    if not request.user.has_perm("surveys.change_survey"):
        raise PermissionDenied


def _can_view(request: HttpRequest) -> None:
    if not request.user.has_perm("surveys.view_survey"):
        raise PermissionDenied


def _context(request: HttpRequest, admin_site: Any, survey: Survey, title: str) -> dict:
    return {
        **admin_site.each_context(request),
        "title": title,
        "survey": survey,
        "opts": Survey._meta,
        "builder_url": reverse("admin:surveys_survey_builder", args=[survey.pk]),
    }


def builder(request: HttpRequest, pk: int, *, admin_site: Any) -> HttpResponse:
    _can_view(request)
    survey = get_object_or_404(Survey, pk=pk)
    if request.method == "POST":
        _can_change(request)
        return _builder_action(request, survey)
    plan = SurveyPlan.read(survey)
    pages = [{"page": p, "questions": plan.questions.get(p.id, [])} for p in plan.pages]
    archived = list(survey.questions.filter(archived_at__isnull=False).order_by("key"))
    context = {
        **_context(
            request, admin_site, survey, _("Survey builder: %(title)s") % {"title": survey.title}
        ),
        "pages": pages,
        "problems": validate_survey(survey),
        "archived": archived,
        "wordings": list(
            QuestionWording.objects.filter(question__survey=survey)
            .select_related("question")
            .order_by("question__key", "replaced_at", "id")
        ),
        "has_answers": services.has_real_answers(survey),
    }
    return render(request, "surveys/builder/builder.html", context)


def _builder_action(request: HttpRequest, survey: Survey) -> HttpResponse:
    here = reverse("admin:surveys_survey_builder", args=[survey.pk])
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
            order = [(int(p["page"]), [int(q) for q in p["questions"]]) for p in body["order"]]
            services.reorder(survey=survey, order=order)
        except (ValueError, KeyError, TypeError):
            return JsonResponse({"error": _("The order could not be read.")}, status=400)
        except DomainError as exc:
            return JsonResponse({"error": exc.message}, status=400)
        return JsonResponse({"ok": True})
    action = request.POST.get("action", "")
    now = timezone.now()
    try:
        if action == "add_page":
            services.add_page(survey=survey)
        elif action in ("page_up", "page_down", "delete_page"):
            page = get_object_or_404(Page, pk=request.POST.get("page"), survey=survey)
            if action == "delete_page":
                services.delete_page(page=page)
            else:
                services.move_page(page=page, direction=-1 if action == "page_up" else 1)
        elif action in ("up", "down", "delete"):
            question = get_object_or_404(Question, pk=request.POST.get("question"), survey=survey)
            if action == "delete":
                services.delete_question(question=question, now=now)
            else:
                services.move_question(question=question, direction=-1 if action == "up" else 1)
        else:
            return HttpResponse(status=400)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return HttpResponseRedirect(here)


def question(
    request: HttpRequest, pk: int, question_id: int | None = None, *, admin_site: Any
) -> HttpResponse:
    _can_change(request)
    survey = get_object_or_404(Survey, pk=pk)
    instance = (
        get_object_or_404(Question, pk=question_id, survey=survey, archived_at__isnull=True)
        if question_id
        else None
    )
    initial = {"page": request.GET.get("page")} if instance is None else None
    form = QuestionForm(request.POST or None, survey=survey, question=instance, initial=initial)
    if request.method == "POST":
        _can_change(request)
        if form.is_valid():
            page, fields, choices = form.result()
            if not form.errors:
                try:
                    services.save_question(
                        survey=survey,
                        page=page,
                        question=instance,
                        fields=fields,
                        choices=choices,
                        now=timezone.now(),
                    )
                except DomainError as exc:
                    add_domain_error(form, exc)
                else:
                    messages.success(request, _("The question was saved."))
                    return HttpResponseRedirect(
                        reverse("admin:surveys_survey_builder", args=[survey.pk])
                    )
    title = _("Edit question") if instance else _("Add a question")
    context = {**_context(request, admin_site, survey, title), "form": form, "question": instance}
    return render(request, "surveys/builder/question.html", context)


def page(request: HttpRequest, pk: int, page_id: int, *, admin_site: Any) -> HttpResponse:
    _can_change(request)
    survey = get_object_or_404(Survey, pk=pk)
    instance = get_object_or_404(Page, pk=page_id, survey=survey)
    form = PageForm(request.POST or None, page=instance)
    if request.method == "POST":
        _can_change(request)
        if form.is_valid():
            title, show_if, jumps = form.result()
            if not form.errors:
                try:
                    services.update_page(
                        page=instance,
                        title=title,
                        title_en=form.cleaned_data.get("title_en", ""),
                        show_if=show_if,
                        jumps=jumps,
                    )
                except DomainError as exc:
                    add_domain_error(form, exc)
                else:
                    messages.success(request, _("The page was saved."))
                    return HttpResponseRedirect(
                        reverse("admin:surveys_survey_builder", args=[survey.pk])
                    )
    context = {
        **_context(request, admin_site, survey, _("Page %(n)d") % {"n": instance.position}),
        "form": form,
        "page": instance,
    }
    return render(request, "surveys/builder/page.html", context)


def preview(request: HttpRequest, pk: int, *, admin_site: Any) -> HttpResponse:
    """Any page of any survey as a customer sees it (all its questions), phone or desktop size."""
    _can_view(request)
    survey = get_object_or_404(Survey, pk=pk)
    plan = SurveyPlan.read(survey)
    if not plan.pages:
        messages.error(request, _("The survey has no pages yet."))
        return HttpResponseRedirect(reverse("admin:surveys_survey_builder", args=[survey.pk]))
    try:
        position = int(request.GET.get("page", plan.pages[0].position))
    except ValueError:
        position = plan.pages[0].position
    current = plan.page_at(position) or plan.pages[0]
    size = "desktop" if request.GET.get("size") == "desktop" else "phone"
    views = question_views(
        plan.questions.get(current.id, []),
        form=None,
        saved={},
        replacements=customer_views.replacements(plan, {}),
    )
    index = plan.pages.index(current)
    context = {
        "survey": survey,
        "page": current,
        "questions": views,
        "step": index + 1,
        "total": len(plan.pages),
        "is_first": index == 0,
        "is_last": index == len(plan.pages) - 1,
        "action_url": "",
        "preview": True,
        "size": size,
        "preview_pages": plan.pages,
        "preview_url": reverse("admin:surveys_survey_preview", args=[survey.pk]),
        "test_url": reverse("admin:surveys_survey_test", args=[survey.pk]),
        "builder_url": reverse("admin:surveys_survey_builder", args=[survey.pk]),
    }
    response = render(request, "surveys/page.html", context)
    response["Cache-Control"] = "no-store"
    return response


def test_link(request: HttpRequest, pk: int, *, admin_site: Any) -> HttpResponse:
    """Answer the survey as a customer would, through every branch; the response is marked as a
    test (``Response.is_test``) and never counted. Works on a draft survey too."""
    _can_change(request)
    survey = get_object_or_404(Survey.objects.select_related("wave"), pk=pk)
    key = f"surveys-test-{survey.pk}"
    here = reverse("admin:surveys_survey_test", args=[survey.pk])
    if request.GET.get("restart"):
        request.session.pop(key, None)
        return HttpResponseRedirect(here)
    response = (
        Response.objects.filter(id=request.session.get(key), survey=survey, is_test=True).first()
        if request.session.get(key)
        else None
    )
    banner = _("Test answer: it is marked as a test and never counted.")
    if response and response.status == ResponseStatus.TEST_DONE:
        return render(
            request,
            "surveys/thanks.html",
            {"survey": survey, "staff_banner": banner, "restart_url": f"{here}?restart=1"},
        )

    def start(params: dict[str, str]) -> Response:
        created = start_response(
            survey=survey, invitation=None, now=timezone.now(), url_params=params, is_test=True
        )
        request.session[key] = created.id
        return created

    return customer_views.answer_survey(
        request,
        survey=survey,
        response=response,
        start=start,
        here=here,
        thanks=here,
        banner=banner,
    )
