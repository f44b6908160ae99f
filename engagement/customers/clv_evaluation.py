"""Validation of the CLV models on the CDNOW sample (``tests/data/cdnow_sample.txt``), as in
Fader, Hardie and Lee (2005): calibration 39 weeks (1997-01-01 to 1997-09-30), holdout 39 weeks
(1997-10-01 to 1998-06-30); several purchases on one day count as one transaction.

``manage.py clv_evaluate`` prints the rows of :func:`evaluate` as JSON, one object per line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from engagement.customers import clv

DEFAULT_CDNOW_PATH = Path(__file__).resolve().parents[2] / "tests" / "data" / "cdnow_sample.txt"
CALIBRATION_END = date(1997, 9, 30)  # last day of the calibration period
HOLDOUT_END = date(1998, 6, 30)
PAPER_PARAMS = clv.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


@dataclass
class CdnowSummary:
    x: np.ndarray  # repeat transactions in the calibration period
    t_x: np.ndarray  # weeks from the first to the last calibration transaction
    T: np.ndarray  # weeks from the first transaction to the end of calibration
    m: np.ndarray  # mean value of the repeat calibration transactions (0 when x = 0)
    holdout: np.ndarray  # transactions in the holdout period
    holdout_weeks: float


def load_cdnow(path: Path | str = DEFAULT_CDNOW_PATH) -> CdnowSummary:
    """Per-customer calibration summary and holdout counts from the CDNOW transaction file."""
    days: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    with open(path, encoding="ascii") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) < 5:
                continue
            customer, ymd, amount = fields[0], fields[2], float(fields[4])
            day = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:8]))
            days[customer][day] += amount
    # The end of the calibration period is the end of its last day (the paper's T = 38.86 for a
    # customer first buying on 1 January).
    rows = []
    for customer in sorted(days):
        by_day = days[customer]
        calibration = sorted(d for d in by_day if d <= CALIBRATION_END)
        if not calibration:
            continue
        first = calibration[0]
        repeat = calibration[1:]
        mean = float(np.mean([by_day[d] for d in repeat])) if repeat else 0.0
        rows.append(
            (
                len(repeat),
                (calibration[-1] - first).days / 7,
                (CALIBRATION_END - first).days / 7,
                mean,
                sum(1 for d in by_day if CALIBRATION_END < d <= HOLDOUT_END),
            )
        )
    array = np.array(rows, dtype=float)
    return CdnowSummary(
        x=array[:, 0],
        t_x=array[:, 1],
        T=array[:, 2],
        m=array[:, 3],
        holdout=array[:, 4],
        holdout_weeks=(HOLDOUT_END - CALIBRATION_END).days / 7,
    )


def evaluate(path: Path | str = DEFAULT_CDNOW_PATH, *, max_bucket: int = 7) -> list[dict[str, Any]]:
    """The fit (next to the paper's parameters), the Gamma-Gamma fit and the holdout comparison:
    mean predicted vs actual holdout transactions by number of calibration repeat transactions
    (``max_bucket`` and more in the last row), and the totals."""
    data = load_cdnow(path)
    params = clv.fit_bgnbd(data.x, data.t_x, data.T)
    spend = clv.fit_gamma_gamma(data.x, data.m)
    predicted = clv.expected_purchases(params, data.holdout_weeks, data.x, data.t_x, data.T)
    rows: list[dict[str, Any]] = [
        {
            "row": "bgnbd_fit",
            "customers": int(data.x.size),
            "calibration_repeat_transactions": int(data.x.sum()),
            **{key: round(value, 4) for key, value in params.as_dict().items()},
            "log_likelihood": round(clv.bgnbd_log_likelihood(params, data.x, data.t_x, data.T), 2),
            "paper": PAPER_PARAMS.as_dict(),
            "paper_log_likelihood": round(
                clv.bgnbd_log_likelihood(PAPER_PARAMS, data.x, data.t_x, data.T), 2
            ),
        },
        {
            "row": "gamma_gamma_fit",
            "customers_with_repeat": int((data.x > 0).sum()),
            **{key: round(value, 4) for key, value in spend.as_dict().items()},
            "population_mean_spend": round(spend.population_mean or 0.0, 2),
        },
    ]
    for bucket in range(max_bucket + 1):
        members = data.x >= bucket if bucket == max_bucket else data.x == bucket
        rows.append(
            {
                "row": "holdout",
                "calibration_repeat_transactions": f"{bucket}+" if bucket == max_bucket else bucket,
                "customers": int(members.sum()),
                "actual_mean": round(float(data.holdout[members].mean()), 3),
                "predicted_mean": round(float(predicted[members].mean()), 3),
            }
        )
    rows.append(
        {
            "row": "holdout_total",
            "customers": int(data.x.size),
            "actual": int(data.holdout.sum()),
            "predicted": round(float(predicted.sum()), 1),
            "mean_absolute_error_per_customer": round(
                float(np.abs(predicted - data.holdout).mean()), 3
            ),
        }
    )
    return rows
