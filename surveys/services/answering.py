"""Answering: partial answers saved page by page, then one submit that scores the response.

A link answers once. The second submit of the same link, even racing the first, gets
``Conflict`` ("already answered"): every page save and the submit first claim the response row
with ``UPDATE … WHERE status = 'in_progress'``, which locks it for the transaction (a racing
request waits, then finds it completed and matches nothing), so only an in-progress response is
changed or completed; and the database allows one response per invitation (one-to-one). We
chose "already answered" over "edit until closed": scores are computed once and stored, and VoC
analysis starts from the submitted text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.customers.models import Touchpoint
from engagement.platform import outbox
from engagement.platform.errors import Conflict, InvalidInput
from surveys import scoring
from surveys.flow import PARAM_PREFIX, SurveyPlan, answer_value, other_text_key
from surveys.links import PublicLink
from surveys.models import (
    NUMBER_KINDS,
    OTHER_VALUE,
    TEXT_KINDS,
    Answer,
    Invitation,
    InvitationStatus,
    Question,
    QuestionKind,
    QuestionRole,
    Response,
    ResponseStatus,
    Survey,
    SurveyStatus,
)
from surveys.services.announcements import announce_completed

# C0 and C1 control characters except tab and line feed; CR is dropped (browsers send CRLF for a
# typed line break, so the text keeps the LF the customer typed).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Free text exactly as typed (emoji, full-/half-width kept; no normalisation), minus
    control characters."""
    return _CONTROL.sub("", text.replace("\r\n", "\n"))


def is_open(survey: Survey, now: datetime) -> bool:
    if survey.status != SurveyStatus.OPEN:
        return False
    if survey.opens_at and now < survey.opens_at:
        return False
    return not (survey.closes_at and now >= survey.closes_at)


def _check_open(survey: Survey, now: datetime) -> None:
    if not is_open(survey, now):
        raise Conflict(_("This survey is closed."), code="survey_closed")


def _validate(question: Question, value: Any) -> tuple[int | None, str, Any] | None:
    """(number, text, choices) for a valid value, None for "not answered"; raises InvalidInput."""

    def invalid(message: str) -> InvalidInput:
        return InvalidInput(message, fields={question.key: [message]})

    if value is None or value == "" or value == [] or value == {}:
        return None
    kind = question.kind
    if kind in NUMBER_KINDS:
        low, high = question.number_range() or (0, 0)
        message = (
            _("Please enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
            if kind == QuestionKind.NUMBER
            else _("Please choose one of the options.")
        )
        try:
            if isinstance(value, bool):
                raise TypeError
            number = int(value)
            if isinstance(value, float) and value != number:
                raise ValueError
        except (TypeError, ValueError):
            raise invalid(message) from None
        if not low <= number <= high:
            raise invalid(message)
        return number, "", []
    if kind in TEXT_KINDS:
        if not isinstance(value, str):
            raise invalid(_("Please enter text."))
        text = clean_text(value)
        if len(text) > question.max_length:
            raise invalid(
                _("Please keep your answer within %(limit)s characters (now %(count)s).")
                % {"limit": question.max_length, "count": len(text)}
            )
        if not text.strip():
            return None
        return None, text, []
    if kind == QuestionKind.DATE:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            raise invalid(_("Please enter a date such as 2026-04-01.")) from None
        return None, day.isoformat(), []
    if kind == QuestionKind.MATRIX:
        rows = {r["value"] for r in question.matrix_rows()}
        if not isinstance(value, Mapping) or any(str(k) not in rows for k in value):
            raise invalid(_("Please choose one of the options."))
        picked: dict[str, int] = {}
        for row, number in value.items():
            if number in (None, ""):
                continue
            try:
                n = int(number)
            except (TypeError, ValueError):
                raise invalid(_("Please choose one of the options.")) from None
            if isinstance(number, bool) or not 1 <= n <= question.points:
                raise invalid(_("Please choose one of the options."))
            picked[str(row)] = n
        if not picked:
            return None
        return None, "", picked
    allowed = {c.value for c in question.choices.all()}
    if question.allows_other:
        allowed.add(OTHER_VALUE)
    picked_values = value if isinstance(value, list | tuple) else [value]
    picked_values = [str(v) for v in picked_values]
    single = kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.DROPDOWN)
    if single and len(picked_values) != 1:
        raise invalid(_("Please choose one of the options."))
    if any(v not in allowed for v in picked_values):
        raise invalid(_("Please choose one of the options."))
    if kind == QuestionKind.RANKING and (
        len(picked_values) != len(allowed) or set(picked_values) != allowed
    ):
        raise invalid(_("Please give each option a different rank."))
    return None, "", list(dict.fromkeys(picked_values))


