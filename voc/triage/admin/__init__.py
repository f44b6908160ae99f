"""The triage inbox (the FeedbackItem admin) and the admin of rules, alerts, replies and jobs."""

from . import configuration, inbox  # noqa: F401  (registers the ModelAdmins)
