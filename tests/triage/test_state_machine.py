"""The triage state machine: legal paths, illegal transitions refused in Japanese, audit trail."""

from __future__ import annotations

import pytest
from django.utils import translation

from engagement.platform.errors import DomainError
from voc.models import TriageState
from voc.triage import services
from voc.triage.models import EventKind, TriageEvent
from voc.triage.services.workflow import TRANSITIONS, IllegalTransition

from .conftest import make_item, make_staff

pytestmark = pytest.mark.django_db


def test_full_path_new_to_resolved_records_who_and_when():
    actor = make_staff("agent1")
    item = make_item()
    for state in ("in_progress", "waiting", "in_progress", "resolved"):
        services.change_state(item_id=item.id, actor=actor, state=state)
    item.refresh_from_db()
    assert item.state == TriageState.RESOLVED
    events = list(TriageEvent.objects.filter(item=item, kind=EventKind.STATE).order_by("id"))
    assert len(events) == 4
    assert all(e.actor == actor and e.created_at is not None for e in events)
    assert events[0].old_value == str(TriageState.NEW.label)
    assert events[-1].new_value == str(TriageState.RESOLVED.label)


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("new", "resolved"),
        ("new", "waiting"),
        ("resolved", "waiting"),
        ("no_action", "resolved"),
        ("waiting", "no_action"),
    ],
)
def test_illegal_transitions_are_refused_with_a_japanese_message(start, target):
    item = make_item(state=start)
    with translation.override("ja"), pytest.raises(IllegalTransition) as caught:
        services.change_state(item_id=item.id, actor=None, state=target)
    assert isinstance(caught.value, DomainError)
    assert caught.value.status_code == 409
    assert "変更できません" in caught.value.message or "できません" in caught.value.message
    item.refresh_from_db()
    assert item.state == start  # nothing half-written
    assert not TriageEvent.objects.filter(item=item).exists()


def test_same_state_and_unknown_state_are_refused():
    item = make_item(state="in_progress")
    with pytest.raises(IllegalTransition):
        services.change_state(item_id=item.id, actor=None, state="in_progress")
    with pytest.raises(DomainError) as caught:
        services.change_state(item_id=item.id, actor=None, state="archived")
    assert caught.value.code == "invalid_state"


def test_every_state_can_be_left_and_resolved_can_be_reopened():
    assert all(TRANSITIONS[state] for state in TriageState.values)
    item = make_item(state="resolved")
    services.change_state(item_id=item.id, actor=None, state="in_progress")
    item.refresh_from_db()
    assert item.state == "in_progress"


def test_update_triage_is_all_or_nothing():
    actor = make_staff("agent2")
    item = make_item()
    # A legal combination changes all fields and logs each change.
    services.update_triage(
        item_id=item.id, actor=actor, state="in_progress", priority=4, owner=actor
    )
    item.refresh_from_db()
    assert (item.state, item.priority, item.owner) == ("in_progress", 4, actor)
    kinds = set(TriageEvent.objects.filter(item=item).values_list("kind", flat=True))
    assert kinds == {EventKind.STATE, EventKind.PRIORITY, EventKind.OWNER}


def test_illegal_change_in_a_combined_update_rolls_back_the_rest():
    actor = make_staff("agent3")
    item = make_item(state="new")
    with pytest.raises(IllegalTransition):
        services.update_triage(
            item_id=item.id, actor=actor, state="resolved", priority=4, owner=actor
        )
    item.refresh_from_db()
    assert (item.state, item.priority, item.owner) == ("new", 2, None)


def test_duplicates_link_to_the_original_and_close():
    actor = make_staff("agent4")
    original, dup, dup_of_dup = make_item(), make_item(), make_item()
    services.mark_duplicate(item_id=dup.id, actor=actor, primary_id=original.id)
    services.mark_duplicate(item_id=dup_of_dup.id, actor=actor, primary_id=dup.id)
    dup.refresh_from_db()
    dup_of_dup.refresh_from_db()
    assert dup.duplicate_of == original and dup.state == "no_action"
    assert dup_of_dup.duplicate_of == original  # never a chain
    with pytest.raises(DomainError):
        services.mark_duplicate(item_id=original.id, actor=actor, primary_id=original.id)


def test_notes_thread_and_mentions_notify_staff(django_capture_on_commit_callbacks, mailoutbox):
    author = make_staff("writer")
    mentioned = make_staff("sato")
    item = make_item()
    with django_capture_on_commit_callbacks(execute=True):
        root = services.add_note(item_id=item.id, author=author, body="@sato 確認お願いします")
        child = services.add_note(
            item_id=item.id, author=mentioned, body="確認しました", parent_id=root.id
        )
    assert child.parent == root
    assert list(root.mentions.all()) == [mentioned]
    assert [m.to for m in mailoutbox] == [["sato@staff.example.jp"]]
    with pytest.raises(DomainError):
        services.add_note(item_id=item.id, author=author, body="   ")
    other = make_item()
    with pytest.raises(DomainError):
        services.add_note(item_id=other.id, author=author, body="x", parent_id=root.id)
