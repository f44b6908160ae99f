"""Load the demo data set, the demo admin, the labelled evaluation CSV.

``seed_demo`` writes what ``engagement.demo.simulation`` planned: customers and behaviour
records in bulk, the two survey waves through the surveys app's own services (so responses are
scored and handed to VoC exactly as real answers are), and non-survey feedback.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.customers.models import BehaviourKind, BehaviourRecord, Customer
from engagement.demo.models import DemoDataset
from engagement.demo.simulation import (
    BRAND,
    WAVES,
    AnswerPlan,
    CustomerPlan,
    FeedbackPlan,
    planned_dataset,
)
from engagement.demo.texts import generate_feedback_texts
from engagement.platform.errors import Conflict, InvalidInput
from surveys import services as survey_services
from surveys.models import Question, QuestionKind, QuestionRole, Survey, Wave

MAX_CUSTOMERS = 100_000
BULK_BATCH = 2000
Log = Callable[[str], None]


@dataclass(frozen=True)
class SeedResult:
    created: bool
    dataset: DemoDataset


def seed_demo(*, customers: int = 1000, seed: int = 1, log: Log | None = None) -> SeedResult:
    """Load the demo data set, or return the one already loaded (nothing is duplicated).

    All or nothing: one transaction. VoC ingestion of the survey answers is enqueued through
    the outbox and runs after the commit (inline when Celery is eager).
    """
    log = log or (lambda message: None)
    existing = DemoDataset.objects.order_by("id").first()
    if existing is not None:
        return SeedResult(created=False, dataset=existing)
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise InvalidInput(
            _("The number of customers must be between 1 and %(max)s.") % {"max": MAX_CUSTOMERS}
        )
    plans, posts = planned_dataset(seed, customers)
    ids = [p.external_id for p in plans]
    if any(
        Customer.objects.filter(external_id__in=ids[start : start + 900]).exists()
        for start in range(0, len(ids), 900)
    ):
        raise Conflict(
            _(
                "Customers with the demo data's IDs already exist; the demo data set can only "
                "be loaded into a database without them."
            )
        )
    taken = Survey.objects.filter(slug__in=[w.slug for w in WAVES]).values_list("slug", flat=True)
    if taken:
        raise Conflict(
            _("Surveys with the demo data's slugs already exist: %(slugs)s")
            % {"slugs": ", ".join(sorted(taken))}
        )
    with _fast_sqlite_writes(), transaction.atomic():
        by_index = _create_customers(plans)
        log(_("Customers: %(count)s") % {"count": len(by_index)})
        behaviours = _create_behaviours(plans, by_index, seed=seed)
        log(_("Behaviour records: %(count)s") % {"count": behaviours})
        _link_referrals()
        responses = _run_waves(plans, by_index, log=log)
        feedback = _create_feedback(plans, posts, seed=seed)
        log(_("Feedback items from other channels: %(count)s") % {"count": feedback})
        dataset = DemoDataset.objects.create(
            seed=seed,
            customers=customers,
            summary={
                "customers": len(by_index),
                "behaviours": behaviours,
                "responses": responses,
                "feedback_items": feedback,
            },
        )
    return SeedResult(created=True, dataset=dataset)


REFERRAL_SIGN_UP_DAYS = 30


def _link_referrals() -> int:
    """Give each demo referral the customer it brought in (``attributes.referred_customer``,
    what CRV values): the next customer not yet taken who signed up within 30 days after it.
    Deterministic (no random draw), so the rest of the demo data is unchanged."""
    from datetime import timedelta

    from engagement.customers.models import BehaviourRecord, BuiltinBehaviour

    newcomers = list(
        Customer.objects.filter(signed_up_on__isnull=False)
        .order_by("signed_up_on", "external_id")
        .values_list("id", "external_id", "signed_up_on")
    )
    referrals = list(
        BehaviourRecord.objects.filter(kind_id=BuiltinBehaviour.REFERRAL).order_by(
            "occurred_at", "id"
        )
    )
    taken: set[int] = set()
    start = 0
    linked = []
    for record in referrals:
        day = timezone.localtime(record.occurred_at).date()
        while start < len(newcomers) and newcomers[start][2] < day:
            start += 1
        for pk, external_id, signed_up_on in newcomers[start:]:
            if signed_up_on > day + timedelta(days=REFERRAL_SIGN_UP_DAYS):
                break
            if pk not in taken and pk != record.customer_id:
                taken.add(pk)
                record.attributes = {**record.attributes, "referred_customer": external_id}
                linked.append(record)
                break
    BehaviourRecord.objects.bulk_update(linked, ["attributes"], batch_size=BULK_BATCH)
    return len(linked)


@contextmanager
def _fast_sqlite_writes() -> Iterator[None]:
    """On SQLite, skip the fsync of each commit while loading (``PRAGMA synchronous=OFF``, this
    connection only, restored afterwards). The demo data can always be generated again, and the
    per-answer VoC tasks commit hundreds of times. PostgreSQL is left alone."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:  # (can't change it then)
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        previous = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA synchronous=OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={previous:d}")


