"""Outgoing integrations: signed webhooks and chat alerts (Slack, Microsoft Teams, Chatwork).

Every app that emits an event (surveys, voc, voc.triage) calls ``services.emit_event`` or
``services.notify_chat`` in its own transaction; a delivery row is recorded, then sent by a task
through the outbox. Placed just above ``engagement.platform`` so that every emitter can call it.
"""
