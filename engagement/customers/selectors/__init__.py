"""Reads of the engagement core: behaviour outcomes, engagement metrics, customers.

Everything is computed in the database (aggregate/annotate); a zero denominator is ``None``.
"""

from engagement.customers.selectors.customers import average_clv, customer_values, with_values
from engagement.customers.selectors.metrics import (
    Ltv,
    behaviour_shares,
    churn_rate,
    ltv,
    repeat_rate,
    repeat_rate_within_period,
)
from engagement.customers.selectors.outcomes import (
    CHURN_KINDS,
    PURCHASE_KINDS,
    REFERRAL_KINDS,
    REVIEW_KINDS,
    Outcomes,
    behaviour_outcomes,
    behaviour_outcomes_by,
    compare_outcomes,
)

__all__ = [
    "CHURN_KINDS",
    "PURCHASE_KINDS",
    "REFERRAL_KINDS",
    "REVIEW_KINDS",
    "Ltv",
    "Outcomes",
    "average_clv",
    "behaviour_outcomes",
    "behaviour_outcomes_by",
    "behaviour_shares",
    "churn_rate",
    "compare_outcomes",
    "customer_values",
    "ltv",
    "repeat_rate",
    "repeat_rate_within_period",
    "with_values",
]
