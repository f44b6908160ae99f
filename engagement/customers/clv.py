"""Predicted customer lifetime value: the BG/NBD and Gamma-Gamma models, fitted by maximum
likelihood with scipy (pure computation on arrays; no database).

- **BG/NBD** (Fader, Hardie and Lee, "Counting Your Customers the Easy Way", Marketing Science
  24(2), 2005): while alive a customer buys at a Poisson rate λ ~ Gamma(r, α); after each
  purchase they drop out with probability p ~ Beta(a, b). A customer is summarised by ``x``
  (repeat purchases), ``t_x`` (time of the last purchase since the first) and ``T`` (time since
  the first purchase). The log-likelihood is equation (6) of the paper; expected purchases in the
  next ``t`` is equation (10); probability alive is equation (A.1)'s ratio.
- **Gamma-Gamma** (Fader and Hardie, "The Gamma-Gamma Model of Monetary Value", 2013): the value
  of each transaction is Gamma(p, ν) with ν ~ Gamma(q, γ); fitted on customers with ``x > 0`` and
  their mean transaction value ``m``; the expected value of a customer's next transactions is
  ``(γ + m x) p / (p x + q − 1)``.
- **Predicted CLV** over a horizon: the expected purchases month by month times the expected
  transaction value, each month discounted at a monthly rate.

pymc-marketing's CLV module implements the same models with Bayesian fits, but it pulls in PyMC,
PyTensor and a C compiler toolchain — too heavy for ``make install`` — so the maximum-likelihood
fit is written here with ``scipy.optimize.minimize`` and ``scipy.special``. Time is in weeks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from django.utils.translation import gettext as _
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

from engagement.platform.errors import DomainError

WEEKS_PER_MONTH = 365.25 / 12 / 7
# Parameters are searched between 1e-4 and 1e6 (log scale): data that fit no heterogeneity at all
# (every customer buying like clockwork) would otherwise drive them to infinity.
BOUNDS = [(np.log(1e-4), np.log(1e6))]


class ModelFitError(DomainError):
    """Too little data to fit a model, or the optimiser did not converge."""

    code = "model_fit_failed"


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @property
    def population_mean(self) -> float | None:
        """Mean transaction value of the population, ``p ν̄``: ``γ p / (q − 1)`` (needs q > 1)."""
        return self.v * self.p / (self.q - 1) if self.q > 1 else None


def _arrays(*values: Any) -> list[np.ndarray]:
    return [np.asarray(v, dtype=float) for v in values]


def bgnbd_log_likelihood(
    params: BgNbdParams, x: Any, t_x: Any, T: Any, weights: Any = None
) -> float:
    """Total log-likelihood of the BG/NBD model (FHL 2005, eq. 6), optionally weighted."""
    x, t_x, T = _arrays(x, t_x, T)
    return float(np.sum(_bgnbd_ll(params.r, params.alpha, params.a, params.b, x, t_x, T, weights)))


def _bgnbd_ll(r, alpha, a, b, x, t_x, T, weights=None) -> np.ndarray:
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    ll = a1 + a2 + np.logaddexp(a3, a4)
    return ll if weights is None else ll * weights


def fit_bgnbd(
    x: Any, t_x: Any, T: Any, weights: Any = None, *, penalizer: float = 0.0
) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters (log-parameterised, Nelder-Mead then L-BFGS-B).

    ``weights`` lets identical (x, t_x, T) rows be passed once with their count. ``penalizer``
    adds ``penalizer × Σ (log θ)²`` to the mean negative log-likelihood: a weak pull towards 1
    that keeps small or very regular data sets from sending the parameters to infinity (0 = the
    plain maximum-likelihood fit, as in the paper).
    """
    x, t_x, T = _arrays(x, t_x, T)
    if x.size == 0 or not np.any(x > 0):
        raise ModelFitError(_("Too few repeat purchases to fit the purchase model."))
    w = None if weights is None else np.asarray(weights, dtype=float)
    total = float(x.size if w is None else w.sum())

    def objective(log_params: np.ndarray) -> float:
        r, alpha, a, b = np.exp(log_params)
        value = -np.sum(_bgnbd_ll(r, alpha, a, b, x, t_x, T, w)) / total
        value += penalizer * float(np.sum(log_params**2))
        return float(value) if np.isfinite(value) else 1e10

    start = np.log([1.0, min(max(float(np.mean(T)), 1e-3), 1e3), 1.0, 1.0])
    result = minimize(
        objective, start, method="Nelder-Mead", bounds=BOUNDS * 4, options={"maxiter": 4000}
    )
    result = minimize(objective, result.x, method="L-BFGS-B", bounds=BOUNDS * 4)
    if not np.all(np.isfinite(result.x)):
        raise ModelFitError(_("The purchase model did not converge."))
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    return BgNbdParams(r=r, alpha=alpha, a=a, b=b)


