"""Numbers in the admin's change lists are written as every page writes them: counts with
separators, yen as ¥22,450, decimals rounded; the columns still sort by their field."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_change_lists_format_counts_yen_and_decimals(admin_client) -> None:
    from engagement.customers.models import BehaviourRecord, Customer
    from engagement.customers.services import ensure_builtin_behaviour_kinds
    from engagement.demo.models import DemoDataset
    from surveys.models import Response, Survey, Wave
    from voc.models import AnalysisRun

    ensure_builtin_behaviour_kinds()
    customer = Customer.objects.create(external_id="C-1")
    BehaviourRecord.objects.create(
        customer=customer, kind_id="purchase", occurred_at=timezone.now(), amount=22450
    )
    AnalysisRun.objects.create(started_at=timezone.now(), n_items=43954, n_topics=12)
    DemoDataset.objects.create(seed=1, customers=1500)
    wave = Wave.objects.create(name="W", starts_on=date(2026, 4, 1), ends_on=date(2026, 9, 30))
    survey = Survey.objects.create(title="S", slug="s", brand_name="B", wave=wave)
    Response.objects.create(survey=survey, awareness_index=43.95454)

    behaviours = admin_client.get("/admin/engagement/behaviourrecord/").content.decode()
    assert "¥22,450" in behaviours and ">22450<" not in behaviours
    runs = admin_client.get("/admin/voc/analysisrun/").content.decode()
    assert "43,954" in runs
    assert "1,500" in admin_client.get("/admin/demo/demodataset/").content.decode()
    responses = admin_client.get("/admin/surveys/response/").content.decode()
    assert ">44.0<" in responses and "43.95454" not in responses
    # the formatted column still sorts by its field
    ordered = admin_client.get("/admin/engagement/behaviourrecord/?o=4")
    assert ordered.status_code == 200 and "¥22,450" in ordered.content.decode()
