"""The dashboard's part of the customer-value refresh: CIV (``customer_values_refreshed``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.utils.translation import gettext as _

from engagement.customers.valuation import customer_values_refreshed


@receiver(customer_values_refreshed, dispatch_uid="dashboard-refresh-influence-values")
def refresh_influence_values(sender: Any, **kwargs: Any) -> dict[str, int]:
    from engagement.dashboard import values

    return {
        "CIV": values.refresh_influence_values(),
        _("latest answers"): values.refresh_latest_answers(),
    }
