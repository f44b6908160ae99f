"""Staff pages around the inbox (mounted at /admin/triage/): notes, tags, replies, and the
"we heard you" message. Each view checks the permission and the item's visibility, then calls
one service; a ``DomainError`` becomes a message on the page it returns to."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from engagement.platform.errors import DomainError
from voc.models import FeedbackItem, Topic

from . import services
from .selectors import CONTACT_PERM, PERSONAL_DATA_PERM, visible_items

HEARD_YOU_PERM = "triage.send_heard_you"


def _item_or_404(request: HttpRequest, item_id: int) -> FeedbackItem:
    item = visible_items(user=request.user).filter(id=item_id).first()
    if item is None:
        raise Http404
    return item


def _back(item_id: int, anchor: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:voc_feedbackitem_change", args=[item_id]) + anchor)


def _require(request: HttpRequest, *perms: str) -> None:
    if not all(request.user.has_perm(p) for p in perms):
        raise PermissionDenied


@staff_member_required
@require_POST
def add_note(request: HttpRequest, item_id: int) -> HttpResponse:
    _require(request, "triage.add_note", "voc.view_feedbackitem")
    item = _item_or_404(request, item_id)
    parent = request.POST.get("parent") or None
    try:
        note = services.add_note(
            item_id=item.id,
            author=request.user,
            body=request.POST.get("body", ""),
            parent_id=int(parent) if parent and parent.isdigit() else None,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(item.id, "#notes-panel")
    messages.success(request, _("The note was added."))
    return _back(item.id, f"#note-{note.id}")


@staff_member_required
@require_POST
def add_tag(request: HttpRequest, item_id: int) -> HttpResponse:
    _require(request, "voc.change_feedbackitem")
    item = _item_or_404(request, item_id)
    try:
        services.tag_item(item_id=item.id, actor=request.user, name=request.POST.get("name", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(item.id, "#tags-panel")


@staff_member_required
@require_POST
def remove_tag(request: HttpRequest, item_id: int, tag_id: int) -> HttpResponse:
    _require(request, "voc.change_feedbackitem")
    item = _item_or_404(request, item_id)
    services.untag_item(item_id=item.id, actor=request.user, tag_id=tag_id)
    return _back(item.id, "#tags-panel")


@staff_member_required
@require_POST
def reply(request: HttpRequest, item_id: int) -> HttpResponse:
    """One form, three buttons: start a draft from a template, save the draft, send it."""
    _require(request, CONTACT_PERM, PERSONAL_DATA_PERM, "voc.view_feedbackitem")
    item = _item_or_404(request, item_id)
    action = request.POST.get("do")
    try:
        if action == "template":
            template = request.POST.get("template", "")
            services.save_reply_draft(
                item_id=item.id,
                actor=request.user,
                template_id=int(template) if template.isdigit() else None,
            )
            messages.success(
                request,
                _("A draft was created from the template. Check and edit it before sending."),
            )
        elif action in ("save", "send"):
            reply_id = request.POST.get("reply", "")
            draft = services.save_reply_draft(
                item_id=item.id,
                actor=request.user,
                subject=request.POST.get("subject", ""),
                body=request.POST.get("body", ""),
                reply_id=int(reply_id) if reply_id.isdigit() else 0,
            )
            if action == "send":
                services.send_reply(reply_id=draft.id, actor=request.user)
                messages.success(request, _("The reply is being sent to the customer."))
            else:
                messages.success(request, _("The draft was saved."))
        else:
            messages.error(request, _("Unknown action."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(item.id, "#reply-panel")


@staff_member_required
@require_http_methods(["GET", "POST"])
def heard_you(request: HttpRequest) -> HttpResponse:
    """Choose topics, write the message, preview who receives it, send."""
    _require(request, HEARD_YOU_PERM, CONTACT_PERM)
    topics = Topic.objects.filter(is_active=True).order_by("name")
    source = request.POST if request.method == "POST" else request.GET
    topic_ids = [int(t) for t in source.getlist("topics") if t.isdigit()]
    message = source.get("message", "")
    recipients = services.heard_you_recipients(topic_ids=topic_ids) if topic_ids else None
    if request.method == "POST" and request.POST.get("do") == "send":
        try:
            campaign = services.send_heard_you(
                topic_ids=topic_ids, message=message, actor=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if getattr(campaign, "was_created", True):
                messages.success(
                    request,
                    _("The message is being sent to %(count)s customers.")
                    % {"count": campaign.recipients},
                )
            else:
                messages.warning(request, _("This message was already sent for these topics."))
            return HttpResponseRedirect(reverse("admin:triage_heardyoucampaign_changelist"))
    context = {
        "title": _("'We heard you' message"),
        "topics": topics,
        "selected": set(topic_ids),
        "message": message,
        "recipient_count": recipients.count() if recipients is not None else None,
        "preview": list(recipients[:50]) if recipients is not None else [],
        "show_personal": request.user.has_perm(PERSONAL_DATA_PERM),
        "has_permission": True,
        "site_header": _("Engagement platform"),
    }
    return render(request, "triage/heard_you.html", context)
