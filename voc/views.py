"""Staff pages for exploring VoC (under /admin/voc/, inside the admin look, in Japanese).

Topic list (volume, share, weekly trend, NPS mix, sentiment mix), topic page (terms, quotes,
items; rename / merge / split / move), keyword search by token with keyword-in-context,
co-occurrence of the top terms, CSV import, and starting a full analysis. Each view checks
the model permission it needs and calls a selector or a service.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from engagement.platform.errors import DomainError
from engagement.platform.masking import mask_for
from engagement.platform.scope import sees_personal_data
from surveys.figures import response_figures
from surveys.filters import AnalysisFilterForm, filter_choices, responses
from voc import impact, selectors, services
from voc.filters import feedback_items
from voc.forms import (
    AnalysisForm,
    ImportForm,
    KeywordForm,
    MergeForm,
    MoveForm,
    RenameForm,
    SplitForm,
)
from voc.models import AnalysisRun, FeedbackItem, Topic

ITEMS_PER_PAGE = 50
COOCCURRENCE_ITEMS = 5_000


def _require(request: HttpRequest, *perms: str) -> None:
    if not request.user.has_perms(perms):
        raise PermissionDenied


def _context(request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    return {
        **admin.site.each_context(request),
        "title": title,
        # Roles without personal data (the product team) see topics and KWIC masked and cannot
        # open an item (the inbox and its customer): links to items are left out for them.
        "can_open_items": request.user.has_perm("voc.view_feedbackitem"),
        **extra,
    }


def _mask_items(user: Any, items: Iterable[FeedbackItem]) -> None:
    """Mask the shown text of ``items`` (in memory, never saved) for a role without personal
    data: names, e-mail, phone and order numbers (``engagement.platform.masking``)."""
    if sees_personal_data(user):
        return
    for item in items:
        item.text = mask_for(user, item.text, customer=item.customer)


@staff_member_required
def topic_list(request: HttpRequest) -> HttpResponse:
    _require(request, "voc.view_topic")
    # The shared filters (the dashboard's, the crosstab's and the reports' query string).
    filter_form = AnalysisFilterForm(request.GET or None, choices=filter_choices(), window=True)
    filters = filter_form.filters()
    rows = selectors.topic_overview(user=request.user, filters=filters)
    peak = max([max(row["trend"]) for row in rows if row["trend"]] or [1]) or 1
    # The one ranking by effect on behaviour (the dashboard and the reports show the same),
    # over what this user may see of the filtered scope.
    answered = responses(filters, user=request.user)
    ranking = impact.cached_rank_topics(
        items=feedback_items(filters, base=selectors.visible_items(request.user)),
        responses=answered,
        window_days=filters.window_days,
    )
    effects = ranking.by_id()
    for row in rows:
        row["spark"] = _sparkline(row["trend"], peak)
        row["effect"] = effects.get(row["topic"].id)
    return render(
        request,
        "voc/topic_list.html",
        _context(
            request,
            _("Topics"),
            rows=rows,
            ranking=ranking,
            form=filter_form,
            figures=response_figures(answered),
            query_string=urlencode(filters.as_query()),
            page="topics",
            run=AnalysisRun.objects.order_by("-started_at", "-id").first(),
            analysis_form=AnalysisForm(initial={"k": selectors.analysis_settings().topic_count}),
            can_change=request.user.has_perm("voc.change_topic"),
        ),
    )


def _sparkline(values: list[int], peak: int, width: int = 96, height: int = 24) -> str:
    if not values:
        return ""
    step = width / max(1, len(values) - 1)
    points = [
        f"{i * step:.1f},{height - (value / peak) * (height - 2) - 1:.1f}"
        for i, value in enumerate(values)
    ]
    return " ".join(points)


@staff_member_required
def topic_detail(request: HttpRequest, topic_id: int) -> HttpResponse:
    _require(request, "voc.view_topic")
    topic = get_object_or_404(Topic, id=topic_id)
    keyword_form = KeywordForm(request.GET or None)
    # The topic list's filters (same query string): the items counted there are listed here.
    filter_form = AnalysisFilterForm(request.GET or None, choices=filter_choices(), window=True)
    filters = filter_form.filters()
    scoped = feedback_items(filters, base=selectors.visible_items(request.user)).filter(topic=topic)
    item_count = scoped.count()
    items = scoped.select_related("customer")
    keyword = ""
    if keyword_form.is_valid():
        keyword = keyword_form.cleaned_data["q"]
        items = selectors.filter_by_keyword(items, keyword)
    items = items.order_by("-received_at", "-id")
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    quotes = selectors.topic_quotes(topic, user=request.user)
    prefetch_related_objects(quotes, "customer")
    _mask_items(request.user, [*quotes, *page.object_list])
    other_topics = Topic.objects.filter(is_active=True).exclude(id=topic.id).order_by("name")
    return render(
        request,
        "voc/topic_detail.html",
        _context(
            request,
            topic.name,
            topic=topic,
            quotes=quotes,
            item_count=item_count,
            form=filter_form,
            query_string=urlencode(filters.as_query()),
            page=page,
            keyword=keyword,
            keyword_form=keyword_form,
            rename_form=RenameForm(initial={"name": topic.name}),
            merge_form=MergeForm(),
            split_form=SplitForm(),
            other_topics=other_topics,
            can_change=request.user.has_perm("voc.change_topic"),
            can_move=request.user.has_perms(["voc.change_topic", "voc.change_feedbackitem"]),
        ),
    )


def _back_to(topic_id: int) -> HttpResponse:
    return redirect(reverse("voc:topic", args=[topic_id]))


@staff_member_required
@require_POST
def topic_rename(request: HttpRequest, topic_id: int) -> HttpResponse:
    _require(request, "voc.change_topic")
    topic = get_object_or_404(Topic, id=topic_id)
    form = RenameForm(request.POST)
    if form.is_valid():
        try:
            services.rename_topic(topic=topic, name=form.cleaned_data["name"])
            messages.success(request, _("The topic was renamed."))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Enter a name for the topic."))
    return _back_to(topic.id)


@staff_member_required
@require_POST
def topic_merge(request: HttpRequest, topic_id: int) -> HttpResponse:
    _require(request, "voc.change_topic")
    topic = get_object_or_404(Topic, id=topic_id)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the topic to merge into."))
        return _back_to(topic.id)
    try:
        target = services.merge_topics(sources=[topic], target=form.cleaned_data["target"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back_to(topic.id)
    messages.success(request, _("The topics were merged."))
    return _back_to(target.id)


@staff_member_required
@require_POST
def topic_split(request: HttpRequest, topic_id: int) -> HttpResponse:
    _require(request, "voc.change_topic", "voc.change_feedbackitem")
    topic = get_object_or_404(Topic, id=topic_id)
    name = request.POST.get("name", "")
    try:
        item_ids = [int(value) for value in request.POST.getlist("items")]
    except ValueError:
        item_ids = []
    item_ids = list(
        selectors.visible_items(request.user).filter(id__in=item_ids).values_list("id", flat=True)
    )
    try:
        new_topic = services.split_topic(topic=topic, item_ids=item_ids, name=name)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back_to(topic.id)
    messages.success(request, _("The chosen items now form a topic of their own."))
    return _back_to(new_topic.id)


@staff_member_required
@require_POST
def item_move(request: HttpRequest) -> HttpResponse:
    _require(request, "voc.change_topic", "voc.change_feedbackitem")
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the topic to move the item to."))
        return redirect(request.POST.get("next") or reverse("voc:topics"))
    item = get_object_or_404(selectors.visible_items(request.user), id=form.cleaned_data["item_id"])
    try:
        services.move_item(item=item, topic=form.cleaned_data["topic"])
        messages.success(request, _("The item was moved; re-runs will keep it there."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back_to(item.topic_id) if item.topic_id else redirect("voc:topics")


@staff_member_required
def search(request: HttpRequest) -> HttpResponse:
    _require(request, "voc.view_topic")
    form = KeywordForm(request.GET or None)
    keyword = form.cleaned_data["q"] if form.is_valid() else ""
    lines: list[dict[str, Any]] = []
    total = 0
    tokens: list[str] = []
    if keyword.strip():
        queryset = selectors.visible_items(request.user).select_related("topic", "customer")
        tokens = selectors.keyword_tokens(keyword)
        total = selectors.filter_by_keyword(queryset, keyword).count()
        user = request.user
        lines = selectors.keyword_in_context(
            queryset,
            keyword,
            width=25,
            limit=100,
            mask=None
            if sees_personal_data(user)
            else lambda item, text: mask_for(user, text, customer=item.customer),
        )
    return render(
        request,
        "voc/search.html",
        _context(
            request,
            _("Keyword search"),
            form=form,
            keyword=keyword,
            tokens=tokens,
            total=total,
            lines=lines,
        ),
    )


def _network(data: dict[str, Any], size: int = 560) -> dict[str, Any]:
    """A circle layout of the terms for the SVG (largest term first, at the top)."""
    terms = data["terms"]
    if not terms:
        return {"nodes": [], "edges": [], "size": size}
    centre = size / 2
    radius = size / 2 - 70
    peak = max(term["count"] for term in terms)
    nodes = {}
    for i, term in enumerate(terms):
        angle = 2 * math.pi * i / len(terms) - math.pi / 2
        nodes[term["term"]] = {
            "term": term["term"],
            "count": term["count"],
            "x": round(centre + radius * math.cos(angle), 1),
            "y": round(centre + radius * math.sin(angle), 1),
            "r": round(6 + 14 * math.sqrt(term["count"] / peak), 1),
        }
        nodes[term["term"]]["ty"] = round(
            nodes[term["term"]]["y"] - nodes[term["term"]]["r"] - 3, 1
        )
    edges = [
        {
            **edge,
            "x1": nodes[edge["source"]]["x"],
            "y1": nodes[edge["source"]]["y"],
            "x2": nodes[edge["target"]]["x"],
            "y2": nodes[edge["target"]]["y"],
            "width": round(0.5 + 6 * edge["jaccard"], 2),
        }
        for edge in data["edges"]
        if edge["jaccard"] >= 0.05
    ]
    return {"nodes": list(nodes.values()), "edges": edges, "size": size}


@staff_member_required
def cooccurrence(request: HttpRequest) -> HttpResponse:
    _require(request, "voc.view_feedbackitem")
    topic = None
    queryset = selectors.visible_items(request.user).exclude(tokenized_at=None)
    topic_id = request.GET.get("topic")
    if topic_id and topic_id.isdigit():
        topic = get_object_or_404(Topic, id=int(topic_id))
        queryset = queryset.filter(topic=topic)
    token_lists = queryset.order_by("-received_at", "-id").values_list("tokens", flat=True)[
        :COOCCURRENCE_ITEMS
    ]
    data = selectors.co_occurrence(token_lists, top=30)
    return render(
        request,
        "voc/cooccurrence.html",
        _context(
            request,
            _("Co-occurrence of the top terms"),
            topic=topic,
            data=data,
            network=_network(data),
            topics=selectors.active_topics(),
            limit=COOCCURRENCE_ITEMS,
        ),
    )


@staff_member_required
def import_csv(request: HttpRequest) -> HttpResponse:
    _require(request, "voc.add_feedbackitem")
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.import_feedback(
                source=upload.read(), skip_bad_rows=form.cleaned_data["skip_bad_rows"]
            )
        except DomainError as exc:
            errors = [str(error) for error in getattr(exc, "errors", [])] or [exc.message]
            messages.error(request, _("The file has errors; nothing was imported."))
        else:
            messages.success(
                request,
                _("%(created)s imported, %(duplicates)s already there, %(skipped)s rows skipped.")
                % {
                    "created": result.created,
                    "duplicates": result.duplicates,
                    "skipped": result.skipped_rows,
                },
            )
            if not result.errors:
                return redirect("voc:import")
            errors = [str(error) for error in result.errors]
    return render(
        request,
        "voc/import.html",
        _context(request, _("Import feedback"), form=form, errors=errors[:200]),
    )


@staff_member_required
@require_POST
def analysis(request: HttpRequest) -> HttpResponse:
    _require(request, "voc.change_topic")
    form = AnalysisForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The number of topics must be between 2 and 50."))
        return redirect("voc:topics")
    services.request_analysis(topic_count=form.cleaned_data["k"])
    messages.success(request, _("The analysis was started; the topics are updated when it ends."))
    return redirect("voc:topics")


SEGMENT_CHOICES = {
    "nps": gettext_lazy("NPS band"),
    "channel": gettext_lazy("Channel"),
    "wave": gettext_lazy("Wave"),
    "store": gettext_lazy("Store"),
}


@staff_member_required
def coding(request: HttpRequest) -> HttpResponse:
    """Coding rules: each active code's frequency by segment (counts and % of the segment),
    and the correspondence-analysis map of words × segments; ``?export=csv`` downloads the
    table."""
    _require(request, "voc.view_feedbackitem")
    segment = request.GET.get("segment", "nps")
    if segment not in SEGMENT_CHOICES:
        segment = "nps"
    queryset = selectors.visible_items(request.user)
    overview = selectors.coding_overview(queryset, segment)
    if request.GET.get("export") == "csv":
        return _coding_csv(overview)
    return render(
        request,
        "voc/coding.html",
        _context(
            request,
            _("Coding rules"),
            overview=overview,
            segment=segment,
            segments=[(key, label) for key, label in SEGMENT_CHOICES.items()],
            segment_name=SEGMENT_CHOICES[segment],
            map_data={
                "words": overview["map"]["words"],
                "segments": overview["map"]["segments"],
                "inertia": overview["map"]["inertia"],
                "labels": {
                    "words": _("Words"),
                    "segments": SEGMENT_CHOICES[segment],
                    "axis": _("Dimension %(number)d (%(share)s%% of inertia)"),
                },
            },
            can_edit=request.user.has_perm("voc.add_codingrule"),
        ),
    )


def _coding_csv(overview: dict[str, Any]) -> HttpResponse:
    import csv
    import io

    from engagement.platform.spreadsheets import cell as csv_cell
    from engagement.platform.spreadsheets import neutralise

    table = overview["table"]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    header = [_("Code")]
    for column in table["segments"]:
        header += [f"{column['name']} ({_('items')})", f"{column['name']} (%)"]
    header += [_("All items"), _("All items") + " (%)"]
    writer.writerow([neutralise(value) for value in header])
    writer.writerow(
        [neutralise(_("Number of items"))]
        + [value for column in table["segments"] for value in (column["n"], "")]
        + [table["n_items"], ""]
    )
    for row in table["rows"]:
        values = [row["code"]]
        for cell in row["cells"]:
            values += [cell["count"], cell["percent"]]
        values += [row["total"]["count"], row["total"]["percent"]]
        writer.writerow([csv_cell(value) for value in values])
    response = HttpResponse(
        buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="coding-{overview["segment"]}.csv"'
    return response
