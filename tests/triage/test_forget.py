"""Forgetting a customer (APPI/GDPR) also erases the replies that carried their name and address."""

from __future__ import annotations

import pytest
from django.utils import timezone

from engagement.customers.services import forget_customer
from voc.triage.models import Reply

from .conftest import make_customer, make_item

pytestmark = pytest.mark.django_db


def test_forgetting_a_customer_erases_their_replies_but_keeps_the_record():
    customer = make_customer()
    other = make_customer()
    item = make_item(customer=customer)
    other_item = make_item(customer=other)
    reply = Reply.objects.create(
        item=item, subject="ご意見のお礼", body=f"{customer.name}様", to_email=customer.email
    )
    kept = Reply.objects.create(
        item=other_item, subject="ご意見のお礼", body=f"{other.name}様", to_email=other.email
    )

    forget_customer(customer=customer, now=timezone.now())

    reply.refresh_from_db()
    assert (reply.subject, reply.body, reply.to_email) == ("", "", "")
    assert Reply.objects.filter(id=reply.id).exists()  # the history that a reply was sent stays
    kept.refresh_from_db()
    assert kept.body == f"{other.name}様" and kept.to_email == other.email
    item.refresh_from_db()
    assert item.text == ""
