"""Japanese tokenisation with fugashi + unidic-lite: content-word lemmas for analysis and search.

Rules (see tests/voc/test_tokenize.py for the tricky cases):

- The text is normalised first (``voc.normalize``); the stored original never changes.
- Tokens are UniDic lemmas (dictionary forms) of content words: nouns, verbs, adjectives
  (形容詞 and 形状詞) and adverbs; particles, auxiliaries, symbols, numerals, pronouns and the
  stop words below are dropped.
- Compound nouns are kept together: consecutive nouns with their prefixes and nominal suffixes
  become one token (定期便, ポイント還元, 駐車場).
- Verb + やすい/にくい/づらい becomes one token (使いやすい, 使いにくい), so they differ.
- Negation is attached: a predicate followed by ない/ず/ぬ/ません becomes ``lemma_ない``
  (届かない → 届く_ない, 使いやすくない → 使いやすい_ない, 駐車場がない → 駐車場_ない).
- The user dictionary (``Lexicon``) maps synonyms to one canonical token (退会 → 解約) and adds
  stop words; it applies to every text tokenised after it changed.

Speed: one MeCab tagger per thread; its plain text output (``tagger.parse``) is split by lines
instead of building a Python object per token, and each distinct output line is classified once
(an LRU cache keyed on the line: surface + features).
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from voc.normalize import MASKS, normalize_text

NEGATION_SUFFIX = "_ない"


def words(text: str) -> list[str]:
    return text.split()


# Token kinds (small ints: compared in the hot loop).
BREAK, NOUN, PREFIX, NOUN_SUFFIX, VERB, ADJ, NA_ADJ, ADVERB, ADJ_SUFFIX = range(9)
NEG, TRANSPARENT, TE, NUMBER, COUNTER, WEAK_VERB, NOUN_LINK, HYPHEN, SEGMENT = range(9, 18)
# Texts parsed in one MeCab call are separated by a private-use character on its own between
# full stops (normalisation removes private-use characters from the texts themselves).
SENTINEL = "\ue000"
BOUNDARY = f"。{SENTINEL}。"
BATCH_TEXTS = 32
BATCH_CHARS = 8_000

STOP_WORDS = frozenset(
    words("""
    為る 居る 有る 成る 出来る 言う 思う 致す 頂く 下さる 貰う 呉れる 遣る 仕舞う 御座る 参る
    事 物 者 方 所 時 様 為 中 上 下 内 他 後 前 訳 筈 積もり 際 位 程 辺 感じ 的 今回 今度
    自分 私 皆 皆さん 何 何か 其れ 此れ 彼 事情 場合 以上 以外 度 回 点 面 部分 ところ
    とても 凄い すごい 凄く 一寸 少し 大変 本当 本当に 矢張り やはり 色々 沢山 一番 又
    既に もう 未だ
    全て 全部 大分 結構 かなり 非常 非常に 実際 特に 一応 是非 多分 少々 余り 全く 然し
    いつも 何時も 先ず 更に 尚 既 唯 只 つい 丁度 大体 多少 殆ど 如何 こう そう ああ どう
    笑 URL EMAIL TEL
    """)
)
# Verbs that carry no topic of their own; negation passes through them to the word before
# (駐車場がありません → 駐車場_ない, 解約できない → 解約_ない).
WEAK_VERBS = frozenset({"為る", "出来る", "有る", "居る", "成る", "御座る", "致す", "頂く"})
# After て/で these verbs are auxiliaries (行ってみた: 見る is not content).
AUX_AFTER_TE = frozenset(
    {"見る", "行く", "来る", "仕舞う", "置く", "居る", "有る", "貰う", "呉れる", "上げる", "下さる"}
)
ADJ_SUFFIXES = {"易い": "やすい", "難い": "にくい", "辛い": "づらい"}
# UniDic lemmas written the way people write them today (labels are read by staff).
READABLE = {
    "感ずる": "感じる",
    "奇麗": "綺麗",
    "有り難い": "ありがたい",
    "煩い": "うるさい",
    "可笑しい": "おかしい",
    "旨い": "うまい",
    "凄い": "すごい",
    "酷い": "ひどい",
    "御免": "ごめん",
    "面倒臭い": "面倒くさい",
    "草臥れる": "くたびれる",
    "苛々": "イライラ",
}
NEGATORS = frozenset({"ない", "無い", "ず", "ぬ", "ん"})
LINK_PARTICLES = frozenset({"が"})
THROUGH_PARTICLES = frozenset({"は", "も"})
# Adverbs are kept only when they say something about the experience (not mere intensifiers).
USEFUL_ADVERBS = frozenset(
    words("""
    ゆっくり のんびり ゆったり 直ぐ 早速 きちんと しっかり ちゃんと すっきり さっぱり ぴったり
    全然 中々 再び 度々 ずっと 頻繁 わざわざ 二度と のびのび じっくり ぎりぎり そわそわ
    """)
)


@dataclass(frozen=True)
class Lexicon:
    """The staff-editable user dictionary: synonyms → canonical token, extra stop words."""

    synonyms: Mapping[str, str] = field(default_factory=dict)
    stop_words: frozenset[str] = frozenset()
    version: int = 0

    def apply(self, tokens: list[str]) -> list[str]:
        if not self.synonyms and not self.stop_words:
            return tokens
        result = []
        for token in tokens:
            base, negated = (
                (token[: -len(NEGATION_SUFFIX)], True)
                if token.endswith(NEGATION_SUFFIX)
                else (token, False)
            )
            base = self.synonyms.get(base, base)
            if base in self.stop_words:
                continue
            result.append(base + NEGATION_SUFFIX if negated else base)
        return result


EMPTY_LEXICON = Lexicon()

_local = threading.local()


# MeCab prints only what the tokeniser reads: surface, lemma, part of speech (3 levels). The bulk
# path (``parse_batches``) reads ``vocfull``, the surface and the whole feature string: MeCab
# copies it as it is, without splitting it per word (``%f[…]``/``%F`` cost more than the
# longer lines do), and each distinct line is split once, in Python (``line_fields``).
COMPACT_FORMAT = """
output-format-type = voc
node-format-voc = %m\\t%f[7]\\t%F-[0,1,2]\\n
unk-format-voc = %m\\t%m\\t%F-[0,1,2]\\n
bos-format-voc =
eos-format-voc = EOS\\n
node-format-vocfull = %m\\t%H\\n
unk-format-vocfull = %m\\t%H\\n
bos-format-vocfull =
eos-format-vocfull = EOS\\n
"""
DICTIONARY_FILES = (
    "char.bin",
    "matrix.bin",
    "sys.dic",
    "unk.dic",
    "left-id.def",
    "right-id.def",
    "rewrite.def",
)


def compact_dictionary_dir() -> Path | None:
    """unidic-lite's dictionary with a compact output format (symlinks + our own dicrc).

    MeCab formats and fugashi decodes fewer bytes per token, and the tokeniser hashes shorter
    lines. Created once per machine in the temporary directory; None if that is not possible.
    """
    import unidic_lite

    source = Path(unidic_lite.DICDIR)
    digest = hashlib.sha256((str(source) + COMPACT_FORMAT).encode()).hexdigest()[:12]
    target = Path(tempfile.gettempdir()) / f"voc-unidic-{os.getuid()}-{digest}"
    if (target / "dicrc").exists():
        return target if _trusted(target) else None
    try:
        staging = Path(tempfile.mkdtemp(prefix="voc-unidic-"))
        for name in DICTIONARY_FILES:
            (staging / name).symlink_to(source / name)
        dicrc = (source / "dicrc").read_text(encoding="utf-8")
        dicrc = dicrc.replace("output-format-type = unidic", "") + COMPACT_FORMAT
        (staging / "dicrc").write_text(dicrc, encoding="utf-8")
        (staging / "mecabrc").write_text("", encoding="utf-8")
        try:
            staging.rename(target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # another process made it first
        return target if (target / "dicrc").exists() and _trusted(target) else None
    except OSError:
        return None


def _trusted(directory: Path) -> bool:
    """Ours and writable by us only (the temporary directory is shared with other users)."""
    info = directory.stat()
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def tagger():  # type: ignore[no-untyped-def]
    """This thread's MeCab tagger (created once; fugashi taggers are not shared across threads)."""
    instance = getattr(_local, "tagger", None)
    if instance is None:
        instance = _local.tagger = _new_tagger("")
    return instance


