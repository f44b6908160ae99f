"""Local password sign-in, which can be turned off for everyone but the break-glass accounts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


def local_passwords_allowed(username: str | None) -> bool:
    if settings.LOCAL_PASSWORDS_ENABLED:
        return True
    return bool(username) and username in settings.BREAK_GLASS_USERNAMES


class LocalPasswordBackend(ModelBackend):
    """``ModelBackend`` that refuses passwords when ``LOCAL_PASSWORDS_ENABLED`` is off, except
    for the usernames in ``BREAK_GLASS_USERNAMES`` (an emergency administrator)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(self._username_field())
        if not local_passwords_allowed(username):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
