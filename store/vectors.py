"""The vector index: chunk ids ranked by cosine similarity to a query, in Chroma or in memory."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import numpy as np

from store.embedders import Embedder
from store.errors import StoreError
from store.models import Chunk

Scalar = str | int | float | bool


class VectorIndex(Protocol):
    """Stores chunk vectors and finds the nearest ones; similarity is higher-is-better cosine."""

    def add(self, chunks: Sequence[Chunk]) -> None:
        """Embed and store chunks; a chunk_id seen before is replaced, not duplicated."""
        ...

    def delete_document(self, doc_id: str) -> None:
        """Remove every chunk of one document."""
        ...

    def query(self, text: str, k: int = 10, doc_ids: Sequence[str] | None = None,
              ids: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """The k chunks most similar to text, best first, optionally only from doc_ids, or only among the chunks
        ids names (looked up by id and ranked exactly: no metadata filter, however large the index)."""
        ...

    def count(self) -> int:
        """How many chunks are stored."""
        ...

    def doc_ids(self) -> set[str]:
        """The documents that have vectors (for repair after a crash)."""
        ...

    def close(self) -> None:
        """Release files; reopen to see what another process wrote since opening."""
        ...


def chunk_metadata(chunk: Chunk) -> dict[str, Scalar]:
    """Chunk metadata as Chroma accepts it: None dropped, non-scalars JSON-encoded."""
    meta: dict[str, Scalar] = {}
    for key, value in chunk.metadata.items():
        if value is None:
            continue
        if isinstance(value, (str, int, float, bool)):
            meta[str(key)] = value
        elif isinstance(value, Decimal):
            meta[str(key)] = str(value)  # str keeps 1.00 exact; a float would not
        else:
            meta[str(key)] = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    # The record's own fields win over anything in metadata: filters rely on them.
    meta.update(doc_id=chunk.doc_id, page=chunk.page, kind=chunk.kind)
    return meta


def collection_name(prefix: str, embedder_name: str) -> str:
    """A Chroma-legal collection name that differs for every embedder name."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", embedder_name).strip("-._")
    name = f"{prefix}_{slug}"
    if slug != embedder_name or len(name) > 60:
        # Slugging can merge two names ('a:b' and 'a/b'); a short hash keeps them apart.
        digest = hashlib.blake2b(embedder_name.encode("utf-8"), digest_size=4).hexdigest()
        name = f"{name[:50].rstrip('-._')}-{digest}"
    return name