def bulk_tagger():  # type: ignore[no-untyped-def]
    """This thread's tagger for ``parse_batches`` (the ``vocfull`` format, see above)."""
    instance = getattr(_local, "bulk_tagger", None)
    if instance is None:
        instance = _local.bulk_tagger = _new_tagger("-Ovocfull")
    return instance


def _new_tagger(options: str):  # type: ignore[no-untyped-def]
    import fugashi

    directory = compact_dictionary_dir()
    if directory is not None:
        return fugashi.GenericTagger(f"-r {directory / 'mecabrc'} -d {directory} {options}")
    return fugashi.Tagger()


def line_fields(line: str) -> tuple[str, str, str] | None:
    """(surface, lemma, part of speech as "名詞-普通名詞-一般") of one line of the compact or the
    ``vocfull`` output (what ``%m\\t%f[7]\\t%F-[0,1,2]`` prints: an unknown word's lemma is its
    surface; ``*`` levels are left out); None for any other line."""
    fields = line.split("\t")
    if len(fields) == 3:
        return fields[0], fields[1], fields[2]
    if len(fields) != 2:
        return None
    surface, feature = fields
    # A quoted field has a comma inside.
    parts = next(csv.reader([feature])) if '"' in feature else feature.split(",", 8)
    lemma = parts[7] if len(parts) > 7 else surface
    return surface, lemma, "-".join(part for part in parts[:3] if part != "*")


