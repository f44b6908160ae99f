"""Logging filters: secrets never reach the logs (survey link tokens in request lines)."""

from __future__ import annotations

import logging
import re

# Personal survey links are /s/<token>/...; public links /p/<token>/...; unsubscribe /u/<token>/.
TOKEN_IN_PATH = re.compile(r"/(s|p|u)/[A-Za-z0-9_\-:.]{8,}")


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub(lambda m: f"/{m.group(1)}/[redacted]", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            if isinstance(record.args, tuple):
                record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
            elif isinstance(record.args, dict):
                record.args = {
                    k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
                }
        return True
