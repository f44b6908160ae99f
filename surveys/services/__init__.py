"""Writes of the surveys app (design, distribution, answers). Import from here.

``surveys.services.design``: the template survey, status changes, the public link.
``surveys.services.editing``: refusing edits that would break answers; copying for a new wave.
``surveys.services.distribution``: invitations, queueing invitations and reminders, unsubscribe.
``surveys.services.sending``: one send by e-mail, LINE or SMS; retries, quiet hours, re-sends.
``surveys.services.links``: every link, from ``SITE_URL``.
``surveys.services.answering``: saving partial answers, submitting and scoring a response.
"""

from surveys.services.answering import (
    clean_text,
    complete_response,
    save_answers,
    start_response,
    submit_response,
)
from surveys.services.design import (
    close_survey,
    create_template_survey,
    disable_public_link,
    enable_public_link,
    open_survey,
)
from surveys.services.distribution import (
    create_invitations,
    queue_invitation_emails,
    queue_invitations,
    queue_reminders,
    retry_failed_deliveries,
    run_distribution,
    unsubscribe,
)
from surveys.services.editing import (
    check_choice_change,
    check_question_change,
    check_survey_change,
    copy_survey,
)
from surveys.services.sending import deliver, deliver_batch, resend_deliveries

__all__ = [
    "check_choice_change",
    "check_question_change",
    "check_survey_change",
    "clean_text",
    "close_survey",
    "complete_response",
    "copy_survey",
    "create_invitations",
    "create_template_survey",
    "deliver",
    "deliver_batch",
    "disable_public_link",
    "enable_public_link",
    "open_survey",
    "queue_invitation_emails",
    "queue_invitations",
    "queue_reminders",
    "resend_deliveries",
    "retry_failed_deliveries",
    "run_distribution",
    "save_answers",
    "start_response",
    "submit_response",
    "unsubscribe",
]