def _base(lemma: str) -> str:
    # UniDic marks loanwords with their source: "アプリ-application" → "アプリ".
    if "-" in lemma:
        head = lemma.split("-", 1)[0]
        if head:
            return head
    return lemma


_CACHE: dict[str, tuple[int, str, str]] = {}
CACHE_LIMIT = 300_000


def classify(line: str) -> tuple[int, str, str]:
    """(kind, lemma, surface) of one line of MeCab output (cached: lines repeat a lot)."""
    cached = _CACHE.get(line)
    if cached is None:
        if len(_CACHE) >= CACHE_LIMIT:
            _CACHE.clear()
        cached = _CACHE[line] = _classify(line)
    return cached


def clear_cache() -> None:
    _CACHE.clear()


def _classify(line: str) -> tuple[int, str, str]:
    fields = line.split("\t")
    surface = fields[0]
    if len(fields) in (2, 3):  # the compact or the vocfull format
        _surface, lemma, pos = line_fields(line)  # type: ignore[misc]
    elif len(fields) >= 5:  # unidic-lite's default format
        lemma, pos = fields[3], fields[4]
    else:
        return BREAK, "", surface
    if surface == "笑":
        return BREAK, "", surface
    if surface == SENTINEL:
        return SEGMENT, "", surface
    lemma = _base(lemma or surface)
    lemma = READABLE.get(lemma, lemma)
    major, _, rest = pos.partition("-")
    if major == "名詞":
        if rest.startswith("数詞"):
            return NUMBER, "", surface
        if rest.startswith("普通名詞-助数詞"):
            return COUNTER, lemma, surface
        if lemma[0] == "御" and surface[0] in "おご":
            lemma = surface[0] + lemma[1:]  # 御風呂 → お風呂 (as people write it)
        if rest.startswith("普通名詞-形状詞可能"):
            return NA_ADJ, lemma, surface  # 最高, 便利: stands alone, not part of a compound
        if rest.startswith("代名詞"):
            return BREAK, lemma, surface
        return NOUN, lemma, surface
    if major == "動詞":
        if lemma == "過ぎる" and rest.startswith("非自立"):
            return TRANSPARENT, lemma, surface
        if lemma in WEAK_VERBS:
            return WEAK_VERB, lemma, surface
        return VERB, lemma, surface
    if major == "形容詞":
        if lemma in NEGATORS:
            return NEG, lemma, surface
        return ADJ, lemma, surface
    if major == "形状詞":
        if rest.startswith("助動詞語幹"):
            return TRANSPARENT, lemma, surface
        return NA_ADJ, lemma, surface
    if major == "副詞":
        if lemma in USEFUL_ADVERBS:
            return ADVERB, lemma, surface
        return TRANSPARENT, lemma, surface
    if major == "助動詞":
        if lemma in NEGATORS:
            return NEG, lemma, surface
        return TRANSPARENT, lemma, surface
    if major == "接頭辞":
        return PREFIX, (surface if lemma == "御" else lemma), surface
    if major == "接尾辞":
        if rest.startswith("名詞的-敬称") or lemma in ("さん", "様", "ちゃん", "君", "殿", "達"):
            return TRANSPARENT, lemma, surface
        if rest.startswith("名詞的"):
            return NOUN_SUFFIX, lemma, surface
        if rest.startswith("形容詞的") and lemma in ADJ_SUFFIXES:
            return ADJ_SUFFIX, ADJ_SUFFIXES[lemma], surface
        return TRANSPARENT, lemma, surface
    if major == "助詞":
        if rest.startswith("接続助詞") and lemma in ("て", "で"):
            return TE, lemma, surface
        if lemma in LINK_PARTICLES:
            return NOUN_LINK, lemma, surface
        if lemma in THROUGH_PARTICLES:
            return TRANSPARENT, lemma, surface
        return BREAK, lemma, surface
    if surface == "-":
        return HYPHEN, lemma, surface
    return BREAK, lemma, surface


