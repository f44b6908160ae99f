"""Messaging channels besides e-mail: LINE (Messaging API push) and SMS (Twilio's REST shape).

``base``: the message a channel sends, the result and the two kinds of failure (transient:
retried with backoff; permanent: failed with the provider's reason). ``validation``: formats
checked at save time (E.164 numbers, tokens, API base URLs). ``line`` and ``sms``: the HTTP
clients; they take a config object and never log secrets. Which channel a customer gets, the
contact rules and the outbox live in ``surveys.services.distribution``.
"""
