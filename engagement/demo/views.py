"""The home page: the platform's entry points and, when the demo's store survey is open, a way
to answer it as a customer would (「お客様として回答してみる」)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from engagement.demo.services import open_demo_survey
from surveys import tokens


def home(request: HttpRequest) -> HttpResponse:
    survey = open_demo_survey()
    try_url = None
    if survey is not None and survey.public_nonce:
        token = tokens.make_token(survey.public_nonce, tokens.PUBLIC)
        try_url = reverse("surveys:public", args=[token])
    return render(request, "home.html", {"try_survey_url": try_url, "try_survey": survey})