def _keep(token: str) -> bool:
    if token in STOP_WORDS or token in MASKS:
        return False
    # A lone kana, letter or digit says nothing; a lone kanji (駅, 湯, 海) does.
    return not (len(token) == 1 and ord(token) < 0x4E00)


def tokens_from_parse(parsed: str | list[str]) -> list[str]:
    """Content tokens from ``tagger.parse(text)`` output."""
    return [token for segment in segments_from_parse(parsed) for token in segment]


def segments_from_parse(parsed: str | list[str]) -> list[list[str]]:
    """Content tokens of each text in ``tagger.parse(BOUNDARY.join(texts))`` output (or its
    lines)."""
    segments: list[list[str]] = []
    tokens: list[str] = []
    compound: list[str] = []
    has_noun = False
    pending = -1  # index in ``tokens`` that a following negation attaches to
    after_te = False
    after_number = False
    linked = False  # a は/も/が since the pending word (only nouns reach across it)
    pending_is_noun = False
    pending_surface = ""

    def flush() -> None:
        nonlocal compound, has_noun, pending, pending_is_noun
        if has_noun:
            word = "".join(compound).strip("-")
            if _keep(word):
                tokens.append(word)
                pending = len(tokens) - 1
                pending_is_noun = True
        compound = []
        has_noun = False

    cache = _CACHE
    for line in parsed.split("\n") if isinstance(parsed, str) else parsed:
        entry = cache.get(line)
        if entry is None:
            if line == "EOS" or not line:
                continue
            entry = classify(line)
        kind, lemma, surface = entry
        if kind == BREAK:
            if compound:
                flush()
            pending = -1
            linked = after_te = after_number = False
            continue
        if kind == TRANSPARENT:  # (the next kinds are frequent: handled here, in short)
            if compound:
                flush()
            after_number = False
            continue
        if kind == NOUN or (kind == COUNTER and not after_number):
            compound.append(lemma)
            has_noun = True
            linked = False
            after_number = False
            after_te = False
            continue
        if kind in (WEAK_VERB, TE):
            if compound:
                flush()
            after_number = False
            after_te = kind == TE
            continue
        if kind == NOUN_LINK:
            if compound:
                flush()
            after_number = False
            linked = True
            continue
        if kind == SEGMENT:  # the boundary between two texts parsed together
            if compound:
                flush()
            segments.append(tokens)
            tokens = []
            pending = -1
            linked = after_te = after_number = False
            continue
        if kind == PREFIX:
            if compound:
                flush()
            compound.append(lemma)
            continue
        if kind == NOUN_SUFFIX and has_noun:
            compound.append(lemma)
            continue
        if kind == HYPHEN and has_noun and compound[-1].isascii():
            compound.append("-")  # Wi-Fi, e-mail
            continue
        if compound:
            flush()
        if kind == NUMBER:
            after_number = True
            pending = -1
            continue
        after_number = False
        if kind == COUNTER:
            continue
        if kind == VERB:
            if after_te and lemma in AUX_AFTER_TE:
                after_te = False
                continue
            after_te = False
            linked = False
            if _keep(lemma):
                tokens.append(lemma)
                pending = len(tokens) - 1
                pending_is_noun = False
                pending_surface = surface
            else:
                pending = -1
            continue
        if kind in (ADJ, NA_ADJ, ADVERB):
            after_te = False
            linked = False
            if _keep(lemma):
                tokens.append(lemma)
                pending = len(tokens) - 1
                pending_is_noun = False
            else:
                pending = -1
            continue
        if kind == ADJ_SUFFIX:
            if pending >= 0 and not pending_is_noun and not linked:
                # 使い + やすい → 使いやすい (the verb's stem as written, then the suffix).
                tokens[pending] = pending_surface + lemma
            continue
        if kind == NEG:
            if pending >= 0 and (not linked or pending_is_noun):
                token = tokens[pending]
                if not token.endswith(NEGATION_SUFFIX):
                    tokens[pending] = token + NEGATION_SUFFIX
            pending = -1
            linked = False
            continue
    if compound:
        flush()
    segments.append(tokens)
    return segments


