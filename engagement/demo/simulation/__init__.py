"""The demo's model of customers: a latent engagement per customer drives everything.

Pure Python, no database: ``simulate_customer(seed, index)`` returns one customer's plan —
who they are, what they did week by week, how they answered each survey wave, and the feedback
they wrote. ``engagement.demo.services`` writes the plans to the database.

The model, in short (documented so the dashboard's figures can be checked against it):

- Each customer has a latent engagement ``z`` (normal, mean by segment) and one *pain theme*
  (a recurring bad experience, e.g. 配送) whose severity lowers ``z`` while it lasts. The
  delivery problem is fixed on ``FIX_DATE``: afterwards it hurts far less, so the second wave
  is slightly better for that theme.
- Every week an active customer buys (Poisson, rate ∝ e^(0.55 z)), sometimes a related item,
  and shows the other behaviours with rates that rise with ``z`` (referrals, events, SNS,
  upgrades, premium purchases) or fall with it (support contacts, cancellation). Cancelled
  customers may come back (re-activation).
- In each wave's field period, active customers who signed up earlier are invited; engaged
  ones answer more often. NPS, the eight awareness statements and CSAT are noisy readings of
  ``z``. A detractor's open complaint raises their churn hazard for the next 13 weeks; a
  promoter refers friends more in that window. So promoters repeat more and churn less after
  answering, as real data shows.
"""

from .life import simulate_customer
from .plans import AnswerPlan, BehaviourPlan, CustomerPlan, FeedbackPlan
from .timeline import AS_OF, BRAND, FIX_DATE, FIXED_THEME, TOKYO, WAVES, WaveSpec
from .unique import make_texts_unique, planned_dataset, text_key
from .voices import anonymous_sns_posts

__all__ = [
    "AS_OF",
    "BRAND",
    "FIXED_THEME",
    "FIX_DATE",
    "TOKYO",
    "WAVES",
    "AnswerPlan",
    "BehaviourPlan",
    "CustomerPlan",
    "FeedbackPlan",
    "WaveSpec",
    "anonymous_sns_posts",
    "make_texts_unique",
    "planned_dataset",
    "simulate_customer",
    "text_key",
]
