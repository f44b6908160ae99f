"""「セグメントで招待」: pick customers by behaviour, NPS history, channel opt-in, store and
segment, see the count and a sample, then invite them (admin view of the survey)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engagement.platform.errors import DomainError
from engagement.platform.masking import mask_for
from surveys.models import DeliveryChannel, NpsCategory, Survey
from surveys.segments import ALL_CHANNELS, NEVER, Segment, answered_stores, preview
from surveys.services.segments import invite_segment
from surveys.services.sending import usable_channels


class SegmentForm(forms.Form):
    purchased_within_days = forms.IntegerField(
        label=gettext_lazy("Purchased within (days)"), min_value=1, max_value=3650, required=False
    )
    no_purchase_for_days = forms.IntegerField(
        label=gettext_lazy("No purchase for (days)"), min_value=1, max_value=3650, required=False
    )
    min_spend = forms.IntegerField(
        label=gettext_lazy("Spend over the last year at least (yen)"), min_value=0, required=False
    )
    max_spend = forms.IntegerField(
        label=gettext_lazy("Spend over the last year at most (yen)"), min_value=0, required=False
    )
    buyers = forms.ChoiceField(
        label=gettext_lazy("Purchases"),
        required=False,
        choices=[
            ("", gettext_lazy("Any")),
            ("none", gettext_lazy("No purchase yet")),
            ("one", gettext_lazy("One purchase")),
            ("repeat", gettext_lazy("Repeat buyers (2 or more)")),
        ],
    )
    nps = forms.MultipleChoiceField(
        label=gettext_lazy("Latest NPS answer"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[*NpsCategory.choices, (NEVER, gettext_lazy("Never answered"))],
    )
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Reachable on"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("email", gettext_lazy("E-mail (contact allowed, an address)")),
            ("line", gettext_lazy("LINE (linked, not blocked)")),
            ("sms", gettext_lazy("SMS (agreed, not opted out)")),
        ],
        help_text=gettext_lazy(
            "Customers reachable on at least one ticked channel. Untick all: no channel condition "
            "(those who cannot be reached are held back when sending)."
        ),
    )
    store = forms.CharField(label=gettext_lazy("Store code"), max_length=100, required=False)
    answered_store = forms.ChoiceField(
        label=gettext_lazy("Store link of the latest answer"), required=False, choices=()
    )
    segment = forms.CharField(label=gettext_lazy("Customer segment"), max_length=50, required=False)
    include_churned = forms.BooleanField(
        label=gettext_lazy("Include churned customers"),
        required=False,
        help_text=gettext_lazy(
            "Churned: cancelled, with neither a purchase nor a re-activation since. Left out by "
            "default."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answered_store"].choices = [
            ("", _("Any")),
            *((code, code) for code in answered_stores()),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("min_spend"), data.get("max_spend")
        if low is not None and high is not None and low > high:
            self.add_error("max_spend", _("The maximum must not be below the minimum."))
        return data

    def segment_value(self) -> Segment:
        data = self.cleaned_data
        return Segment(
            purchased_within_days=data.get("purchased_within_days"),
            no_purchase_for_days=data.get("no_purchase_for_days"),
            min_spend=data.get("min_spend"),
            max_spend=data.get("max_spend"),
            buyers=data.get("buyers") or "",
            nps=tuple(data.get("nps") or ()),
            channels=tuple(data.get("channels") or ()),
            store=(data.get("store") or "").strip(),
            answered_store=data.get("answered_store") or "",
            segment=(data.get("segment") or "").strip(),
            include_churned=bool(data.get("include_churned")),
        )


def segment_view(model_admin: Any, request: HttpRequest, pk: int) -> HttpResponse:
    """GET with criteria: the count and a sample; POST (``invite``): create the invitations."""
    if not request.user.has_perm("surveys.add_invitation"):
        raise PermissionDenied
    survey = get_object_or_404(Survey, pk=pk)
    source = request.POST if request.method == "POST" else request.GET
    form = SegmentForm(source if source else None, initial={"channels": list(ALL_CHANNELS)})
    result = None
    if form.is_bound and form.is_valid():
        segment = form.segment_value()
        if request.method == "POST":
            try:
                invited = invite_segment(survey=survey, segment=segment)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "%(count)s customers were invited. The e-mails go out with the survey's "
                        "next distribution run."
                    )
                    % {"count": f"{invited:,}"},
                )
                return HttpResponseRedirect(
                    reverse("admin:surveys_survey_change", args=[survey.pk])
                )
        result = preview(segment=segment, survey_id=survey.pk)
        labels = dict(DeliveryChannel.choices)
        for customer in result.sample:
            customer.shown_name = mask_for(request.user, customer.name, customer=customer)
            customer.reachable_on = ", ".join(
                str(labels[c]) for c in usable_channels(customer, ALL_CHANNELS)
            )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Invite by segment: %(survey)s") % {"survey": survey.title},
        "form": form,
        "result": result,
        "survey": survey,
        "opts": model_admin.model._meta,
        "query": request.GET.urlencode(),
    }
    return render(request, "surveys/admin/segment_invite.html", context)
