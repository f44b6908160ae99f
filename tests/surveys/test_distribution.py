from __future__ import annotations

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from engagement.customers.models import Customer
from surveys import services
from surveys.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Invitation,
    InvitationStatus,
)

from .conftest import FULL_ANSWERS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.surveys.urls")]


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the outbox's after-commit sends as a committed transaction would, with the tasks
    executed in-process (unit tests; the real broker and worker are in test_integration)."""
    from engagement.celery import app

    was_eager = app.conf.task_always_eager
    app.conf["CELERY_TASK_ALWAYS_EAGER"] = True  # the namespaced key is the one Celery reads

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    yield run
    app.conf["CELERY_TASK_ALWAYS_EAGER"] = was_eager


def _customers(n, **kw):
    return [
        Customer.objects.create(
            external_id=f"D-{i}", email=f"d{i}@example.jp", contact_allowed=True, **kw
        )
        for i in range(n)
    ]


class FlakyBackend:
    """Fails the first ``fail_times`` sends, then delivers to the locmem outbox."""

    fail_times = 1
    calls = 0

    def __init__(self, *args, **kwargs):
        from django.core.mail.backends.locmem import EmailBackend

        self.inner = EmailBackend(*args, **kwargs)

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        FlakyBackend.calls += 1
        if FlakyBackend.calls <= FlakyBackend.fail_times:
            raise ConnectionRefusedError("SMTP server refused the connection")
        return self.inner.send_messages(messages)


def test_invitation_emails_are_sent_once_with_link_and_unsubscribe(survey, run_on_commit):
    customers = _customers(3)
    no_email = Customer.objects.create(external_id="D-x", contact_allowed=True)
    not_allowed = Customer.objects.create(external_id="D-n", email="n@example.jp")
    services.create_invitations(
        survey=survey, customers=[*customers, no_email, not_allowed], now=timezone.now()
    )
    # Eager Celery in unit tests: the outbox sends right after commit.
    assert run_on_commit(services.queue_invitation_emails, survey=survey, now=timezone.now()) == 3
    assert sorted(m.to[0] for m in mail.outbox) == [
        "d0@example.jp",
        "d1@example.jp",
        "d2@example.jp",
    ]
    body = mail.outbox[0].body
    assert "/s/" in body and "/u/" in body and "アンケート" in mail.outbox[0].subject
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 3
    assert Invitation.objects.filter(status=InvitationStatus.SENT).count() == 3
    # again: nothing new, and delivering a sent one again sends nothing
    assert run_on_commit(services.queue_invitation_emails, survey=survey, now=timezone.now()) == 0
    d = Delivery.objects.first()
    assert services.deliver(delivery_id=d.id) == DeliveryStatus.SENT
    assert len(mail.outbox) == 3


@override_settings(EMAIL_BACKEND="tests.surveys.test_distribution.FlakyBackend")
def test_failed_send_is_recorded_with_reason_and_retried(survey, run_on_commit):
    FlakyBackend.calls, FlakyBackend.fail_times = 0, 1
    [customer] = _customers(1)
    services.create_invitations(survey=survey, customers=[customer], now=timezone.now())
    run_on_commit(services.queue_invitation_emails, survey=survey, now=timezone.now())
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "SMTP server refused" in delivery.error and delivery.attempts == 1
    assert len(mail.outbox) == 0
    # not yet due (waits 1 minute after the first attempt)
    assert run_on_commit(services.retry_failed_deliveries, now=timezone.now()) == 0
    later = timezone.now() + timezone.timedelta(minutes=2)
    assert run_on_commit(services.retry_failed_deliveries, now=later) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert len(mail.outbox) == 1
    assert run_on_commit(services.retry_failed_deliveries, now=later) == 0


def test_unsubscribe_is_honoured_even_for_queued_sends(survey):
    [customer] = _customers(1)
    [(invitation, _)] = services.create_invitations(
        survey=survey, customers=[customer], now=timezone.now()
    )
    delivery = Delivery.objects.create(invitation=invitation, kind=DeliveryKind.INVITATION)
    services.unsubscribe(invitation=invitation, now=timezone.now())
    assert services.deliver(delivery_id=delivery.id) == DeliveryStatus.SKIPPED
    assert len(mail.outbox) == 0


def test_contact_frequency_rule(survey, wave, run_on_commit):
    [customer] = _customers(1)
    other = services.create_template_survey(
        title="前回", brand_name="さくらカフェ", wave=wave, slug="previous"
    )
    [(prev, _)] = services.create_invitations(
        survey=other, customers=[customer], now=timezone.now()
    )
    Invitation.objects.filter(id=prev.id).update(
        sent_at=timezone.now() - timezone.timedelta(days=10)
    )
    services.create_invitations(survey=survey, customers=[customer], now=timezone.now())
    assert (
        run_on_commit(services.queue_invitation_emails, survey=survey, now=timezone.now()) == 0
    )  # 30-day rule
    later = timezone.now() + timezone.timedelta(days=21)
    assert run_on_commit(services.queue_invitation_emails, survey=survey, now=later) == 1


def test_reminders_after_n_days_only_to_those_who_did_not_answer(survey, run_on_commit):
    answered, silent = _customers(2)
    pairs = services.create_invitations(
        survey=survey, customers=[answered, silent], now=timezone.now()
    )
    run_on_commit(services.queue_invitation_emails, survey=survey, now=timezone.now())
    run_on_commit(
        services.submit_response,
        survey=survey,
        invitation=pairs[0][0],
        answers=FULL_ANSWERS,
        now=timezone.now(),
    )
    mail.outbox.clear()
    assert services.queue_reminders(survey=survey, now=timezone.now()) == 0  # too early
    week = timezone.now() + timezone.timedelta(days=survey.reminder_after_days, minutes=1)
    result = run_on_commit(services.run_distribution, now=week)
    assert result["reminders"] == 1
    assert [m.to[0] for m in mail.outbox] == [silent.email]
    assert "再送" in mail.outbox[0].subject
    assert services.queue_reminders(survey=survey, now=week) == 0  # one reminder only


def test_run_distribution_closes_surveys_past_their_date(survey, run_on_commit):
    survey.closes_at = timezone.now()
    survey.save()
    run_on_commit(services.run_distribution, now=timezone.now() + timezone.timedelta(seconds=1))
    survey.refresh_from_db()
    assert survey.status == "closed"
