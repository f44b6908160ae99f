"""Writes of the VoC app (HackSoft style: verb-first, keyword-only, typed).

- ``ingest``: feedback in (survey answers, API, CSV import).
- ``analysis``: tokenisation + sentiment + assignment of items, the full topic analysis.
- ``curation``: staff corrections of topics (rename, merge, split, move an item).
- ``dictionary``: the user dictionary (synonyms, stop words) and re-tokenisation.
"""

from voc.services.analysis import (
    analyze_items,
    analyze_pending,
    dispatch_tokenization,
    request_analysis,
    run_analysis,
)
from voc.services.curation import merge_topics, move_item, rename_topic, split_topic
from voc.services.dictionary import delete_dictionary_entry, save_dictionary_entry
from voc.services.ingest import (
    ImportResult,
    create_feedback_item,
    import_feedback,
    ingest_survey_response,
)

__all__ = [
    "ImportResult",
    "analyze_items",
    "analyze_pending",
    "create_feedback_item",
    "delete_dictionary_entry",
    "dispatch_tokenization",
    "import_feedback",
    "ingest_survey_response",
    "merge_topics",
    "move_item",
    "rename_topic",
    "request_analysis",
    "run_analysis",
    "save_dictionary_entry",
    "split_topic",
]
