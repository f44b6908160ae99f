"""Secrets at rest: provider tokens, signing secrets and webhook URLs encrypted in the database.

``EncryptedTextField`` stores ``"fernet:" + Fernet token`` (AES-128-CBC with HMAC-SHA256, from
``cryptography``) and gives the plain text back on read. The keys are ``FIELD_ENCRYPTION_KEYS``
(settings, from the environment; comma-separated Fernet keys): the **first** encrypts, every
one decrypts (``MultiFernet``). Rotation: put a new key first, keep the old ones after it, run
``manage.py reencrypt_secrets`` (every stored value re-encrypted with the first key), then drop
the old keys. In development without the variable the key is derived from ``SECRET_KEY``;
production requires it (``engagement/settings/production.py``).

A value no listed key can decrypt (the wrong key in the environment) is read as
``Unreadable``: an empty string that remembers the stored text, so pages still open, a save of
the row writes the stored text back unchanged, and the code that needs the secret reports
``SecretUnreadable`` (a clear message naming the setting) instead of crashing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from engagement.platform.errors import DomainError

PREFIX = "fernet:"


class SecretUnreadable(DomainError):
    code = "secret_unreadable"
    status_code = 503

    def __init__(self, what: str = "") -> None:
        super().__init__(
            _(
                "A stored secret could not be decrypted with the keys in FIELD_ENCRYPTION_KEYS "
                "(%(what)s). Add the key it was saved with to the setting, or enter the secret "
                "again."
            )
            % {"what": what or "?"}
        )


class Unreadable(str):
    """A stored secret that no configured key decrypts: reads as "", keeps the stored text."""

    stored: str

    def __new__(cls, stored: str) -> Unreadable:
        value = super().__new__(cls, "")
        value.stored = stored
        return value


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is empty: set one or more Fernet keys (comma-separated; "
            'make one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())").'
        )
    fernets = []
    for number, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {number} is not a Fernet key (32 bytes, url-safe "
                "base64, 44 characters)."
            ) from None
    return MultiFernet(fernets)


def fernet() -> MultiFernet:
    return _fernet(tuple(k.strip() for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()))


def is_encrypted(stored: str | None) -> bool:
    return bool(stored) and str(stored).startswith(PREFIX)


def encrypt(plain: str) -> str:
    """The stored form of ``plain`` ("" stays "": an empty secret is "not set")."""
    if isinstance(plain, Unreadable):
        return plain.stored
    if not plain:
        return ""
    return PREFIX + fernet().encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    """The plain text of a stored value; ``Unreadable`` when no key fits. A value without the
    prefix (written before encryption) is returned as it is."""
    if not is_encrypted(stored):
        return stored
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        return Unreadable(stored)


def rotate(stored: str) -> str:
    """``stored`` re-encrypted with the first key (plain text encrypted); raises
    ``SecretUnreadable`` when no key decrypts it."""
    if not stored:
        return stored
    if not is_encrypted(stored):
        return encrypt(stored)
    try:
        return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise SecretUnreadable() from None


def is_unreadable(value: Any) -> bool:
    return isinstance(value, Unreadable)


def require(value: str, what: str) -> str:
    """``value``, or ``SecretUnreadable`` naming ``what`` when it could not be decrypted."""
    if isinstance(value, Unreadable):
        raise SecretUnreadable(what)
    return value


def state_label(value: str) -> str:
    """What the admin shows instead of a secret: 設定済み, 未設定 or 復号できません."""
    if isinstance(value, Unreadable):
        return str(_("Cannot be decrypted: check FIELD_ENCRYPTION_KEYS"))
    return str(_("Set")) if value else str(_("Not set"))


class EncryptedTextField(models.TextField):
    """A text column holding an encrypted secret; Python code sees the plain text.

    Not searchable or orderable by its content (each encryption differs); "" means not set.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return value
        return decrypt(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, Unreadable) or value is None:
            return value
        value = super().to_python(value)
        return decrypt(value) if is_encrypted(value) else value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return value
        if isinstance(value, Unreadable):
            return value.stored
        value = super().get_prep_value(value)
        return value if is_encrypted(value) else encrypt(value)

    def value_to_string(self, obj: Any) -> str:
        # Fixtures and dumps carry the encrypted form, never the plain text.
        return self.get_prep_value(self.value_from_object(obj)) or ""


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every installed model with encrypted fields and their names (for re-encryption)."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        names = [
            f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
        ]
        if names:
            found.append((model, names))
    return sorted(found, key=lambda item: item[0]._meta.label)


def _convert_columns(schema_editor: Any, table: str, columns: list[str], convert: Any) -> int:
    """Rewrite ``columns`` of every row of ``table`` with ``convert`` (raw SQL: the values are
    read as stored, not through the field). Returns how many values changed."""
    connection = schema_editor.connection
    quote = schema_editor.quote_name
    changed = 0
    with connection.cursor() as cursor:
        names = ", ".join(quote(c) for c in columns)
        # Identifiers come from the migration's model metadata, quoted; values are parameters.
        cursor.execute(f"SELECT id, {names} FROM {quote(table)}")  # noqa: S608
        rows = cursor.fetchall()
        for row_id, *values in rows:
            updates = {}
            for column, value in zip(columns, values, strict=True):
                new = convert(value) if value else value
                if new != value:
                    updates[column] = new
            if updates:
                assignments = ", ".join(f"{quote(c)} = %s" for c in updates)
                cursor.execute(
                    f"UPDATE {quote(table)} SET {assignments} WHERE id = %s",  # noqa: S608
                    [*updates.values(), row_id],
                )
                changed += len(updates)
    return changed


def encrypt_columns(schema_editor: Any, table: str, columns: list[str]) -> int:
    """Data migration: encrypt the plain-text values of ``columns`` (encrypted ones are kept)."""
    return _convert_columns(
        schema_editor, table, columns, lambda v: v if is_encrypted(v) else encrypt(v)
    )


def decrypt_columns(schema_editor: Any, table: str, columns: list[str]) -> int:
    """The reverse migration: back to plain text (refuses a value no key decrypts)."""

    def plain(value: str) -> str:
        result = decrypt(value)
        if isinstance(result, Unreadable):
            raise SecretUnreadable(f"{table}.{', '.join(columns)}")
        return result

    return _convert_columns(schema_editor, table, columns, plain)


@dataclass
class Reencrypted:
    rows: int = 0
    rewritten: int = 0
    unreadable: list[str] = field(default_factory=list)


def reencrypt_all(*, dry_run: bool = False) -> Reencrypted:
    """Every encrypted field of every row rewritten with the first key (plain text left from
    before encryption encrypted too). One transaction per model; values no key decrypts are
    listed (``model pk field``) and left unchanged."""
    result = Reencrypted()
    for model, names in encrypted_fields():
        with transaction.atomic():
            rows = (
                model._base_manager.select_for_update()
                .order_by("pk")
                .values_list("pk", *[Cast(name, models.TextField()) for name in names])
            )
            for pk, *stored in rows:
                updates = {}
                for name, value in zip(names, stored, strict=True):
                    if not value:
                        continue
                    try:
                        updates[name] = rotate(value)
                    except SecretUnreadable:
                        result.unreadable.append(f"{model._meta.label} {pk} {name}")
                result.rows += 1
                if updates and not dry_run:
                    # Already encrypted: ``get_prep_value`` stores a "fernet:" value as it is.
                    model._base_manager.filter(pk=pk).update(**updates)
                result.rewritten += len(updates)
    return result
