"""The user dictionary: staff edit synonyms and stop words; items are re-tokenised in the
background (one ``voc.analyze_chunk`` task per chunk, through the outbox)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from engagement.platform import outbox
from engagement.platform.errors import InvalidInput
from voc.models import AnalysisSettings, DictionaryEntryKind, UserDictionaryEntry
from voc.selectors import analysis_settings


def _bump_version() -> int:
    row = analysis_settings()
    AnalysisSettings.objects.filter(id=row.id).update(
        dictionary_version=F("dictionary_version") + 1
    )
    row.refresh_from_db()
    outbox.enqueue(
        task_name="voc.retokenize",
        kwargs={"version": row.dictionary_version},
        dedup_key=f"voc-retokenize-{row.dictionary_version}",
    )
    return row.dictionary_version


@transaction.atomic
def save_dictionary_entry(
    *,
    term: str,
    kind: str,
    canonical: str = "",
    note: str = "",
    entry: UserDictionaryEntry | None = None,
) -> UserDictionaryEntry:
    term = (term or "").strip()
    canonical = (canonical or "").strip()
    if not term:
        raise InvalidInput(_("Enter a word."), fields={"term": [_("Required.")]})
    if kind not in DictionaryEntryKind.values:
        raise InvalidInput(_("Unknown kind of entry."), fields={"kind": [_("Invalid.")]})
    if kind == DictionaryEntryKind.SYNONYM and not canonical:
        raise InvalidInput(
            _("A synonym needs the canonical word it stands for."),
            fields={"canonical": [_("Required.")]},
        )
    if kind == DictionaryEntryKind.SYNONYM and canonical == term:
        raise InvalidInput(_("The word and its canonical word are the same."))
    duplicate = UserDictionaryEntry.objects.filter(term=term)
    if entry is not None:
        duplicate = duplicate.exclude(id=entry.id)
    if duplicate.exists():
        raise InvalidInput(
            _("“%(term)s” is already in the dictionary.") % {"term": term},
            fields={"term": [_("Already in the dictionary.")]},
        )
    entry = entry or UserDictionaryEntry()
    entry.term, entry.kind, entry.canonical, entry.note = term, kind, canonical, note
    entry.save()
    _bump_version()
    return entry


@transaction.atomic
def delete_dictionary_entry(*, entry: UserDictionaryEntry) -> None:
    entry.delete()
    _bump_version()
