"""Topic clustering of token lists (scikit-learn), independent of the database.

Representations (``method``; measured in voc/README.md, the default is ``DEFAULT_METHOD``):

- ``lsa``: lemma TF-IDF → truncated SVD (30 dimensions) — the former pipeline.
- ``nmf``: lemma TF-IDF → NMF (30 non-negative parts); items are their part loadings.
- ``vectors``: the idf-weighted mean of the static word vectors that ``ja-ginza`` ships
  (``voc.vectors``; a compound the table lacks is split into known pieces, ``lemma_ない`` adds
  the vector of ない), with the common component removed (Arora et al. 2017, "SIF").
- ``hybrid``: both, concatenated: the vectors part (weight ``HYBRID_VECTOR_WEIGHT``) and the
  LSA part; the words a team repeats (TF-IDF) and what they mean (vectors).

Pipeline (``fit_topics``):

1. Vocabulary and IDF from a sample (≤ ``SAMPLE_SIZE`` items): terms in at most half of the
   items (and in ≥ 2 of them for the TF-IDF methods), at most ``MAX_FEATURES`` terms. Items
   become sparse TF-IDF rows (sublinear tf, L2-normalised), then embeddings (above),
   L2-normalised (cosine geometry).
   The vector methods scale each term's weight by its salience for the topic
   (``voc.salience``: nouns 1, verbs and adjectives ½, adverbs 0, evaluative predicates ×0.3).
2. Number of topics, unless given: for the vector methods, the communities of the graph that
   links each item of a sample (≤ ``SELECTION_SAMPLE``) to its most similar items
   (``graph_neighbours``: 8, more for large samples), edges weighted by the share of
   neighbours the two have in common (shared nearest neighbours), found by Louvain modularity
   (``GRAPH_RESOLUTION``; communities of fewer than ``GRAPH_MIN_COMMUNITY`` items are
   dropped, at most ``K_MAX`` kept). The graph finds the
   number of topics and their first centres at once; k-means with a fixed k cannot. For the
   TF-IDF methods the k (``k_range_for``) with the best silhouette (cosine) of k-means on a sample.
3. Clustering: k-means on the sample (≤ 10,000 items, so memory is bounded whatever the size;
   every item is then assigned chunk by chunk), started from the communities' centres (vector
   methods) or from several k-means++ starts seeded by ``seed``. With
   ``previous`` (the last run's model, same method, a set of about the same size), the previous
   representation is reused and
   k-means starts from its centres: the same data give the same topics, a few more items move
   few of them (see ``bench stability``).
4. An item whose cosine similarity to every centre is below the threshold, or that has no known
   term, goes to the "other / unassigned" bucket (label −1) instead of being forced.
5. Terms: class-based TF-IDF (c-TF-IDF, as in BERTopic) per cluster; representative quotes are
   the items closest to the centre. Phrase labels are made from the items' text by
   ``voc.labels`` (the service and the evaluation call it; this module sees tokens only).

``TopicModel`` keeps what is needed to assign a new item (or a clause) on arrival and serialises
to an ``.npz`` archive (no pickle); word vectors are looked up again from the package on load.
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
K_MIN, K_MAX = 2, 40
K_RANGE = range(K_MIN, 16)  # the former fixed range (tests and callers may still pass one)
OTHER_THRESHOLD = 0.2
OTHER_RELATIVE = 0.5
# With the common component removed, vector embeddings spread around the origin and a topic's
# items are less similar to its centre (k = 2 on long reviews: ±): a lower relative bar.
OTHER_RELATIVE_VECTORS = 0.25
CHUNK = 10_000
LABEL_TERMS = 10
QUOTES = 5
RANDOM_STATE = 0
METHODS = ("hybrid", "vectors", "nmf", "lsa")
DEFAULT_METHOD = "vectors"
HYBRID_VECTOR_WEIGHT = 0.8
COMMON_COMPONENTS = 1
# Re-use the previous run's representation and centres when the set changed by at most this
# share of items; keep its k unless another k's silhouette is better by more than the margin.
WARM_CHANGE = 0.25
KEEP_K_MARGIN = 0.03
KEEP_K_SHARE = 0.2
# The vector methods find the number of topics as communities of the shared-nearest-neighbour
# graph of a sample. Silhouette is nearly flat on short comments (2–4 topics for 7–21 true ones);
# a cohesion bar on k-means found too many topics on one business's comments and too few on
# several businesses' (voc/README.md, "Measured").
GRAPH_NEIGHBOURS = 8
GRAPH_RESOLUTION = 1.5
GRAPH_MIN_COMMUNITY = 3
GRAPH_CRITERION = "communities of the shared-nearest-neighbour graph (Louvain)"

TokenChunks = Callable[[], Iterator[tuple[Sequence[int], Sequence[Sequence[str]]]]]
"""A callable returning a fresh iterator of (ids, token lists) chunks (called once per pass)."""


def _uses_vectors(method: str) -> bool:
    return method in ("vectors", "hybrid")


def _uses_tfidf_projection(method: str) -> bool:
    return method in ("lsa", "nmf", "hybrid")


@dataclass
class TopicModel:
    vocabulary: list[str]
    idf: np.ndarray
    components: np.ndarray | None  # (n_components, n_terms) or None (no projection)
    centroids: np.ndarray  # (k, dim), L2-normalised
    threshold: float = OTHER_THRESHOLD
    topic_ids: list[int] = field(default_factory=list)  # database ids, one per centre
    method: str = "lsa"
    common: np.ndarray | None = None  # (m, 300) common components removed from vectors
    vector_weight: float = HYBRID_VECTOR_WEIGHT
    n_fit: int = 0  # items in the set the model was fitted on
    _index: dict[str, int] | None = None
    _term_vectors: np.ndarray | None = None
    _unknown_cache: dict[str, np.ndarray | None] = field(default_factory=dict)

    @property
    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {term: i for i, term in enumerate(self.vocabulary)}
        return self._index

    @property
    def k(self) -> int:
        return int(self.centroids.shape[0])

    @property
    def term_vectors(self) -> np.ndarray:
        if self._term_vectors is None:
            self._term_vectors = term_vector_matrix(self.vocabulary)
        return self._term_vectors

    def tfidf(self, token_lists: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        return tfidf_rows(token_lists, self.index, self.idf)

    def embed(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        return self.embed_tfidf(self.tfidf(token_lists), token_lists)

    def _unknown_vectors(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray | None:
        """Σ weight · vector of the tokens outside the vocabulary that the table knows.

        A word the fitted sample never saw still says what the item is about (滝, 紅葉): it
        weighs as a rare word (the largest idf), scaled like the rows of ``tfidf_rows``.
        """
        from voc.vectors import word_vectors

        table = word_vectors()
        if table is None or not len(self.idf):
            return None
        cache = self._unknown_cache
        weight = float(self.idf.max())
        index = self.index
        result = np.zeros((len(token_lists), self.term_vectors.shape[1]), np.float32)
        any_found = False
        for row, tokens in enumerate(token_lists):
            counts = Counter(t for t in tokens if t not in index)
            if not counts:
                continue
            known = [(index[t], c) for t, c in Counter(tokens).items() if t in index]
            norm_sq = sum(((1 + math.log(c)) * float(self.idf[i])) ** 2 for i, c in known)
            norm_sq += sum(((1 + math.log(c)) * weight) ** 2 for c in counts.values())
            scale = 1.0 / math.sqrt(norm_sq) if norm_sq else 0.0
            for token, count in counts.items():
                if token not in cache:
                    if len(cache) > 50_000:
                        cache.clear()
                    cache[token] = table.token_vector(token)
                vector = cache[token]
                if vector is not None:
                    result[row] += (1 + math.log(count)) * weight * scale * vector
                    any_found = True
        return result if any_found else None

    def embed_tfidf(
        self, matrix: sparse.csr_matrix, token_lists: Sequence[Sequence[str]] | None = None
    ) -> np.ndarray:
        parts = []
        if _uses_vectors(self.method):
            extra = self._unknown_vectors(token_lists) if token_lists is not None else None
            parts.append(
                math.sqrt(self.vector_weight if self.method == "hybrid" else 1.0)
                * vector_rows(matrix, self.term_vectors, self.common, extra)
            )
        if _uses_tfidf_projection(self.method):
            weight = 1.0 - self.vector_weight if self.method == "hybrid" else 1.0
            parts.append(math.sqrt(weight) * embed_rows(matrix, self.components))
        if len(parts) == 1:
            return parts[0]
        return _normalize_rows(np.hstack(parts))

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
            method=np.array([self.method]),
            common=(
                self.common.astype(np.float32)
                if self.common is not None
                else np.zeros((0, 0), np.float32)
            ),
            vector_weight=np.array([self.vector_weight]),
            n_fit=np.array([self.n_fit], dtype=np.int64),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TopicModel:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as archive:
            components = archive["components"]
            files = set(archive.files)
            common = archive["common"] if "common" in files else np.zeros((0, 0))
            return cls(
                vocabulary=[str(term) for term in archive["vocabulary"]],
                idf=archive["idf"],
                components=components if components.size else None,
                centroids=archive["centroids"],
                threshold=float(archive["threshold"][0]),
                topic_ids=[int(i) for i in archive["topic_ids"]],
                method=str(archive["method"][0]) if "method" in files else "lsa",
                common=common if common.size else None,
                vector_weight=(
                    float(archive["vector_weight"][0])
                    if "vector_weight" in files
                    else HYBRID_VECTOR_WEIGHT
                ),
                n_fit=int(archive["n_fit"][0]) if "n_fit" in files else 0,
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
        counts: dict[int, int] = {}
        for token in tokens:
            column = index.get(token)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
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


def term_vector_matrix(vocabulary: Sequence[str]) -> np.ndarray:
    """(terms × 300) word vectors of the vocabulary (zero rows for unknown words)."""
    from voc.vectors import DIM, word_vectors

    table = word_vectors()
    if table is None:
        return np.zeros((len(vocabulary), DIM), np.float32)
    return table.matrix(list(vocabulary))[0]


def vector_rows(
    matrix: sparse.csr_matrix,
    term_vectors: np.ndarray,
    common: np.ndarray | None,
    extra: np.ndarray | None = None,
) -> np.ndarray:
    """The tf-idf-weighted mean word vector of each row, common components removed, L2-normed."""
    dense = np.asarray(matrix @ term_vectors, dtype=np.float32)
    if extra is not None:
        dense = dense + extra
    known = np.linalg.norm(dense, axis=1) > 0
    if common is not None and len(common):
        dense = dense - (dense @ common.T) @ common
    dense[~known] = 0.0
    return _normalize_rows(dense)


def common_components(embeddings: np.ndarray, count: int = COMMON_COMPONENTS) -> np.ndarray:
    """The first principal directions (uncentred, as in SIF) of the rows: (count, dim)."""
    usable = embeddings[np.linalg.norm(embeddings, axis=1) > 0]
    if len(usable) < 3:
        return np.zeros((0, embeddings.shape[1]), np.float32)
    gram = usable.T.astype(np.float64) @ usable
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1][:count]
    return vectors[:, order].T.astype(np.float32)


def assign_embeddings(
    embeddings: np.ndarray, centroids: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    if embeddings.shape[0] == 0 or centroids.shape[0] == 0:
        return np.full(embeddings.shape[0], -1), np.zeros(embeddings.shape[0])
    similarity = embeddings @ centroids.T
    labels = similarity.argmax(axis=1)
    best = similarity[np.arange(len(labels)), labels]
    empty = np.linalg.norm(embeddings, axis=1) == 0
    labels = np.where((best >= threshold) & ~empty, labels, -1)
    return labels, best


def _normalize_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)


def build_vocabulary(
    sample: Sequence[Sequence[str]], *, max_features: int = MAX_FEATURES, min_df: int | None = None
) -> tuple[list[str], np.ndarray]:
    n = len(sample)
    df: Counter[str] = Counter()
    for tokens in sample:
        df.update(set(tokens))
    if min_df is None:
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


def k_range_for(n_items: int) -> range:
    """Candidate numbers of topics: 2 … about √(n/2), at most ``K_MAX`` (5 items a topic)."""
    upper = int(min(K_MAX, max(K_MIN + 1, round(math.sqrt(n_items / 2) * 1.5)), n_items // 5))
    return range(K_MIN, max(K_MIN + 1, upper) + 1)


def _selection_sample(embeddings: np.ndarray, seed: int) -> np.ndarray:
    usable = embeddings[np.linalg.norm(embeddings, axis=1) > 0]
    if len(usable) > SELECTION_SAMPLE:
        rng = np.random.default_rng(seed)
        usable = usable[rng.choice(len(usable), SELECTION_SAMPLE, replace=False)]
    return usable


def silhouette_scores(
    embeddings: np.ndarray, k_range: Iterable[int], *, seed: int = RANDOM_STATE
) -> dict[int, float]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    usable = _selection_sample(embeddings, seed)
    scores: dict[int, float] = {}
    for k in k_range:
        if k >= len(usable):
            break
        labels = KMeans(n_clusters=k, n_init=3, max_iter=100, random_state=seed).fit_predict(usable)
        if len(set(labels)) < 2:
            continue
        scores[k] = float(silhouette_score(usable, labels, metric="cosine"))
    return scores


def choose_k(
    embeddings: np.ndarray, k_range: Iterable[int] = K_RANGE, *, seed: int = RANDOM_STATE
) -> tuple[int, dict[str, float]]:
    """The k with the best silhouette (cosine) of k-means on ``embeddings``."""
    scores = silhouette_scores(embeddings, k_range, seed=seed)
    if not scores:
        return 2, {}
    best_k = max(scores, key=lambda k: (scores[k], -k))
    return best_k, {str(k): round(score, 4) for k, score in scores.items()}


def neighbour_graph(embeddings: np.ndarray, neighbours: int = GRAPH_NEIGHBOURS):  # type: ignore[no-untyped-def]
    """The shared-nearest-neighbour graph of L2-normalised rows (a ``networkx.Graph``).

    Each row is linked to its ``neighbours`` most similar rows (cosine) and they to it; an
    edge weighs the Jaccard overlap of the two rows' neighbourhoods (each including the row
    itself), so two comments are close when the comments around them are the same ones — more
    robust on short texts than the similarity of the two alone.
    """
    import networkx as nx

    n = len(embeddings)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    neighbours = min(neighbours, n - 1)
    if neighbours < 1:
        return graph
    rows: list[np.ndarray] = []
    for start in range(0, n, 1_000):  # 1,000 × n similarities at a time
        block = embeddings[start : start + 1_000] @ embeddings.T
        block[np.arange(len(block)), np.arange(start, start + len(block))] = -np.inf
        rows.append(np.argpartition(-block, neighbours - 1, axis=1)[:, :neighbours])
    nearest = np.vstack(rows)
    with_self = np.hstack([np.arange(n)[:, None], nearest])
    membership = sparse.csr_matrix(
        (
            np.ones(with_self.size, np.float32),
            with_self.ravel(),
            np.arange(0, with_self.size + 1, neighbours + 1),
        ),
        shape=(n, n),
    )
    linked = sparse.csr_matrix(
        (
            np.ones(nearest.size, np.float32),
            nearest.ravel(),
            np.arange(0, nearest.size + 1, neighbours),
        ),
        shape=(n, n),
    )
    linked = ((linked + linked.T) > 0).astype(np.float32)
    shared = (membership @ membership.T).multiply(linked).tocoo()
    weights = shared.data / (2 * (neighbours + 1) - shared.data)
    keep = shared.row < shared.col
    graph.add_weighted_edges_from(
        zip(
            shared.row[keep].tolist(),
            shared.col[keep].tolist(),
            weights[keep].tolist(),
            strict=True,
        )
    )
    return graph


def graph_neighbours(n_items: int) -> int:
    """How many neighbours each item of an ``n_items`` sample is linked to: ``GRAPH_NEIGHBOURS``
    up to about 400 items, then √n / 2.5 (18 at the 2,000-item sample). With a fixed number,
    a large set's graph falls apart into many small communities (one business's 1,500 comments:
    40 topics at 8 neighbours, 26 at 16); sets of a few hundred comments are unchanged."""
    return max(GRAPH_NEIGHBOURS, round(math.sqrt(n_items) / 2.5))


def community_centres(
    embeddings: np.ndarray, *, seed: int = RANDOM_STATE, k_max: int = K_MAX
) -> tuple[np.ndarray, dict[str, object]]:
    """Centres (L2-normalised) of the Louvain communities of a sample's neighbour graph.

    Communities of fewer than ``GRAPH_MIN_COMMUNITY`` items are dropped (their items go to the
    nearest kept centre), and at most ``k_max`` of the largest are kept.
    """
    import networkx as nx

    usable = _selection_sample(embeddings, seed)
    if len(usable) < 2 * GRAPH_MIN_COMMUNITY:
        return _normalize_rows(usable.mean(axis=0, keepdims=True)), {"communities": 1}
    graph = neighbour_graph(usable, graph_neighbours(len(usable)))
    found = nx.community.louvain_communities(
        graph, weight="weight", resolution=GRAPH_RESOLUTION, seed=seed
    )
    sizes = sorted((len(c) for c in found), reverse=True)
    kept = sorted(
        (sorted(c) for c in found if len(c) >= GRAPH_MIN_COMMUNITY), key=lambda c: (-len(c), c[0])
    )[:k_max]
    if not kept:
        kept = [list(range(len(usable)))]
    centres = _normalize_rows(np.vstack([usable[c].mean(axis=0) for c in kept]))
    return centres, {
        "communities": len(found),
        "kept": len(kept),
        "sample": len(usable),
        "largest": sizes[:5],
        "modularity": round(
            float(
                nx.community.modularity(graph, found, weight="weight", resolution=GRAPH_RESOLUTION)
            ),
            4,
        ),
    }


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
    k_range: Iterable[int] | None = None,
    quote_ok: Callable[[int], bool] | None = None,
    method: str = DEFAULT_METHOD,
    seed: int = RANDOM_STATE,
    previous: TopicModel | None = None,
) -> FitResult:
    """Cluster every item that ``chunks`` yields; see the module docstring for the steps."""
    import sklearn.cluster  # noqa: F401 (loads the OpenMP runtime, so the limit below applies)
    from threadpoolctl import threadpool_limits

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r} (one of {', '.join(METHODS)})")
    # One BLAS/OpenMP thread: on a shared two-core machine oversubscription is far slower.
    with threadpool_limits(limits=1):
        return _fit_topics(
            chunks,
            k=k,
            sample_size=sample_size,
            threshold=threshold,
            k_range=k_range,
            quote_ok=quote_ok,
            method=method,
            seed=seed,
            previous=previous,
        )


def _reservoir(chunks: TokenChunks, sample_size: int, seed: int) -> tuple[list, int]:
    rng = np.random.default_rng(seed)
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
    return sample, seen


def _fit_representation(
    sample: Sequence[Sequence[str]], method: str, seed: int, n_items: int
) -> TopicModel:
    from sklearn.decomposition import NMF, TruncatedSVD

    vocabulary, idf = build_vocabulary(sample, min_df=1 if _uses_vectors(method) else None)
    if _uses_vectors(method):
        from voc.salience import term_weights

        idf = idf * term_weights(vocabulary)
    model = TopicModel(
        vocabulary=vocabulary,
        idf=idf,
        components=None,
        centroids=np.zeros((0, 1), np.float32),
        method=method,
        n_fit=n_items,
    )
    if not vocabulary:
        return model
    sample_tfidf = model.tfidf(sample)
    if _uses_tfidf_projection(method):
        n_components = min(N_COMPONENTS, len(vocabulary) - 1, max(2, len(sample) // 4))
        if n_components >= 2 and len(vocabulary) > n_components:
            if method == "nmf":
                nmf = NMF(
                    n_components=n_components, init="nndsvda", random_state=seed, max_iter=300
                )
                nmf.fit(sample_tfidf)
                model.components = _normalize_rows(nmf.components_)
            else:
                svd = TruncatedSVD(n_components=n_components, random_state=seed)
                svd.fit(sample_tfidf)
                model.components = svd.components_.astype(np.float32)
    if _uses_vectors(method):
        raw = np.asarray(sample_tfidf @ model.term_vectors, dtype=np.float32)
        model.common = common_components(_normalize_rows(raw))
    return model


def _compatible(previous: TopicModel | None, method: str, n_items: int) -> bool:
    if previous is None or previous.method != method or previous.k == 0 or not previous.n_fit:
        return False
    return abs(n_items - previous.n_fit) <= WARM_CHANGE * previous.n_fit


def _fit_topics(
    chunks: TokenChunks,
    *,
    k: int | None,
    sample_size: int,
    threshold: float,
    k_range: Iterable[int] | None,
    quote_ok: Callable[[int], bool] | None,
    method: str,
    seed: int,
    previous: TopicModel | None,
) -> FitResult:
    from sklearn.cluster import KMeans

    # Pass 0: a reservoir sample (bounded memory whatever the size).
    sample, n_items = _reservoir(chunks, sample_size, seed)
    warm = _compatible(previous, method, n_items)
    if warm:
        assert previous is not None
        model = TopicModel(
            vocabulary=previous.vocabulary,
            idf=previous.idf,
            components=previous.components,
            centroids=previous.centroids,
            method=method,
            common=previous.common,
            vector_weight=previous.vector_weight,
            n_fit=previous.n_fit,
        )
        model._term_vectors = previous._term_vectors
    else:
        model = _fit_representation(sample, method, seed, n_items)
    sample_embeddings = model.embed(sample) if model.vocabulary else np.zeros((0, 1), np.float32)
    sample_embeddings = sample_embeddings[np.linalg.norm(sample_embeddings, axis=1) > 0]
    selection: dict[str, object] = {"criterion": "given", "k": k, "method": method}
    init: np.ndarray | str = "k-means++"
    starts = 10 if len(sample_embeddings) <= 2_000 else 3
    if len(sample_embeddings) < 3:
        k = 1 if len(sample_embeddings) else 0
    elif k is None:
        if _uses_vectors(method) and k_range is None:
            k_max = min(K_MAX, max(K_MIN, len(sample_embeddings) // 4))
            centres, found = community_centres(sample_embeddings, seed=seed, k_max=k_max)
            init, starts, k = centres.astype(np.float64), 1, len(centres)
            selection = {"criterion": GRAPH_CRITERION, "method": method, "k": k, **found}
        else:
            candidates = k_range if k_range is not None else k_range_for(len(sample_embeddings))
            k, scores = choose_k(sample_embeddings, candidates, seed=seed)
            selection = {
                "criterion": "silhouette (cosine) of k-means on a sample",
                "method": method,
                "k": k,
                **scores,
            }
        if warm and previous is not None and abs(k - previous.k) <= KEEP_K_SHARE * previous.k:
            # Topics hold still: the previous number unless the data clearly want another.
            k = previous.k
            selection.update({"k": k, "kept_previous_k": True})
    if warm and previous is not None and k == previous.k:
        init, starts = previous.centroids.astype(np.float64), 1
        selection["warm_start"] = True
    k = max(0, min(k, len(sample_embeddings)))
    dim = sample_embeddings.shape[1] if len(sample_embeddings) else 1
    if k == 0:
        centroids = np.zeros((0, dim), np.float32)
    else:
        kmeans = KMeans(n_clusters=k, n_init=starts, init=init, random_state=seed).fit(
            sample_embeddings
        )
        # The centres of a 10,000-item sample (at most 40 topics) are what a pass of mini-batch
        # k-means over every item would give, give or take; one pass fewer over the whole set.
        centroids = _normalize_rows(kmeans.cluster_centers_.astype(np.float32))
        # "Other" is relative to how tight the topics are: below half the median similarity
        # of the sample to its nearest centre (never above the absolute ``threshold``).
        nearest = (sample_embeddings @ centroids.T).max(axis=1)
        relative = OTHER_RELATIVE_VECTORS if _uses_vectors(method) else OTHER_RELATIVE
        threshold = float(min(threshold, relative * float(np.median(nearest))))
    model.centroids = centroids
    model.threshold = threshold
    model.n_fit = model.n_fit if warm else n_items
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