ANSWER_ROW_FIELDS = ("question_id", "number", "text", "choices")
ANSWER_WRITE_FIELDS = (
    "created_at", "updated_at", "response", "question", "number", "text", "choices"
)  # fmt: skip


def answer_rows(response: Response) -> list[dict[str, Any]]:
    """The saved answers of ``response`` as ``ANSWER_ROW_FIELDS`` dicts (one query)."""
    return list(response.answers.order_by("question_id").values(*ANSWER_ROW_FIELDS))


def _current_values(
    response: Response, plan: SurveyPlan, rows: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """``{question key: value}`` of the saved answers; ``rows`` when already read
    (``answer_rows`` or ``surveys.selectors.answering_invitation``)."""
    by_id = {q.id: q for q in plan.all_questions()}
    values: dict[str, Any] = {
        PARAM_PREFIX + str(k): v for k, v in (response.url_params or {}).items()
    }
    for a in answer_rows(response) if rows is None else rows:
        q = by_id.get(a["question_id"])
        if q is not None:
            values[q.key] = answer_value(
                q, number=a["number"], text=a["text"], choices=a["choices"] or []
            )
            if q.allows_other and a["text"]:
                values[other_text_key(q)] = a["text"]
    return values


def start_response(
    *,
    survey: Survey,
    invitation: Invitation | None,
    now: datetime,
    public_link: PublicLink | None = None,
    url_params: Mapping[str, str] | None = None,
    is_test: bool = False,
    language: str = "",
) -> Response:
    """The in-progress response of ``invitation`` (created on first use); a new anonymous
    response for a public link (``invitation=None``), with the store or campaign link it came
    through and its URL parameters (already cleaned). ``is_test``: a staff test through the
    test link (any status of survey; never counted). ``language``: the version shown."""
    params = dict(url_params or {})
    if is_test:
        return Response.objects.create(
            survey=survey,
            is_test=True,
            survey_version=survey.version,
            url_params=params,
            language=language,
        )
    _check_open(survey, now)
    if invitation is None:
        return Response.objects.create(
            survey=survey,
            survey_version=survey.version,
            public_link=public_link if public_link and public_link.survey_id == survey.id else None,
            url_params=params,
            language=language,
        )
    # Insert first, read only when it exists (one-to-one): one statement for a new respondent.
    # Outside a transaction the INSERT commits on its own; inside one it needs a savepoint so
    # that the transaction survives the IntegrityError.
    fields = {
        "survey": survey,
        "invitation": invitation,
        "customer_id": invitation.customer_id,
        "survey_version": survey.version,
        "url_params": params,
        "language": language,
    }
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                return Response.objects.create(**fields)
        return Response.objects.create(**fields)
    except IntegrityError:  # it exists already, or a concurrent request created it first
        return Response.objects.get(invitation=invitation)


def save_answers(
    *,
    response: Response,
    values: Mapping[str, Any],
    now: datetime,
    page_position: int | None = None,
    plan: SurveyPlan | None = None,
) -> Response:
    """Save (replace) the answers in ``values`` on an in-progress response; remember the page.

    Every value is validated first: on ``InvalidInput`` (naming each bad field) nothing is saved.
    """
    plan = plan or SurveyPlan.load(response.survey)
    by_key = plan.by_key()
    errors: dict[str, list[str]] = {}
    cleaned: dict[Question, tuple[int | None, str, Any] | None] = {}
    for key, value in values.items():
        question = by_key.get(key)
        if question is None and key.endswith(".other") and key[:-6] in by_key:
            continue  # the 「その他」 text, taken with its question below
        if question is None:
            errors[key] = [_("There is no such question in this survey.")]
            continue
        try:
            parsed = _validate(question, value)
        except InvalidInput as exc:
            errors.update(exc.fields)
            continue
        if parsed is not None and question.allows_other:
            other = clean_text(str(values.get(other_text_key(question)) or ""))
            if OTHER_VALUE in parsed[2]:
                if not other.strip():
                    message = _("Please tell us what 「Other」 is.")
                    errors[question.key] = [message]
                    continue
                parsed = (parsed[0], other[: question.max_length], parsed[2])
        cleaned[question] = parsed
    if errors:
        raise InvalidInput(_("Some answers need your attention."), fields=errors)
    connection = transaction.get_connection()
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if own_transaction and connection.vendor == "postgresql" and _async_page_saves():
            # A page of partial answers does not wait for the disk (~8 ms on this busy disk →
            # ~1 ms): after a database crash the last fraction of a second of page saves may be
            # missing (the respondent resumes a page earlier), never half-written. The submit
            # (``complete_response``) waits as every other write, and flushes these with it.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        locked = _claim_in_progress(response, page_position=page_position, now=now)
        if not locked.is_test:  # the survey this request read; raising rolls back
            _check_open(plan.survey, now)
        cleared = [question.id for question, parsed in cleaned.items() if parsed is None]
        if cleared:
            Answer.objects.filter(response=locked, question_id__in=cleared).delete()
        given = [
            (question.id, *parsed) for question, parsed in cleaned.items() if parsed is not None
        ]
        if given:  # one statement for the page: insert, or replace an earlier answer
            _upsert_answers(response_id=locked.id, given=given)
    return locked


def _upsert_answers(
    *, response_id: int, given: list[tuple[int, int | None, str, list[str]]]
) -> None:
    """Insert the page's answers ``(question id, number, text, choices)``, replacing earlier
    answers to the same questions: one ``INSERT … ON CONFLICT (response, question) DO UPDATE``
    (PostgreSQL and SQLite).

    Written as SQL from the model's own table and column names: ``bulk_create`` with
    ``update_conflicts`` produces the same statement but cost ~2 ms of CPU a page to build
    (``bench submit``), more than the database spends on it.
    """
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    meta = Answer._meta
    fields = [meta.get_field(name) for name in ANSWER_WRITE_FIELDS]
    now = fields[0].get_db_prep_value(timezone.now(), connection)
    choices = meta.get_field("choices")
    params: list[Any] = []
    for question_id, number, text, picked in given:
        params += [now, now, response_id, question_id, number, text]
        params.append(choices.get_db_prep_value(picked, connection))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    replaced = ("number", "text", "choices", "updated_at")
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * len(given))} "
        f"ON CONFLICT ({quote(meta.get_field('response').column)}, "
        f"{quote(meta.get_field('question').column)}) DO UPDATE SET "
        + ", ".join(
            f"{quote(meta.get_field(n).column)} = EXCLUDED.{quote(meta.get_field(n).column)}"
            for n in replaced
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _async_page_saves() -> bool:
    return bool(getattr(settings, "SURVEYS_ASYNC_PAGE_SAVES", True))


def _claim_in_progress(response: Response, *, page_position: int | None, now: datetime) -> Response:
    """Lock ``response`` for this transaction if it is still in progress, remembering the page.

    One ``UPDATE … WHERE status = 'in_progress'`` both takes the row lock (a racing submit waits
    for it, then sees the new status) and checks the status; only when it matches no row is the
    response read to say why (already answered, or the survey closed meanwhile).
    """
    changes: dict[str, Any] = {"updated_at": timezone.now()}
    if page_position is not None:
        changes["current_page"] = page_position
    if not _update_if_in_progress(response_id=response.id, changes=changes):
        locked = (
            Response.objects.select_for_update(of=("self",))
            .select_related("survey")
            .get(id=response.id)
        )
        if locked.status != ResponseStatus.IN_PROGRESS:
            raise Conflict(_("This survey has already been answered."), code="already_answered")
        if not locked.is_test:
            _check_open(locked.survey, now)
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(changes))
        return locked
    for name, value in changes.items():
        setattr(response, name, value)
    response.status = ResponseStatus.IN_PROGRESS
    return response


