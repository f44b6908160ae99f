"""The home page: the platform's entry points and, when the demo's survey is open, a way to
answer it as a customer would (「お客様として回答してみる」)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from engagement.demo.services import open_demo_survey
from surveys import tokens
from surveys.models import Invitation


def home(request: HttpRequest) -> HttpResponse:
    """With the demo's open survey: the next unanswered personal link of a demo customer (so
    that staff can then reply to the answer; a customer who allowed contact), and the store's
    public link (anonymous)."""
    survey = open_demo_survey()
    try_url = public_path = None
    if survey is not None:
        invitation = (
            Invitation.objects.filter(survey=survey, answered_at__isnull=True)
            .order_by("id")
            .first()
        )
        if invitation is not None:
            token = tokens.make_token(invitation.nonce, tokens.PERSONAL)
            try_url = reverse("surveys:personal", args=[token])
        if survey.public_nonce:
            token = tokens.make_token(survey.public_nonce, tokens.PUBLIC)
            public_path = reverse("surveys:public", args=[token])
        try_url = try_url or public_path
    return render(
        request,
        "home.html",
        {"try_survey_url": try_url, "try_survey": survey, "public_survey_url": public_path},
    )
