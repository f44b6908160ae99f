"""Topic clustering of token lists (scikit-learn), independent of the database.

Pipeline (``fit_topics``):

1. Vocabulary and IDF from a sample (≤ ``SAMPLE_SIZE`` items): terms in ≥ 2 items and in at most
   half of them, at most ``MAX_FEATURES`` terms. Items become sparse TF-IDF rows (sublinear tf,
   L2-normalised).
2. LSA: a truncated SVD fitted on the sample projects rows to ≤ 30 dimensions, re-normalised
   (cosine geometry).
3. Number of topics: unless given, the k in ``K_RANGE`` with the best silhouette score (cosine)
   of k-means on the sample's embeddings — the stated criterion; staff can override it.
4. Clustering: k-means (10 starts; 3 above 5,000 items) on the sample; for larger sets
   MiniBatchKMeans continues from those centres with ``partial_fit`` over chunks, so memory
   stays bounded by the chunk size (items are streamed twice: once to fit, once to assign).
5. An item whose cosine similarity to every centre is below the threshold (``OTHER_THRESHOLD``,
   or half the sample's median similarity to its nearest centre when that is lower), or that has
   no known term, goes to the "other / unassigned" bucket (label −1) instead of being forced.
6. Labels: class-based TF-IDF (c-TF-IDF, as in BERTopic): ``tf(t, c) · log(1 + A / f(t))``; the
   top terms name the topic. Representative quotes: the items closest to the centre.

``TopicModel`` keeps what is needed to assign a new item on arrival (vocabulary, IDF, projection,
centres) and serialises to an ``.npz`` archive (no pickle).
"""

from __future__ import annotations

import heapq
import io
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from scipy import sparse

SAMPLE_SIZE = 10_000
SELECTION_SAMPLE = 2_000
MAX_FEATURES = 20_000
N_COMPONENTS = 30
K_RANGE = range(2, 16)
OTHER_THRESHOLD = 0.2
OTHER_RELATIVE = 0.5
CHUNK = 10_000
LABEL_TERMS = 10
QUOTES = 5
RANDOM_STATE = 0

TokenChunks = Callable[[], Iterator[tuple[Sequence[int], Sequence[Sequence[str]]]]]
"""A callable returning a fresh iterator of (ids, token lists) chunks (called once per pass)."""


