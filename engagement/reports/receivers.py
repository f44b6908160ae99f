"""Reports' part of the customer-value refresh: CKV (``customer_values_refreshed``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from engagement.customers.valuation import customer_values_refreshed


@receiver(customer_values_refreshed, dispatch_uid="reports-refresh-knowledge-values")
def refresh_knowledge_values(sender: Any, **kwargs: Any) -> dict[str, int]:
    from engagement.reports.knowledge import refresh_knowledge_values as refresh

    return {"CKV": refresh()}