def _update_if_in_progress(*, response_id: int, changes: dict[str, Any]) -> bool:
    """``UPDATE`` the response with ``changes`` if it is in progress; whether it was.

    The same statement as ``filter(id=…, status=IN_PROGRESS).update(**changes)``, written from
    the model's names: the ORM took ~0.7 ms of CPU a page to build it (``bench submit``).
    """
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    meta = Response._meta
    assignments, params = [], []
    for name, value in changes.items():
        field = meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_value(value, connection))
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} "  # noqa: S608
        f"WHERE {quote(meta.pk.column)} = %s AND {quote(meta.get_field('status').column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, response_id, str(ResponseStatus.IN_PROGRESS)])
        return cursor.rowcount == 1


def complete_response(
    *, response: Response, now: datetime, touchpoint: str = "", plan: SurveyPlan | None = None
) -> Response:
    """Submit: check required answers, drop answers to questions that ended up hidden, score,
    store, and enqueue VoC ingestion. Raises ``Conflict`` when already answered."""
    plan = plan or SurveyPlan.load(response.survey)
    with transaction.atomic():
        # Locked and checked in one statement; a racing submit waits here, then is refused.
        locked = _claim_in_progress(response, page_position=None, now=now)
        if not locked.is_test:
            _check_open(plan.survey, now)
            _check_limit(plan.survey)
        rows = answer_rows(locked)
        values = _current_values(locked, plan, rows)
        visible = {
            q.id: q for p in plan.visible_pages(values) for q in plan.visible_questions(p, values)
        }
        missing = {
            q.key: [_("Please answer this question.")]
            for q in visible.values()
            if q.required and values.get(q.key) in (None, "", [])
        }
        if missing:
            raise InvalidInput(_("Some answers need your attention."), fields=missing)
        hidden = [row["question_id"] for row in rows if row["question_id"] not in visible]
        if hidden:  # answers to questions that ended up hidden (read under the lock above)
            Answer.objects.filter(response=locked, question_id__in=hidden).delete()
        values = {k: v for k, v in values.items() if any(q.key == k for q in visible.values())}
        _score(locked, plan, values, touchpoint)
        locked.submitted_at = now
        fields = [*SCORE_FIELDS, "status", "submitted_at", "updated_at"]
        if locked.is_test:  # marked, never counted: not "completed", no analysis
            locked.status = ResponseStatus.TEST_DONE
            locked.save(update_fields=fields)
            return locked
        locked.status = ResponseStatus.COMPLETED
        locked.save(update_fields=fields)
        _close_when_full(plan.survey)
        if locked.invitation_id:
            Invitation.objects.filter(id=locked.invitation_id).update(
                status=InvitationStatus.ANSWERED, answered_at=now, updated_at=now
            )
        outbox.enqueue(
            task_name="voc.ingest_response",
            kwargs={"response_id": locked.id},
            dedup_key=f"ingest-response-{locked.id}",
        )
        announce_completed(response=locked, values=values)
    return locked