def _check(vectors: Sequence[Sequence[float]], embedder: Embedder, n: int) -> np.ndarray:
    """Vectors as a float32 matrix, or StoreError if the embedder broke its promise."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.shape != (n, embedder.dim):
        raise StoreError(f"embedder {embedder.name} returned shape {arr.shape}, expected ({n}, {embedder.dim})")
    return arr


def _ranked(ids: Sequence[str], matrix: np.ndarray, q: np.ndarray, k: int) -> list[tuple[str, float]]:
    """ids by exact cosine of their rows to q, best first (ties in the order given)."""
    if not len(ids):
        return []
    norms = np.linalg.norm(matrix, axis=1)
    norms[norms == 0] = 1.0  # a zero vector scores 0, not NaN
    sims = (matrix @ q) / (norms * float(np.linalg.norm(q)))
    order = np.argsort(-sims, kind="stable")[:k]
    return [(ids[i], float(sims[i])) for i in order]


class InMemoryIndex:
    """A numpy brute-force index with ChromaIndex's behaviour, for tests and small runs."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._ids: list[str] = []
        self._docs: list[str] = []
        self._rows: dict[str, int] = {}
        self._matrix = np.zeros((0, embedder.dim), dtype=np.float32)

    def add(self, chunks: Sequence[Chunk]) -> None:
        """Embed and store chunks; a repeated chunk_id replaces the earlier vector."""
        latest = {c.chunk_id: c for c in chunks}  # last one wins, as in Chroma's upsert
        if not latest:
            return
        vectors = _check(
            self.embedder.embed([c.text for c in latest.values()]),
            self.embedder,
            len(latest),
        )
        new_rows = []
        for chunk, vec in zip(latest.values(), vectors, strict=True):
            row = self._rows.get(chunk.chunk_id)
            if row is None:
                self._rows[chunk.chunk_id] = len(self._ids)
                new_rows.append(vec)
                self._ids.append(chunk.chunk_id)
                self._docs.append(chunk.doc_id)
            else:
                self._matrix[row] = vec
                self._docs[row] = chunk.doc_id
        if new_rows:
            self._matrix = np.vstack([self._matrix, np.asarray(new_rows, dtype=np.float32)])

    def delete_document(self, doc_id: str) -> None:
        """Drop the document's rows and renumber the rest."""
        keep = [i for i, d in enumerate(self._docs) if d != doc_id]
        self._ids = [self._ids[i] for i in keep]
        self._docs = [self._docs[i] for i in keep]
        self._matrix = self._matrix[keep]
        self._rows = {cid: i for i, cid in enumerate(self._ids)}

    def query(self, text: str, k: int = 10, doc_ids: Sequence[str] | None = None,
              ids: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """Exact cosine ranking over the stored vectors."""
        q = np.asarray(self.embedder.embed_query(text), dtype=np.float32)
        if k <= 0 or not np.any(q) or not self._ids:
            return []
        if ids is not None:
            rows = [self._rows[i] for i in dict.fromkeys(ids) if i in self._rows]
        else:
            allowed = None if doc_ids is None else set(doc_ids)
            rows = [i for i, d in enumerate(self._docs) if allowed is None or d in allowed]
        return _ranked([self._ids[i] for i in rows], self._matrix[rows], q, k)

    def count(self) -> int:
        """Number of stored chunks."""
        return len(self._ids)

    def doc_ids(self) -> set[str]:
        """The documents that have vectors here."""
        return set(self._docs)

    def close(self) -> None:
        """Nothing to release."""


class ChromaIndex:
    """Chunks in a persistent Chroma collection, embedded by us (never by Chroma's default model)."""

    def __init__(self, path: Path, embedder: Embedder, collection: str = "chunks", url: str | None = None) -> None:
        import chromadb
        from chromadb.config import Settings

        # With a url, a Chroma server (`chroma run`) holds the collection and path only names it in messages.
        self.path = url or Path(path)
        self.embedder = embedder
        self.name = collection_name(collection, embedder.name)
        settings = Settings(anonymized_telemetry=False)
        try:
            if url:
                parts = urlsplit(url)
                self._client = chromadb.HttpClient(host=parts.hostname or "localhost", port=parts.port or 8000,
                                                   ssl=parts.scheme == "https", settings=settings)
            else:
                Path(path).mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(path), settings=settings)
            # embedding_function=None: Chroma's default would fetch an ONNX model at run time.
            self._col = self._client.get_or_create_collection(
                self.name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedder": embedder.name, "dim": embedder.dim},
            )
            self._max_batch = int(self._client.get_max_batch_size())
        # chromadb raises many unrelated types here; people get one message that names the fix.
        except Exception as exc:
            raise StoreError(
                f"{self.path}: cannot open vector index {self.name}: {exc}; " + (
                    "check BUDGETQA_CHROMA_URL and that `chroma run` is serving there" if url else
                    "check the folder is writable and not in use, or delete it to rebuild")
            ) from exc

    def add(self, chunks: Sequence[Chunk]) -> None:
        """Embed and upsert chunks in batches Chroma accepts."""
        # Chroma rejects duplicate ids within one call; the last one wins, as in InMemoryIndex.
        latest = list({c.chunk_id: c for c in chunks}.values())
        # Embedding in bounded batches keeps memory flat for a 500-page PDF.
        step = max(1, min(self._max_batch, 1024))
        for i in range(0, len(latest), step):
            batch = latest[i : i + step]
            vectors = _check(self.embedder.embed([c.text for c in batch]), self.embedder, len(batch))
            try:
                self._col.upsert(
                    ids=[c.chunk_id for c in batch],
                    embeddings=vectors,
                    metadatas=[chunk_metadata(c) for c in batch],
                )
            except Exception as exc:
                raise StoreError(f"{self.path}: could not write {len(batch)} chunks to {self.name}: {exc}") from exc

    def delete_document(self, doc_id: str) -> None:
        """Delete every chunk whose metadata doc_id matches."""
        try:
            self._col.delete(where={"doc_id": doc_id})
        except Exception as exc:
            raise StoreError(f"{self.path}: could not delete document {doc_id} from {self.name}: {exc}") from exc

    def query(self, text: str, k: int = 10, doc_ids: Sequence[str] | None = None,
              ids: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """Nearest chunks by cosine; similarity = 1 - Chroma's cosine distance (exact, among ids, when given)."""
        if k <= 0 or (doc_ids is not None and not doc_ids) or (ids is not None and not ids):
            return []
        q = np.asarray(self.embedder.embed_query(text), dtype=np.float32)
        if ids is not None:
            return self._among(list(dict.fromkeys(ids)), q, k) if np.any(q) else []
        total = self.count()
        # A zero query vector (punctuation-only text) has no direction: cosine is undefined.
        if total == 0 or not np.any(q):
            return []
        where: dict[str, Any] | None = None
        if doc_ids is not None:
            where = {"doc_id": {"$in": list(dict.fromkeys(doc_ids))}}
        try:
            res = self._col.query(
                query_embeddings=[q.tolist()],
                # Asking for more results than exist only earns a warning.
                n_results=min(k, total),
                where=where,
                include=["distances"],
            )
        except Exception as exc:
            raise StoreError(f"{self.path}: query on {self.name} failed: {exc}") from exc
        ids = res["ids"][0]
        dists = (res.get("distances") or [[]])[0]
        return [(cid, 1.0 - float(d)) for cid, d in zip(ids, dists, strict=True)]

    def _among(self, ids: list[str], q: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k of these chunks nearest q, by their stored vectors fetched by id (a key lookup, not a filter)."""
        found: list[str] = []
        vectors: list[np.ndarray] = []
        try:
            for i in range(0, len(ids), self._max_batch):
                got = self._col.get(ids=ids[i : i + self._max_batch], include=["embeddings"])
                found += got["ids"]
                vectors += list(got["embeddings"])
        except Exception as exc:
            raise StoreError(f"{self.path}: could not read vectors of {len(ids)} chunks from {self.name}: {exc}") from exc
        if not found:
            return []
        return _ranked(found, np.asarray(vectors, dtype=np.float32), q, k)

    def count(self) -> int:
        """Number of stored chunks in this embedder's collection."""
        return int(self._col.count())

    def doc_ids(self) -> set[str]:
        """The documents that have vectors in this collection (read in pages: a repair-time scan)."""
        out: set[str] = set()
        step = 5000
        try:
            for offset in range(0, self.count(), step):
                got = self._col.get(include=["metadatas"], limit=step, offset=offset)
                out |= {str(m.get("doc_id")) for m in got.get("metadatas") or [] if m}
        except Exception as exc:
            raise StoreError(f"{self.path}: could not list the documents of {self.name}: {exc}") from exc
        return out

    def close(self) -> None:
        """Release Chroma's process-wide handle on this folder (it caches one per path)."""
        # Until the last client on a path closes, a "new" client reuses the cached, stale
        # HNSW index and misses vectors another process has added since.
        # ClientAPI doesn't declare close(); chromadb < 1.1 has none and only leaks the cache.
        close = getattr(self._client, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> ChromaIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
