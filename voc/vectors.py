"""Static Japanese word vectors from the ``ja-ginza`` package (300 dimensions), without spaCy.

``ja-ginza`` (PyPI, installed by ``make install``) ships spaCy's vocabulary files inside the
package: ``vocab/vectors`` (a NumPy array, 20,000 rows × 300 float32 = 24 MB),
``vocab/key2row`` (msgpack: 64-bit string hash → row; about 480,000 words, most pruned words
point to their nearest kept row) and ``vocab/strings.json`` (the strings behind the hashes).
No pipeline is loaded: the first use on a machine hashes the strings once (spaCy's
``hash_string``, about 1.5 s with the import) and writes a compact index — the words sorted,
with their row — to the temporary directory; later processes load that index (about 0.1 s)
and memory-map the vectors. In memory: the sorted words (about 25 MB) and the vectors (24 MB,
shared between processes through the page cache).

Look-ups take fugashi/UniDic lemmas and surfaces. A compound the table does not know
(ポイント還元) is split greedily into the longest known pieces and averaged.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

DIM = 300
MAX_WORD = 12  # longer strings are never looked up (sentences, emoticons)
_lock = threading.Lock()


@dataclass
class WordVectors:
    words: np.ndarray  # sorted unicode array
    rows: np.ndarray  # int32, row of each word
    vectors: np.ndarray  # (n_rows, DIM) float32, L2-normalised rows
    source: str

    def row(self, word: str) -> int:
        if not word or len(word) > MAX_WORD:
            return -1
        position = int(np.searchsorted(self.words, word))
        if position < len(self.words) and self.words[position] == word:
            return int(self.rows[position])
        return -1

    def rows_for(self, token: str) -> list[int]:
        """Rows standing for one analysis token (a lemma, a compound, ``lemma_ない``)."""
        from voc.tokenize import NEGATION_SUFFIX

        if token.endswith(NEGATION_SUFFIX):
            base = self.rows_for(token[: -len(NEGATION_SUFFIX)])
            negation = self.row("ない")
            return [*base, negation] if base and negation >= 0 else base
        row = self.row(token)
        if row >= 0:
            return [row]
        return self._pieces(token)

    def _pieces(self, token: str) -> list[int]:
        rows: list[int] = []
        start = 0
        while start < len(token):
            for end in range(min(len(token), start + MAX_WORD), start, -1):
                if end - start == 1 and ord(token[start]) < 0x4E00:
                    continue  # a lone kana or letter says nothing
                row = self.row(token[start:end])
                if row >= 0:
                    rows.append(row)
                    start = end
                    break
            else:
                start += 1
        return rows

    def token_vector(self, token: str) -> np.ndarray | None:
        rows = self.rows_for(token)
        if not rows:
            return None
        vector = self.vectors[rows].mean(axis=0)
        norm = float(np.linalg.norm(vector))
        return (vector / norm).astype(np.float32) if norm else None

    def matrix(self, terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(vectors of ``terms`` (len × DIM), mask of the terms that have one)."""
        result = np.zeros((len(terms), DIM), np.float32)
        known = np.zeros(len(terms), bool)
        if not terms:
            return result, known
        # Whole words in one vectorised search; compounds and negations one by one.
        probe = np.array([t if len(t) <= MAX_WORD else "" for t in terms], dtype=f"<U{MAX_WORD}")
        positions = np.clip(np.searchsorted(self.words, probe), 0, len(self.words) - 1)
        hits = (self.words[positions] == probe) & (probe != "")
        result[hits] = self.vectors[self.rows[positions[hits]]]
        known[hits] = True
        for i in np.flatnonzero(~hits).tolist():
            term = terms[i]
            vector = self.token_vector(term)
            if vector is not None:
                result[i] = vector
                known[i] = True
        return result, known


def package_vocab_dir() -> Path | None:
    """The package's ``vocab`` folder, found without importing it (that would import spaCy)."""
    import importlib.util

    spec = importlib.util.find_spec("ja_ginza")
    if spec is None or not spec.origin:
        return None
    root = Path(spec.origin).parent
    for candidate in sorted(root.glob("ja_ginza-*/vocab")):
        if (candidate / "vectors").exists() and (candidate / "key2row").exists():
            return candidate
    return None


def _index_path(vocab: Path) -> Path:
    stat = (vocab / "key2row").stat()
    digest = hashlib.sha256(f"{vocab}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()
    return Path(tempfile.gettempdir()) / f"voc-vectors-{os.getuid()}-{digest[:12]}.npz"


def _build_index(vocab: Path) -> tuple[np.ndarray, np.ndarray]:
    import srsly
    from spacy.strings import hash_string

    key2row = srsly.msgpack_loads((vocab / "key2row").read_bytes())
    strings = json.loads((vocab / "strings.json").read_text(encoding="utf-8"))
    pairs = {}
    for string in strings:
        if len(string) > MAX_WORD or not string.strip():
            continue
        row = key2row.get(hash_string(string))
        if row is not None:
            pairs[string] = row
    words = np.array(sorted(pairs), dtype=f"<U{MAX_WORD}")
    rows = np.array([pairs[str(word)] for word in words], dtype=np.int32)
    return words, rows


def _load_index(vocab: Path) -> tuple[np.ndarray, np.ndarray]:
    path = _index_path(vocab)
    if path.exists() and path.stat().st_uid == os.getuid() and not path.stat().st_mode & 0o022:
        try:
            with np.load(path, allow_pickle=False) as archive:
                return archive["words"], archive["rows"]
        except (OSError, ValueError, KeyError):
            pass
    words, rows = _build_index(vocab)
    try:
        handle, staging = tempfile.mkstemp(prefix="voc-vectors-", suffix=".npz")
        with os.fdopen(handle, "wb") as out:
            np.savez(out, words=words, rows=rows)
        os.chmod(staging, 0o600)
        os.replace(staging, path)
    except OSError:
        pass
    return words, rows


@lru_cache(maxsize=1)
def _load() -> WordVectors | None:
    vocab = package_vocab_dir()
    if vocab is None:
        return None
    with _lock:
        words, rows = _load_index(vocab)
        vectors = np.load(vocab / "vectors", allow_pickle=False).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        vectors /= norms
    return WordVectors(words=words, rows=rows, vectors=vectors, source=str(vocab.parent.name))


def word_vectors() -> WordVectors | None:
    """The table (loaded once per process), or None when ``ja-ginza`` is not installed."""
    return _load()
