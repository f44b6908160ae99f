"""Staff side: design surveys (pages, questions, choices, conditions), change status, distribute
(links CSV, public link QR code, invitation e-mails), and read responses and sends.

Every write goes through ``surveys.services``; refusals (``DomainError``) are shown with their
reason.
"""

from surveys.admin import design, links, questions, records, surveys

__all__ = ["design", "links", "questions", "records", "surveys"]
