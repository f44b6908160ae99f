"""Customer CSV columns for SMS: ``mobile_phone`` (Japanese or E.164, stored as E.164) and
``sms_allowed``; a bad number is reported by row and column in Japanese, nothing written."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone, translation

from engagement.customers import imports
from engagement.customers.models import Customer, ImportKind
from engagement.platform.csvfiles import CsvFileError

pytestmark = pytest.mark.django_db


def run(text: str):
    return imports.import_csv(
        io.BytesIO(text.encode()), kind=ImportKind.CUSTOMERS, now=timezone.now()
    )


def test_mobile_phone_is_stored_as_e164_with_consent():
    result = run(
        "external_id,mobile_phone,sms_allowed,phone\r\n"
        "M1,090-1234-5678,はい,03-1111-2222\r\n"
        "M2,＋８１ ８０ ９８７６ ５４３２,いいえ,\r\n"
        "M3,,,\r\n"
    )
    assert result.errors == [] and result.created == 3
    m1, m2, m3 = Customer.objects.order_by("external_id")
    assert (m1.phone, m1.sms_allowed) == ("+819012345678", True)
    assert m1.attributes == {"phone": "03-1111-2222"}  # an attribute, as before
    assert (m2.phone, m2.sms_allowed) == ("+818098765432", False)
    assert m3.phone == ""


def test_a_bad_number_is_refused_in_japanese_and_nothing_written():
    with translation.override("ja"), pytest.raises(CsvFileError) as refused:
        run("external_id,mobile_phone\r\nM9,12-34\r\n")
    assert Customer.objects.count() == 0
    message = str(refused.value)
    assert "「mobile_phone」列" in message and "「12-34」は電話番号ではありません" in message