def _create_customers(plans: list[CustomerPlan]) -> dict[int, Customer]:
    Customer.objects.bulk_create(
        [
            Customer(
                external_id=p.external_id,
                segment=p.segment,
                attributes=p.attributes,
                signed_up_on=p.signed_up_on,
                name=p.name,
                email=p.email,
                contact_allowed=p.contact_allowed,
            )
            for p in plans
        ],
        batch_size=BULK_BATCH,
    )
    by_external = {}
    ids = [p.external_id for p in plans]
    for start in range(0, len(ids), 900):
        for customer in Customer.objects.filter(external_id__in=ids[start : start + 900]):
            by_external[customer.external_id] = customer
    return {p.index: by_external[p.external_id] for p in plans}


def _create_behaviours(
    plans: list[CustomerPlan], by_index: dict[int, Customer], *, seed: int
) -> int:
    kinds = {k.code: k for k in BehaviourKind.objects.all()}
    count = 0
    batch: list[BehaviourRecord] = []
    for p in plans:
        customer = by_index[p.index]
        for n, b in enumerate(p.behaviours):
            batch.append(
                BehaviourRecord(
                    customer=customer,
                    kind=kinds[b.kind],
                    occurred_at=b.at,
                    amount=b.amount,
                    touchpoint=b.touchpoint,
                    event_id=f"demo-{seed}-{p.external_id}-{n}",
                    attributes=b.attributes,
                )
            )
        if len(batch) >= BULK_BATCH:
            BehaviourRecord.objects.bulk_create(batch, batch_size=BULK_BATCH)
            count += len(batch)
            batch = []
    BehaviourRecord.objects.bulk_create(batch, batch_size=BULK_BATCH)
    return count + len(batch)


# --- survey waves -------------------------------------------------------------------------------


def _run_waves(plans: list[CustomerPlan], by_index: dict[int, Customer], *, log: Log) -> int:
    total = 0
    for wave_index, spec in enumerate(WAVES):
        wave, _created = Wave.objects.get_or_create(
            name=spec.name, defaults={"starts_on": spec.starts_on, "ends_on": spec.ends_on}
        )
        survey = survey_services.create_template_survey(
            title=spec.title, brand_name=BRAND, wave=wave, slug=spec.slug
        )
        survey.opens_at, survey.closes_at = spec.field_start, spec.field_end
        survey.save(update_fields=["opens_at", "closes_at", "updated_at"])
        survey_services.open_survey(survey=survey, now=spec.field_start)
        invited = [by_index[p.index] for p in plans if wave_index in p.invited]
        invitations = {
            invitation.customer_id: invitation
            for invitation, _token in survey_services.create_invitations(
                survey=survey, customers=invited, now=spec.field_start
            )
        }
        questions = list(Question.objects.filter(survey=survey).prefetch_related("choices"))
        answers = sorted(
            ((a, p) for p in plans for a in p.answers if a.wave == wave_index),
            key=lambda pair: (pair[0].at, pair[1].index),
        )
        for answer, p in answers:
            survey_services.submit_response(
                survey=survey,
                invitation=invitations[by_index[p.index].id],
                answers=answer_values(questions, answer),
                now=answer.at,
                touchpoint=answer.touchpoint,
            )
        survey_services.close_survey(survey=survey)
        categories = Counter(a.category for a, _p in answers)
        nps = (categories["promoter"] - categories["detractor"]) * 100 / max(len(answers), 1)
        log(
            _("%(wave)s: %(invited)s invited, %(answered)s answered")
            % {"wave": spec.name, "invited": len(invitations), "answered": len(answers)}
            + f" (NPS {nps:+.1f})"
        )
        total += len(answers)
    return total