@dataclass
class TopicModel:
    vocabulary: list[str]
    idf: np.ndarray
    components: np.ndarray | None  # (n_components, n_terms) or None (no projection)
    centroids: np.ndarray  # (k, dim), L2-normalised
    threshold: float = OTHER_THRESHOLD
    topic_ids: list[int] = field(default_factory=list)  # database ids, one per centre
    _index: dict[str, int] | None = None

    @property
    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {term: i for i, term in enumerate(self.vocabulary)}
        return self._index

    @property
    def k(self) -> int:
        return int(self.centroids.shape[0])

    def tfidf(self, token_lists: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        return tfidf_rows(token_lists, self.index, self.idf)

    def embed(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        return embed_rows(self.tfidf(token_lists), self.components)

    def assign(self, token_lists: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """(cluster index or −1 for other, cosine similarity to the nearest centre)."""
        return assign_embeddings(self.embed(token_lists), self.centroids, self.threshold)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            vocabulary=np.array(self.vocabulary, dtype=str),
            idf=self.idf.astype(np.float32),
            components=(
                self.components.astype(np.float32)
                if self.components is not None
                else np.zeros((0, 0), np.float32)
            ),
            centroids=self.centroids.astype(np.float32),
            threshold=np.array([self.threshold]),
            topic_ids=np.array(self.topic_ids, dtype=np.int64),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TopicModel:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as archive:
            components = archive["components"]
            return cls(
                vocabulary=[str(term) for term in archive["vocabulary"]],
                idf=archive["idf"],
                components=components if components.size else None,
                centroids=archive["centroids"],
                threshold=float(archive["threshold"][0]),
                topic_ids=[int(i) for i in archive["topic_ids"]],
            )


@dataclass
class Cluster:
    index: int
    size: int
    terms: list[str]
    quote_ids: list[int]


@dataclass
class FitResult:
    model: TopicModel
    item_ids: np.ndarray  # int64, in the order the chunks yielded them
    labels: np.ndarray  # int32 cluster index per item (−1: other)
    scores: np.ndarray  # float32 similarity to the nearest centre
    clusters: list[Cluster]
    selection: dict[str, object]
    other_terms: list[str]


def tfidf_rows(
    token_lists: Sequence[Sequence[str]], index: dict[str, int], idf: np.ndarray
) -> sparse.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for tokens in token_lists:
        counts = Counter(index[t] for t in tokens if t in index)
        for column, count in counts.items():
            indices.append(column)
            data.append((1.0 + math.log(count)) * idf[column])
        indptr.append(len(indices))
    matrix = sparse.csr_matrix(
        (np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int32), indptr),
        shape=(len(token_lists), len(idf)),
    )
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix, dtype=np.float32)


def embed_rows(matrix: sparse.csr_matrix, components: np.ndarray | None) -> np.ndarray:
    dense = matrix @ components.T if components is not None else matrix.toarray()
    dense = np.asarray(dense, dtype=np.float32)
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return dense / norms


def assign_embeddings(
    embeddings: np.ndarray, centroids: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    if embeddings.shape[0] == 0 or centroids.shape[0] == 0:
        return np.full(embeddings.shape[0], -1), np.zeros(embeddings.shape[0])
    similarity = embeddings @ centroids.T
    labels = similarity.argmax(axis=1)
    best = similarity[np.arange(len(labels)), labels]
    labels = np.where(best >= threshold, labels, -1)
    return labels, best


def _normalize_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)


def build_vocabulary(
    sample: Sequence[Sequence[str]], *, max_features: int = MAX_FEATURES
) -> tuple[list[str], np.ndarray]:
    n = len(sample)
    df: Counter[str] = Counter()
    for tokens in sample:
        df.update(set(tokens))
    min_df = 2 if n >= 20 else 1
    max_df = max(min_df, int(0.5 * n)) if n >= 20 else n
    terms = [(term, count) for term, count in df.items() if min_df <= count <= max_df]
    terms.sort(key=lambda pair: (-pair[1], pair[0]))
    terms = terms[:max_features]
    vocabulary = sorted(term for term, _ in terms)
    idf = np.array(
        [math.log((1 + n) / (1 + df[term])) + 1.0 for term in vocabulary], dtype=np.float32
    )
    return vocabulary, idf


def choose_k(
    embeddings: np.ndarray, k_range: Iterable[int] = K_RANGE
) -> tuple[int, dict[str, float]]:
    """The k with the best silhouette (cosine) of k-means on ``embeddings``."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    usable = embeddings[np.linalg.norm(embeddings, axis=1) > 0]
    if len(usable) > SELECTION_SAMPLE:
        rng = np.random.default_rng(RANDOM_STATE)
        usable = usable[rng.choice(len(usable), SELECTION_SAMPLE, replace=False)]
    scores: dict[str, float] = {}
    best_k, best_score = 2, -2.0
    for k in k_range:
        if k >= len(usable):
            break
        labels = KMeans(
            n_clusters=k, n_init=3, max_iter=100, random_state=RANDOM_STATE
        ).fit_predict(usable)
        if len(set(labels)) < 2:
            continue
        score = float(silhouette_score(usable, labels, metric="cosine"))
        scores[str(k)] = round(score, 4)
        if score > best_score:
            best_k, best_score = k, score
    return best_k, scores


def c_tf_idf(cluster_term_counts: list[Counter[str]], *, top: int = LABEL_TERMS) -> list[list[str]]:
    """The most distinctive terms of each cluster (BERTopic's class-based TF-IDF)."""
    totals: Counter[str] = Counter()
    for counts in cluster_term_counts:
        totals.update(counts)
    sizes = [sum(counts.values()) for counts in cluster_term_counts]
    average = (sum(sizes) / len(sizes)) if sizes else 0
    result = []
    for counts, size in zip(cluster_term_counts, sizes, strict=True):
        if not size:
            result.append([])
            continue
        weighted = [
            (count / size * math.log(1 + average / totals[term]), term)
            for term, count in counts.items()
            if count >= 2 or len(counts) < top
        ]
        weighted.sort(key=lambda pair: (-pair[0], pair[1]))
        result.append([term for _, term in weighted[:top]])
    return result


def fit_topics(
    chunks: TokenChunks,
    *,
    k: int | None = None,
    sample_size: int = SAMPLE_SIZE,
    threshold: float = OTHER_THRESHOLD,
    k_range: Iterable[int] = K_RANGE,
    quote_ok: Callable[[int], bool] | None = None,
) -> FitResult:
    """Cluster every item that ``chunks`` yields; see the module docstring for the steps."""
    import sklearn.cluster  # noqa: F401 (loads the OpenMP runtime, so the limit below applies)
    from threadpoolctl import threadpool_limits

    # One BLAS/OpenMP thread: on a shared two-core machine oversubscription is far slower.
    with threadpool_limits(limits=1):
        return _fit_topics(
            chunks,
            k=k,
            sample_size=sample_size,
            threshold=threshold,
            k_range=k_range,
            quote_ok=quote_ok,
        )


def _fit_topics(
    chunks: TokenChunks,
    *,
    k: int | None,
    sample_size: int,
    threshold: float,
    k_range: Iterable[int],
    quote_ok: Callable[[int], bool] | None,
) -> FitResult:
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.decomposition import TruncatedSVD

    # Pass 0: a reservoir sample (bounded memory whatever the size).
    rng = np.random.default_rng(RANDOM_STATE)
    sample: list[Sequence[str]] = []
    seen = 0
    for _ids, token_lists in chunks():
        for tokens in token_lists:
            if not tokens:
                seen += 1
                continue
            if len(sample) < sample_size:
                sample.append(tokens)
            else:
                slot = int(rng.integers(0, seen + 1))
                if slot < sample_size:
                    sample[slot] = tokens
            seen += 1
    n_items = seen
    vocabulary, idf = build_vocabulary(sample)
    index = {term: i for i, term in enumerate(vocabulary)}
    sample_tfidf = tfidf_rows(sample, index, idf) if vocabulary else None
    components = None
    if sample_tfidf is not None:
        n_components = min(N_COMPONENTS, len(vocabulary) - 1, max(2, len(sample) // 4))
        if n_components >= 2 and len(vocabulary) > n_components:
            svd = TruncatedSVD(n_components=n_components, random_state=RANDOM_STATE)
            svd.fit(sample_tfidf)
            components = svd.components_.astype(np.float32)
    sample_embeddings = (
        embed_rows(sample_tfidf, components)
        if sample_tfidf is not None
        else np.zeros((0, 1), np.float32)
    )
    sample_embeddings = sample_embeddings[np.linalg.norm(sample_embeddings, axis=1) > 0]
    selection: dict[str, object] = {"criterion": "given", "k": k}
    if len(sample_embeddings) < 3:
        k = 1 if len(sample_embeddings) else 0
    elif k is None:
        k, scores = choose_k(sample_embeddings, k_range)
        selection = {"criterion": "silhouette (cosine) of k-means on a sample", "k": k, **scores}
    k = max(0, min(k, len(sample_embeddings)))
    dim = sample_embeddings.shape[1] if len(sample_embeddings) else 1
    if k == 0:
        centroids = np.zeros((0, dim), np.float32)
    else:
        # More starts when they are cheap (small sets), fewer for a 10,000-item sample.
        starts = 10 if len(sample_embeddings) <= 5_000 else 3
        kmeans = KMeans(n_clusters=k, n_init=starts, random_state=RANDOM_STATE).fit(
            sample_embeddings
        )
        centroids = kmeans.cluster_centers_.astype(np.float32)
        if n_items > len(sample):
            # Stream the whole set through mini-batch k-means, starting from the sample's centres.
            mini = MiniBatchKMeans(
                n_clusters=k, init=centroids, n_init=1, random_state=RANDOM_STATE, batch_size=2048
            )
            for _ids, token_lists in chunks():
                embedded = embed_rows(tfidf_rows(token_lists, index, idf), components)
                embedded = embedded[np.linalg.norm(embedded, axis=1) > 0]
                if len(embedded) >= k:
                    mini.partial_fit(embedded)
            centroids = mini.cluster_centers_.astype(np.float32)
        centroids = _normalize_rows(centroids)
        # "Other" is relative to how tight the topics are: below half the median similarity
        # of the sample to its nearest centre (never above the absolute ``threshold``).
        nearest = (sample_embeddings @ centroids.T).max(axis=1)
        threshold = float(min(threshold, OTHER_RELATIVE * float(np.median(nearest))))
    model = TopicModel(
        vocabulary=vocabulary,
        idf=idf,
        components=components,
        centroids=centroids,
        threshold=threshold,
    )
    # Pass 2: assign every item, count terms per cluster, keep the closest items as quotes.
    all_ids = np.zeros(n_items, dtype=np.int64)
    all_labels = np.full(n_items, -1, dtype=np.int32)
    all_scores = np.zeros(n_items, dtype=np.float32)
    position = 0
    term_counts = [Counter() for _ in range(k)]
    other_counts: Counter[str] = Counter()
    sizes = [0] * k
    best: list[list[tuple[float, int]]] = [[] for _ in range(k)]
    for ids, token_lists in chunks():
        assigned, similarity = model.assign(token_lists)
        end = position + len(ids)
        all_ids[position:end] = ids
        all_labels[position:end] = assigned
        all_scores[position:end] = similarity
        position = end
        for item_id, tokens, label, score in zip(
            ids, token_lists, assigned.tolist(), similarity.tolist(), strict=True
        ):
            if label < 0:
                other_counts.update(set(tokens))
                continue
            sizes[label] += 1
            term_counts[label].update(set(tokens))
            if quote_ok is None or quote_ok(item_id):
                heap = best[label]
                entry = (score, -item_id)
                if len(heap) < QUOTES * 4:
                    heapq.heappush(heap, entry)
                elif entry > heap[0]:
                    heapq.heapreplace(heap, entry)
    terms = c_tf_idf(term_counts)
    clusters = [
        Cluster(
            index=i,
            size=sizes[i],
            terms=terms[i],
            quote_ids=[-item for _s, item in sorted(best[i], reverse=True)],
        )
        for i in range(k)
    ]
    return FitResult(
        model=model,
        item_ids=all_ids[:position],
        labels=all_labels[:position],
        scores=all_scores[:position],
        clusters=clusters,
        selection={**selection, "n_items": n_items, "sample": len(sample)},
        other_terms=[term for term, _ in other_counts.most_common(LABEL_TERMS)],
    )


def topic_name(terms: Sequence[str], *, count: int = 3) -> str:
    return "・".join(terms[:count]) if terms else ""


def npmi(topics_terms: Sequence[Sequence[str]], documents: Sequence[Iterable[str]]) -> float:
    """Mean normalised PMI of each topic's top-term pairs over ``documents`` (−1 … 1)."""
    doc_sets = [set(doc) for doc in documents]
    n = len(doc_sets)
    if not n:
        return 0.0
    wanted = {term for terms in topics_terms for term in terms}
    postings: dict[str, set[int]] = {term: set() for term in wanted}
    for i, doc in enumerate(doc_sets):
        for term in doc & wanted:
            postings[term].add(i)
    values = []
    for terms in topics_terms:
        for left, right in combinations(terms, 2):
            p_left, p_right = len(postings[left]) / n, len(postings[right]) / n
            p_both = len(postings[left] & postings[right]) / n
            if p_both == 0 or p_left == 0 or p_right == 0:
                values.append(-1.0)
            elif p_both == 1:
                values.append(1.0)
            else:
                values.append(math.log(p_both / (p_left * p_right)) / -math.log(p_both))
    return float(np.mean(values)) if values else 0.0


def diversity(topics_terms: Sequence[Sequence[str]]) -> float:
    """Share of unique terms among all topics' top terms (1.0: no topic repeats another's)."""
    all_terms = [term for terms in topics_terms for term in terms]
    return len(set(all_terms)) / len(all_terms) if all_terms else 0.0


def in_memory_chunks(
    token_lists: Sequence[Sequence[str]], ids: Sequence[int] | None = None, size: int = CHUNK
) -> TokenChunks:
    ids = list(ids) if ids is not None else list(range(len(token_lists)))

    def iterate() -> Iterator[tuple[Sequence[int], Sequence[Sequence[str]]]]:
        for start in range(0, len(token_lists), size):
            yield ids[start : start + size], token_lists[start : start + size]

    return iterate