def expected_purchases(params: BgNbdParams, t: float, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected repeat purchases in the next ``t`` (FHL 2005, eq. 10)."""
    x, t_x, T = _arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if t <= 0:
        return np.zeros_like(x)
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1)
    body = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    return head * body / _alive_denominator(params, x, t_x, T)


def _alive_denominator(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(
            x > 0,
            a / np.maximum(b + x - 1, 1e-300) * ((alpha + T) / (alpha + t_x)) ** (r + x),
            0.0,
        )
    return 1 + odds


def probability_alive(params: BgNbdParams, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """P(alive | x, t_x, T); 1 for a customer with no repeat purchase (the model's assumption:
    drop-out happens only just after a purchase)."""
    x, t_x, T = _arrays(x, t_x, T)
    return 1 / _alive_denominator(params, x, t_x, T)


def expected_purchases_unconditional(params: BgNbdParams, t: float) -> float:
    """E[X(t)] for a new customer (FHL 2005, eq. 9)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + t)
    return float(
        (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))
    )


def _gg_ll(p, q, v, x, m) -> np.ndarray:
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(v + m * x)
    )


def fit_gamma_gamma(x: Any, m: Any, *, penalizer: float = 0.0) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma parameters from customers with ``x > 0`` repeat purchases
    and mean transaction value ``m > 0`` (other rows are ignored); ``penalizer`` as in
    :func:`fit_bgnbd`, on p and q (ν's scale follows the currency)."""
    x, m = _arrays(x, m)
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    if x.size < 3:
        raise ModelFitError(_("Too few repeat purchases with an amount to fit the spend model."))

    def objective(log_params: np.ndarray) -> float:
        p, q, v = np.exp(log_params)
        value = -np.mean(_gg_ll(p, q, v, x, m)) + penalizer * float(np.sum(log_params[:2] ** 2))
        return float(value) if np.isfinite(value) else 1e10

    start = np.log([1.0, 2.0, min(float(np.mean(m)), 1e5)])
    result = minimize(
        objective, start, method="Nelder-Mead", bounds=BOUNDS * 3, options={"maxiter": 4000}
    )
    result = minimize(objective, result.x, method="L-BFGS-B", bounds=BOUNDS * 3)
    p, q, v = (float(value) for value in np.exp(result.x))
    return GammaGammaParams(p=p, q=q, v=v)


def expected_spend(params: GammaGammaParams, x: Any, m: Any) -> np.ndarray:
    """E[M | x, m]: expected value of a customer's future transactions; the population mean for
    customers without repeat purchases (or without amounts)."""
    x, m = _arrays(x, m)
    p, q, v = params.p, params.q, params.v
    mean = params.population_mean
    if mean is None:  # q ≤ 1: the population mean is infinite; fall back to the observed mean
        mean = float(np.mean(m[m > 0])) if np.any(m > 0) else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        conditional = (v + m * x) * p / (p * x + q - 1)
    return np.where((x > 0) & (m > 0) & np.isfinite(conditional), conditional, mean)


def predicted_clv(
    purchase: BgNbdParams,
    spend: GammaGammaParams,
    x: Any,
    t_x: Any,
    T: Any,
    m: Any,
    *,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """(expected purchases over ``months``, discounted value over ``months``) per customer.

    Month ``i``'s expected purchases (the difference of E[Y] at i and i − 1 months) times the
    expected transaction value, divided by ``(1 + rate) ** i``.
    """
    x, t_x, T, m = _arrays(x, t_x, T, m)
    value_per_purchase = expected_spend(spend, x, m)
    value = np.zeros_like(x)
    previous = np.zeros_like(x)
    for month in range(1, months + 1):
        cumulative = expected_purchases(purchase, month * WEEKS_PER_MONTH, x, t_x, T)
        value += (cumulative - previous) * value_per_purchase / (1 + monthly_discount_rate) ** month
        previous = cumulative
    return previous, value
