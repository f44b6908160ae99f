"""The shipped starting list of the user dictionary: 表記ゆれ and synonyms of VoC themes.

Created once by migration ``0007_topics_seed_synonyms`` (not on every ``migrate``: staff may
delete or change an entry, and their edit wins). Each pair is (word, canonical word); the
tokeniser maps the word's token to the canonical one (``voc.tokenize.Lexicon``).
"""

SEED_SYNONYMS: tuple[tuple[str, str], ...] = (
    ("退会", "解約"),
    ("サインイン", "ログイン"),
    ("ログオン", "ログイン"),
    ("配達", "配送"),
    ("発送", "配送"),
    ("お届け", "配送"),
    ("値段", "価格"),
    ("料金", "価格"),
    ("店員", "スタッフ"),
    ("従業員", "スタッフ"),
    ("問合せ", "問い合わせ"),
    ("スマホ", "スマートフォン"),
    ("WiFi", "Wi-Fi"),
    ("wifi", "Wi-Fi"),
)


def seed_lexicon():  # type: ignore[no-untyped-def]
    """The shipped list as a ``Lexicon`` (what ``voc_evaluate`` uses: no database there)."""
    from voc.selectors import dictionary_key
    from voc.tokenize import Lexicon

    return Lexicon(
        synonyms={
            dictionary_key(term): dictionary_key(canonical) for term, canonical in SEED_SYNONYMS
        }
    )