def _shown(question: Question, category: str, values: dict[str, Any]) -> bool:
    condition = question.show_if or {}
    if not condition:
        return True
    if "nps_category" in condition:
        wanted = condition["nps_category"]
        return category in (wanted if isinstance(wanted, list) else [wanted])
    if "choice" in condition:
        picked = values.get(condition.get("question", ""))
        picked = picked if isinstance(picked, list) else [picked]
        return condition["choice"] in picked
    return True


def answer_values(questions: Iterable[Question], answer: AnswerPlan) -> dict[str, Any]:
    """``{question key: value}`` for one planned answer, by the questions' roles (so it follows
    the template survey whatever its keys are)."""
    values: dict[str, Any] = {}
    category = answer.category
    reason_given = ideas_given = False
    for q in questions:
        if q.role == QuestionRole.NPS:
            values[q.key] = answer.nps
        elif q.role == QuestionRole.AWARENESS and q.awareness_item in answer.awareness:
            values[q.key] = answer.awareness[q.awareness_item]
        elif q.role == QuestionRole.CSAT:
            values[q.key] = answer.csat
        elif q.role == QuestionRole.TOUCHPOINT:
            options = [c.value for c in q.choices.all()]
            if options:
                values[q.key] = answer.touchpoint if answer.touchpoint in options else options[0]
    for q in questions:
        if q.key in values or not _shown(q, category, values):
            continue
        if q.role == QuestionRole.NPS_REASON and answer.reason and not reason_given:
            values[q.key], reason_given = answer.reason[2], True
        elif q.role == QuestionRole.IDEAS and answer.ideas and not ideas_given:
            values[q.key], ideas_given = answer.ideas[2], True
        elif q.required:
            values[q.key] = _default_value(q)
    return values


def _default_value(question: Question) -> Any:
    """A neutral answer to a required question the demo model knows nothing about."""
    if question.kind == QuestionKind.NPS:
        return 7
    if question.kind in (QuestionKind.AGREEMENT, QuestionKind.RATING):
        return 3
    choices = [c.value for c in question.choices.all()]
    if question.kind == QuestionKind.MULTIPLE_CHOICE:
        return choices[:1]
    if question.kind == QuestionKind.SINGLE_CHOICE:
        return choices[0] if choices else ""
    return "特になし"


# --- feedback from other channels ---------------------------------------------------------------


def _create_feedback(plans: list[CustomerPlan], posts: list[FeedbackPlan], *, seed: int) -> int:
    """Support inquiries, reviews and SNS posts, through the VoC app's own CSV import (the same
    path a company's exports take), so they are de-duplicated, analysed and triaged like any
    imported feedback. The touchpoint goes into the item's attributes (an extra CSV column)."""
    from voc.services import import_feedback

    rows: list[tuple[FeedbackPlan, str]] = [(f, p.external_id) for p in plans for f in p.feedback]
    rows += [(f, "") for f in posts]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["text", "channel", "received_at", "customer_external_id", "rating", "external_id",
         "touchpoint"]
    )  # fmt: skip
    for f, customer in sorted(rows, key=lambda row: row[0].at):
        writer.writerow(
            [
                f.text,
                f.channel,
                f.at.isoformat(),
                customer,
                "" if f.rating is None else f.rating,
                f"demo-{seed}-{f.external_id}",
                f.touchpoint,
            ]
        )
    result = import_feedback(source=buffer.getvalue().encode("utf-8"))
    return result.created


# --- demo accounts and files --------------------------------------------------------------------


ADMIN_DISPLAY_NAME = "山本 彩"


def ensure_demo_admin(*, username: str = "admin") -> tuple[AbstractBaseUser, str]:
    """Create (or reuse) the superuser ``username`` and give it a fresh random password.

    Its display name (``first_name``, family name first as written in Japanese) is what replies
    are signed with, never the login name."""
    password = secrets.token_urlsafe(12)
    user_model = get_user_model()
    with transaction.atomic():
        user, _created = user_model.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.jp"}
        )
        user.is_staff = user.is_superuser = user.is_active = True
        if not user.get_full_name():
            user.first_name = ADMIN_DISPLAY_NAME
        user.set_password(password)
        user.save()
    return user, password


def export_demo_feedback(*, path: Path, items: int = 1500, seed: int = 0) -> int:
    """Write ``text,label`` rows (label = theme code) from the demo text generator."""
    if items < 1:
        raise InvalidInput(_("The number of items must be at least 1."))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for theme, text, _sentiment in generate_feedback_texts(items, seed):
            writer.writerow([text, theme])
    return items
