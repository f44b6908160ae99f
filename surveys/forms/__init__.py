"""Customer-side forms: one form per survey page, built from that page's visible questions.

A package by sub-domain: ``options`` (each kind's options and the field names), ``page`` (the
form that parses a page) and ``display`` (what the template draws); the public names are
importable from ``surveys.forms`` as before.
"""

from surveys.forms.display import Option, Part, QuestionView, question_views
from surveys.forms.options import (
    AGREEMENT_LABELS,
    CES_LABELS,
    LIKERT7_LABELS,
    RATING_LABELS,
    field_name,
    options,
    part_name,
    scale_labels,
)
from surveys.forms.page import NUMBER_KINDS_FORM, FreeTextField, PageForm

__all__ = [
    "AGREEMENT_LABELS",
    "CES_LABELS",
    "LIKERT7_LABELS",
    "NUMBER_KINDS_FORM",
    "RATING_LABELS",
    "FreeTextField",
    "Option",
    "PageForm",
    "Part",
    "QuestionView",
    "field_name",
    "options",
    "part_name",
    "question_views",
    "scale_labels",
]