SCORE_FIELDS = (
    "nps_score", "nps_category", "csat_score", "empathy_index", "attachment_index",
    "awareness_index", "touchpoint",
)  # fmt: skip


def _check_limit(survey: Survey) -> None:
    """Refuse an answer beyond the survey's ``max_responses`` (the survey row is locked, so two
    last answers racing cannot both get in)."""
    if not survey.max_responses:
        return
    Survey.objects.select_for_update().filter(id=survey.id).first()
    done = Response.objects.filter(survey=survey, status=ResponseStatus.COMPLETED).count()
    if done >= survey.max_responses:
        raise Conflict(_("This survey is closed."), code="survey_closed")


def _close_when_full(survey: Survey) -> None:
    if not survey.max_responses:
        return
    done = Response.objects.filter(survey=survey, status=ResponseStatus.COMPLETED).count()
    if done >= survey.max_responses:
        Survey.objects.filter(id=survey.id, status=SurveyStatus.OPEN).update(
            status=SurveyStatus.CLOSED, updated_at=timezone.now()
        )


def _score(
    response: Response, plan: SurveyPlan, values: Mapping[str, Any], touchpoint: str
) -> None:
    nps = csat = None
    items: dict[str, int | None] = {}
    chosen_touchpoint = ""
    for q in plan.all_questions():
        value = values.get(q.key)
        if q.role == QuestionRole.NPS and q.kind == QuestionKind.NPS and nps is None:
            nps = value
        elif q.role == QuestionRole.CSAT and q.kind == QuestionKind.RATING and csat is None:
            csat = value
        elif q.role == QuestionRole.AWARENESS and q.awareness_item and value is not None:
            items[q.awareness_item] = value
        elif q.role == QuestionRole.TOUCHPOINT and isinstance(value, str):
            chosen_touchpoint = value
    indices = scoring.awareness_scores(items)
    response.nps_score = nps
    response.nps_category = scoring.nps_category(nps)
    response.csat_score = csat
    response.empathy_index = indices.empathy
    response.attachment_index = indices.attachment
    response.awareness_index = indices.awareness
    candidate = touchpoint or chosen_touchpoint
    response.touchpoint = candidate if candidate in Touchpoint.values else ""


def submit_response(
    *,
    survey: Survey,
    invitation: Invitation | None,
    answers: Mapping[str, Any],
    now: datetime,
    touchpoint: str = "",
) -> Response:
    """Answer ``survey`` in one call (API, imports, demo data): save, check, score, submit.

    ``answers`` maps question keys to values: int for NPS/agreement/rating, str for text, a
    choice value (or a list of them for multiple choice). ``now`` may be in the past (demo data).
    Atomic: on any error nothing is saved.
    """
    if invitation is not None and invitation.survey_id != survey.id:
        raise InvalidInput(_("This invitation belongs to another survey."))
    plan = SurveyPlan.load(survey)
    with transaction.atomic():
        response = start_response(survey=survey, invitation=invitation, now=now)
        if response.status != ResponseStatus.IN_PROGRESS:
            raise Conflict(_("This survey has already been answered."), code="already_answered")
        response = save_answers(response=response, values=answers, now=now, plan=plan)
        response = complete_response(response=response, now=now, touchpoint=touchpoint, plan=plan)
    return response


def values_of(
    response: Response,
    plan: SurveyPlan | None = None,
    *,
    rows: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The saved answers of ``response`` as ``{question key: value}`` (``rows``: its answers
    already read, see ``answer_rows``; otherwise one query)."""
    return _current_values(response, plan or SurveyPlan.load(response.survey), rows)


__all__ = [
    "clean_text",
    "complete_response",
    "is_open",
    "save_answers",
    "start_response",
    "submit_response",
    "values_of",
]
