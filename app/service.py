"""The one service the CLI, the Streamlit app and the evaluation call."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from app.settings import Settings, load_settings
from ingest.pipeline import IngestReport, ingest_many, pdf_paths
from store.embedders import make_embedder
from store.facts import FactStore
from store.models import Document, Fact
from store.vectors import ChromaIndex, VectorIndex


class Service:
    """Holds the stores for one data folder and answers what the shells ask."""

    def __init__(self, settings: Settings | None = None, vectors: VectorIndex | None = None) -> None:
        self.settings = settings or load_settings()
        self.settings.home.mkdir(parents=True, exist_ok=True)
        self.facts_store = FactStore(self.settings.db_path)
        self._vectors = vectors

    @property
    def vectors(self) -> VectorIndex:
        """The vector index, opened on first use (Chroma start-up is not free)."""
        if self._vectors is None:
            self._vectors = ChromaIndex(self.settings.vectors_path, make_embedder(self.settings.embedder))
        return self._vectors

    def close(self) -> None:
        """Release the stores."""
        self.facts_store.close()

    def ingest(self, paths: Sequence[Path], force: bool = False, workers: int | None = None,
               progress: Callable[[Path, int, int], None] | None = None) -> Iterator[IngestReport]:
        """Ingest files and folders; yields one report per file as it finishes."""
        files = list(pdf_paths(paths))
        yield from ingest_many(files, self.facts_store, self.vectors, force,
                               workers or self.settings.workers, progress)

    def documents(self) -> list[Document]:
        """What is loaded."""
        return self.facts_store.documents()

    def facts(self, doc: str | None = None) -> list[Fact]:
        """Facts of one document (by doc_id, its prefix, or unit name) or of all."""
        if not doc:
            return self.facts_store.facts()
        ids = [d.doc_id for d in self.documents() if d.doc_id.startswith(doc) or d.unit_name == doc]
        return [f for i in ids for f in self.facts_store.facts(i)]

    def remove(self, doc_id: str) -> bool:
        """Remove a document from both stores."""
        self.vectors.delete_document(doc_id)
        return self.facts_store.remove_document(doc_id)
