"""Forms of the VoC staff pages (validation of input only; the services do the work)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from voc.models import Topic

MAX_UPLOAD = 20 * 1024 * 1024


class KeywordForm(forms.Form):
    q = forms.CharField(label=_("Keyword"), max_length=100, required=False)


class RenameForm(forms.Form):
    name = forms.CharField(label=_("New name"), max_length=200)


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Merge into"), queryset=Topic.objects.filter(is_active=True, is_other=False)
    )


class SplitForm(forms.Form):
    name = forms.CharField(label=_("Name of the new topic"), max_length=200)
    item_ids = forms.CharField(widget=forms.HiddenInput, required=False)
    items = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label=pgettext_lazy("feedback to move", "Items")
    )


class MoveForm(forms.Form):
    item_id = forms.IntegerField(widget=forms.HiddenInput)
    topic = forms.ModelChoiceField(
        label=_("Move to"), queryset=Topic.objects.filter(is_active=True)
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or Excel (.xlsx) file"))
    skip_bad_rows = forms.BooleanField(
        label=_("Import the good rows and skip the rows with errors"), required=False
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is too large (20 MB at most)."))
        return upload


class AnalysisForm(forms.Form):
    k = forms.IntegerField(
        label=_("Number of topics (empty: automatic)"), min_value=2, max_value=50, required=False
    )
