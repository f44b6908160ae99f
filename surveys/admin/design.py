"""Admin: waves, and the forms and inlines of the survey page (pages, questions, survey
settings, the template and copy forms)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from engagement.platform.errors import DomainError
from surveys import services
from surveys.models import (
    Page,
    Question,
    Response,
    Survey,
    Wave,
)


def has_answers(survey_id: int | None) -> bool:
    return bool(survey_id) and Response.objects.filter(survey_id=survey_id, is_test=False).exists()


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on"]
    search_fields = ["name"]


class PageInline(admin.TabularInline):
    model = Page
    extra = 0
    fields = ["position", "title", "title_en"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not has_answers(
            getattr(obj, "id", None)
        )


class QuestionInlineForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["page", "position", "key", "kind", "role", "required", "text"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.instance.survey_id or self.instance.pk:
            self.instance.required = data.get("required", self.instance.required)
            try:
                services.check_question_change(
                    question=self.instance, changed=list(self.changed_data)
                )
            except DomainError as exc:
                raise ValidationError(exc.message) from exc
        return data


class QuestionInline(admin.TabularInline):
    model = Question
    form = QuestionInlineForm
    extra = 0
    fields = ["page", "position", "key", "kind", "role", "required", "text"]
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and has_answers(obj.id):
            return ["key", "kind", "role"]
        return []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not has_answers(
            getattr(obj, "id", None)
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if db_field.name == "page":
            survey_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Page.objects.filter(survey_id=survey_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SurveyForm(forms.ModelForm):
    other_languages = forms.MultipleChoiceField(
        label=gettext_lazy("other language versions"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(code, name) for code, name in settings.LANGUAGES if code != "ja"],
        help_text=gettext_lazy(
            "Japanese is always offered. The texts of the English version are the “(English)” "
            "fields of pages, questions and choices."
        ),
    )

    class Meta:
        model = Survey
        fields = [
            "title",
            "slug",
            "brand_name",
            "wave",
            "description",
            "thank_you_message",
            "opens_at",
            "closes_at",
            "max_responses",
            "reminder_after_days",
            "contact_interval_days",
            "other_languages",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.instance.pk:
            try:
                services.check_survey_change(survey=self.instance, changed=list(self.changed_data))
            except DomainError as exc:
                raise ValidationError(exc.message) from exc
        return data


class TemplateSurveyForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("title"), max_length=200)
    slug = forms.SlugField(label=gettext_lazy("slug"), max_length=100)
    brand_name = forms.CharField(label=gettext_lazy("brand name"), max_length=100)
    wave = forms.ModelChoiceField(label=gettext_lazy("wave"), queryset=Wave.objects.all())


class CopySurveyForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("title"), max_length=200)
    slug = forms.SlugField(label=gettext_lazy("slug"), max_length=100)
    wave = forms.ModelChoiceField(label=gettext_lazy("wave"), queryset=Wave.objects.all())