def tokenize_normalized(text: str, lexicon: Lexicon = EMPTY_LEXICON) -> list[str]:
    if not text:
        return []
    return tokenize_many_normalized([text], lexicon)[0]


def tokenize(text: str | None, lexicon: Lexicon = EMPTY_LEXICON) -> list[str]:
    """Tokens of a raw text (normalised first)."""
    return tokenize_normalized(normalize_text(text), lexicon)


def analyze(text: str | None, lexicon: Lexicon = EMPTY_LEXICON) -> tuple[str, list[str]]:
    """(normalised text, tokens) of a raw text."""
    normalized = normalize_text(text)
    return normalized, tokenize_normalized(normalized, lexicon)


def parse_batches(texts: Sequence[str]) -> Iterator[tuple[list[int], str]]:
    """(indices, MeCab output) of the non-empty ``texts``, a batch at a time.

    The output reads as ``tagger.parse(BOUNDARY + BOUNDARY.join(batch) + BOUNDARY)``: every text
    sits between two boundaries (also the first and the last), so what is read from a text's
    lines never depends on what else is in its batch. Each text is parsed on its own between
    two full stops (``。text。``) and the boundary's own line is put between the outputs: the
    same lines (MeCab's best path through a full stop does not depend on what lies beyond it),
    but MeCab works on short inputs (a long lattice costs more per character) and never on the
    unknown boundary character.
    """
    parse = tagger().parse
    separator = f"\n{_boundary_line()}\n"
    batch: list[int] = []
    outputs: list[str] = [""]
    chars = 0
    for index, text in enumerate(texts):
        if not text:
            continue
        batch.append(index)
        outputs.append(parse(f"。{text}。"))
        chars += len(text)
        if len(batch) >= BATCH_TEXTS or chars >= BATCH_CHARS:
            outputs.append("")
            yield batch, separator.join(outputs)
            batch, outputs, chars = [], [""], 0
    if batch:
        outputs.append("")
        yield batch, separator.join(outputs)


def _boundary_line() -> str:
    """MeCab's line for ``SENTINEL`` (the boundary between two texts of a batch)."""
    line = getattr(_local, "boundary_line", None)
    if line is None:
        line = _local.boundary_line = tagger().parse(SENTINEL).split("\n", 1)[0]
    return line


def tokenize_many_normalized(
    texts: Sequence[str],
    lexicon: Lexicon = EMPTY_LEXICON,
    on_parse: Callable[[list[int], list[str]], None] | None = None,
) -> list[list[str]]:
    """Tokens of many normalised texts, parsed a batch at a time (``parse_batches``).

    ``on_parse(indices, lines)``, when given, sees each batch's MeCab output too, as lines (the
    sentiment walk reads the same parse: one MeCab call per text for both).
    """
    results: list[list[str]] = [[] for _ in texts]
    for batch, parsed in parse_batches(texts):
        # Split once: both walks read the same line objects (each line's hash is computed once).
        lines = parsed.split("\n")
        segments = segments_from_parse(lines)[1:-1]
        for index, tokens in zip(batch, segments, strict=True):
            results[index] = lexicon.apply(tokens)
        if on_parse is not None:
            on_parse(batch, lines)
    return results


def analyze_many(
    texts: Iterable[str | None], lexicon: Lexicon = EMPTY_LEXICON
) -> list[tuple[str, list[str]]]:
    """(normalised text, tokens) of many raw texts; the fast path for sets of items."""
    normalized = [normalize_text(text) for text in texts]
    return list(zip(normalized, tokenize_many_normalized(normalized, lexicon), strict=True))


def join_tokens(tokens: Iterable[str]) -> str:
    """The stored ``token_text``: " a b c " (leading/trailing spaces make exact matches easy)."""
    joined = " ".join(tokens)
    return f" {joined} " if joined else ""
