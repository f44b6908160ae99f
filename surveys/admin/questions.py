"""Admin: questions, their choices and conditional display; edits that would break collected
answers are refused with the reason."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engagement.platform.errors import DomainError
from surveys import services
from surveys.admin.design import has_answers
from surveys.models import (
    Choice,
    NpsCategory,
    Question,
)
from surveys.validation import validate_question_change


class QuestionForm(forms.ModelForm):
    show_if_question = forms.CharField(
        label=gettext_lazy("show only if: question key"),
        required=False,
        help_text=gettext_lazy("Key of a question on an earlier page. Leave empty to always show."),
    )
    show_if_nps_category = forms.ChoiceField(
        label=gettext_lazy("…its NPS answer is"),
        required=False,
        choices=[("", "—"), *NpsCategory.choices],
    )
    show_if_choice = forms.CharField(
        label=gettext_lazy("…or this choice was picked (value)"), required=False
    )

    class Meta:
        model = Question
        fields = [
            "survey",
            "page",
            "position",
            "key",
            "kind",
            "role",
            "awareness_item",
            "text",
            "text_en",
            "help_text",
            "help_text_en",
            "required",
            "max_length",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        show_if = self.instance.show_if or {}
        self.initial.setdefault("show_if_question", show_if.get("question", ""))
        self.initial.setdefault("show_if_nps_category", show_if.get("nps_category", ""))
        self.initial.setdefault("show_if_choice", show_if.get("choice", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        source_key = (data.get("show_if_question") or "").strip()
        category = data.get("show_if_nps_category") or ""
        choice = (data.get("show_if_choice") or "").strip()
        show_if: dict[str, Any] = {}
        if source_key:
            survey, page = data.get("survey"), data.get("page")
            source = (
                Question.objects.filter(survey=survey, key=source_key)
                .select_related("page")
                .first()
            )
            if source is None:
                self.add_error("show_if_question", _("There is no question with this key."))
            elif page is not None and source.page.position >= page.position:
                self.add_error(
                    "show_if_question",
                    _("The condition must refer to a question on an earlier page."),
                )
            if bool(category) == bool(choice):
                self.add_error(
                    "show_if_nps_category", _("Choose either an NPS category or a choice.")
                )
            show_if = {"question": source_key}
            if category:
                show_if["nps_category"] = category
            if choice:
                show_if["choice"] = choice
        self.instance.show_if = show_if
        if data.get("page") and data.get("survey") and data["page"].survey_id != data["survey"].id:
            self.add_error("page", _("This page belongs to another survey."))
        try:
            services.check_question_change(question=self.instance, changed=list(self.changed_data))
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        if not self.errors and data.get("survey") and data.get("page") and data.get("key"):
            for name in ("survey", "page", "key", "kind"):
                setattr(self.instance, name, data[name])
            problems = validate_question_change(self.instance)
            if problems:
                raise ValidationError([p.message for p in problems])
        return data


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0
    fields = ["position", "value", "label", "label_en"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["value"] if obj is not None and has_answers(obj.survey_id) else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not (
            obj is not None and has_answers(obj.survey_id)
        )


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionForm
    list_display = ["key", "survey", "page", "position", "kind", "role", "required"]
    list_filter = ["survey", "kind", "role"]
    search_fields = ["key", "text"]
    inlines = [ChoiceInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "survey",
                    "page",
                    "position",
                    "key",
                    "kind",
                    "role",
                    "awareness_item",
                    "required",
                    "max_length",
                ]
            },
        ),
        (gettext_lazy("Wording"), {"fields": ["text", "text_en", "help_text", "help_text_en"]}),
        (
            gettext_lazy("Conditional display"),
            {"fields": ["show_if_question", "show_if_nps_category", "show_if_choice"]},
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and has_answers(obj.survey_id):
            return ["survey", "key", "kind", "role", "awareness_item"]
        return []

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is not None and has_answers(obj.survey_id) and request.method == "GET":
            messages.warning(
                request,
                _(
                    "This survey already has answers: the question's key, kind and role and its "
                    "choices' values are locked, and it cannot be deleted, so collected answers "
                    "stay valid. Wording and help text can still be corrected."
                ),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not (
            obj is not None and has_answers(obj.survey_id)
        )
