"""Writes of the analysis pages: saved views."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.db import transaction
from django.utils.translation import gettext as _

from engagement.dashboard.models import SavedView, SavedViewPage
from engagement.platform.errors import DomainError
from surveys.filters import FILTER_NAMES, PARAM_PREFIX
from surveys.links import PARAMETER_KEY

SHARED = {*FILTER_NAMES, "window"}
ALLOWED_PARAMETERS = {
    SavedViewPage.DASHBOARD: SHARED,
    SavedViewPage.COMPARE: {
        *(f"{side}_{name}" for side in ("a", "b") for name in FILTER_NAMES), *FILTER_NAMES,
    },
    SavedViewPage.CROSSTAB: {*FILTER_NAMES, "rows", "columns", "percent"},
    SavedViewPage.TOPICS: SHARED,
    SavedViewPage.REPORTS: SHARED,
}  # fmt: skip


def _allowed(page: SavedViewPage, key: str) -> bool:
    """The page's own parameters and the shared filters' URL parameters (``param_store``, and
    ``a_param_store`` on a comparison side)."""
    if key in ALLOWED_PARAMETERS[page]:
        return True
    if page == SavedViewPage.COMPARE and key[:2] in ("a_", "b_"):
        key = key[2:]
    name = key.removeprefix(PARAM_PREFIX)
    return key.startswith(PARAM_PREFIX) and bool(PARAMETER_KEY.match(name))


class SavedViewError(DomainError):
    pass


def _clean_query(page: str, query: str) -> str:
    pairs = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=False)
        if v and _allowed(SavedViewPage(page), k)
    ]
    return urlencode(sorted(pairs))


@transaction.atomic
def save_view(*, owner: Any, name: str, page: str, query: str, shared: bool) -> SavedView:
    """Save (or overwrite, by name) the owner's view of ``page`` with the filters in ``query``."""
    name = name.strip()
    if not name:
        raise SavedViewError(_("Give the view a name."))
    if len(name) > 100:
        raise SavedViewError(_("The name is too long (100 characters at most)."))
    if page not in SavedViewPage.values:
        raise SavedViewError(_("This page cannot be saved as a view."))
    cleaned = _clean_query(page, query)
    if len(cleaned) > 2000:
        raise SavedViewError(_("The filters are too long to be saved."))
    view, _created = SavedView.objects.update_or_create(
        owner=owner, page=page, name=name, defaults={"query": cleaned, "shared": shared}
    )
    return view


@transaction.atomic
def delete_view(*, owner: Any, view_id: int) -> None:
    """Delete one of the owner's saved views (someone else's is not found)."""
    deleted, _rows = SavedView.objects.filter(owner=owner, pk=view_id).delete()
    if not deleted:
        raise SavedViewError(_("There is no such saved view of yours."))
