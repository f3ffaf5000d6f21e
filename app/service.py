"""The one service the CLI, the Streamlit app and the evaluation call."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from app.answer import Answer, refusal
from app.ask import Asker
from app.doctor import Backend, Finding, backends, check, copy_whole
from app.llm import make_chat_model
from app.settings import Settings, load_settings
from app.spelling import respelled
from app.verify import Evidence, verify
from ingest.pipeline import IngestReport, ingest_many, parse_file, pdf_paths
from store.embedders import make_embedder
from store.errors import BudgetQAError
from store.facts import open_fact_store
from store.models import Document, Fact
from store.vectors import ChromaIndex, VectorIndex

# Questions are a sentence or two; anything longer is pasted text, refused at once instead of matched for seconds.
MAX_QUESTION_CHARS = 500
MAX_DRAFT_CHARS = 20_000
MAX_CONVERSATIONS = 1000  # follow-up memory: the last question of each recent conversation


MAX_SESSION_MODELS = 32  # chat sessions with a model of their own, the oldest forgotten first


class Service:
    """Holds the stores for one data folder and answers what the shells ask."""

    def __init__(self, settings: Settings | None = None, vectors: VectorIndex | None = None) -> None:
        self.settings = settings or load_settings()
        self.settings.home.mkdir(parents=True, exist_ok=True)
        self.facts_store = open_fact_store(self.settings.db_path, self.settings.database_url)
        self._vectors = vectors
        self._own_vectors = vectors is None  # opened here, so reopened here when another process writes
        self._generation = self.facts_store.generation()
        self.repaired: list[Finding] = []  # what the last write repaired of an earlier crash
        self._conversations: dict[str, str] = {}
        self.asker = self._asker(make_chat_model(self.settings.llm))
        self._session_askers: dict[str, Asker] = {}  # chat sessions' own models (use_model)

    def _asker(self, model: BaseChatModel | None) -> Asker:
        """An asker over this service's stores, drafting with this chat model (None: offline)."""
        return Asker(self.facts_store, lambda: self.vectors, model, self.settings.llm_timeout,
                     frame_model=model if self.settings.llm_frames else None)

    def has_model(self, key: str) -> bool:
        """Whether a session's model is registered under this key."""
        return key in self._session_askers

    def use_model(self, key: str, model: BaseChatModel | None) -> None:
        """Answer questions asked with ``model=key`` by this chat model (a chat session's own setting, held in
        memory only: its key never reaches the disk); the service's own model answers every other question."""
        self._session_askers[key] = self._asker(model)
        while len(self._session_askers) > MAX_SESSION_MODELS:
            self._session_askers.pop(next(iter(self._session_askers)))

    @property
    def vectors(self) -> VectorIndex:
        """The vector index, opened on first use (Chroma start-up is not free)."""
        if self._vectors is None:
            self._vectors = ChromaIndex(self.settings.vectors_path, make_embedder(self.settings.embedder),
                                        url=self.settings.chroma_url)
        return self._vectors

    def follow_writers(self) -> None:
        """Reopen the indexes when another process (a CLI ingest, another chat) has written since."""
        generation = self.facts_store.generation()
        if generation == self._generation:
            return
        self._generation = generation
        if self._own_vectors and self._vectors is not None:
            self._vectors.close()  # Chroma caches a stale index per folder until its client closes
            self._vectors = None
        for asker in (self.asker, *self._session_askers.values()):
            asker.forget()

    def _parser(self):
        """parse_file itself, or the same in a child process under the settings' limits."""
        if not self.settings.sandbox:
            return parse_file
        from functools import partial

        from ingest.sandbox import Limits, parse_sandboxed

        s = self.settings
        return partial(parse_sandboxed, limits=Limits(s.parse_memory_mb, s.parse_cpu_seconds, s.parse_seconds,
                                                      s.parse_max_pages))

    def prepare_ingest(self) -> list:
        """Start what reading PDFs needs (the sandbox's forkserver, jieba's dictionary) in background threads,
        returned: a process's start-up, paid while the caller does other work rather than by its first file."""
        import threading

        from store import lexical

        threads = [lexical.warm_up()]
        if self.settings.sandbox:
            from ingest.sandbox import start_reader

            threads.append(threading.Thread(target=start_reader, name="reader-start", daemon=True))
            threads[-1].start()
        return threads

    def close(self) -> None:
        """Release the stores."""
        self.facts_store.close()

    def ingest(self, paths: Sequence[Path], force: bool = False, workers: int | None = None,
               progress: Callable[[Path, int, int], None] | None = None) -> Iterator[IngestReport]:
        """Ingest files and folders; yields one report per file as it finishes."""
        files = list(pdf_paths(paths))
        with self._writer():
            for report in ingest_many(files, self.facts_store, self.vectors, force,
                                      workers or self.settings.workers, progress, self._parser(), self._archive):
                if report.status == "skipped" and report.document and not self.pdf_path(report.document.doc_id):
                    self._archive(Path(report.path), report.document.doc_id)  # a copy a crash left unmade
                yield report
        self.asker.forget()

    @contextmanager
    def _writer(self) -> Iterator[None]:
        """The data folder's write lock, held for one ingest, removal or correction; repairs first."""
        def waiting(message: str) -> None:
            print(message, file=sys.stderr)

        with self.facts_store.writer_lock(self.settings.lock_timeout, waiting):
            if self.facts_store.pending():  # a writer before this one stopped half-way
                self.repaired = self._repair()
            try:
                yield
            finally:
                self._generation = self.facts_store.generation()  # our own writes need no reopening

    def doctor(self, repair: bool = False) -> list[Finding]:
        """What a crashed writer left inconsistent across the stores; with repair, fixed (under the lock)."""
        if not repair:
            return check(self.facts_store, self.vectors, self.settings.pdfs_path, repair=False)
        with self.facts_store.writer_lock(self.settings.lock_timeout):
            return self._repair()

    def backends(self) -> list[Backend]:
        """The configured stores (embedded or servers): where they are, and whether they are ready."""
        return backends(self.facts_store, self.vectors)

    def _repair(self) -> list[Finding]:
        found = check(self.facts_store, self.vectors, self.settings.pdfs_path, repair=True)
        if found:
            self.asker.forget()
        return found

    def _archive(self, path: Path, doc_id: str) -> None:
        # A copy of the PDF by its sha256, so sources can show the page even after the original moves.
        copy_whole(path, self.settings.pdfs_path / f"{doc_id}.pdf")

    def pdf_path(self, doc_id: str) -> Path | None:
        """The archived copy of a loaded document's PDF, if there is one."""
        path = self.settings.pdfs_path / f"{doc_id}.pdf"
        return path if path.exists() else None

    def page_image(self, doc_id: str, page: int, region: tuple | None = None, highlight: tuple | None = None,
                   resolution: int = 110):
        """A PIL image of a page (or of a region around a cell, the cell highlighted), for sources."""
        from ingest.pdf import PdfFile

        path = self.pdf_path(doc_id)
        if path is None:
            return None
        with PdfFile(path) as pdf:
            return pdf.render_region(page, region, highlight, resolution)

    def quoted_band(self, doc_id: str, page: int, quoted: str, resolution: int = 110):
        """A PIL image of the page band holding the lines an answer quotes, each line marked (its passage, shown
        where no cell is cited); None when no line is found or the PDF is not archived."""
        from ingest.pdf import PdfFile

        path = self.pdf_path(doc_id)
        if path is None:
            return None
        with PdfFile(path) as pdf:  # one open for finding the lines and drawing them
            boxes = pdf.quoted_lines(page, quoted)
            if not boxes:
                return None
            band = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                    max(b[3] for b in boxes))
            return pdf.render_region(page, band, boxes, resolution)

    def documents(self) -> list[Document]:
        """What is loaded."""
        return self.facts_store.documents()

    def select(self, doc: str | None) -> list[Document]:
        """Loaded documents a --doc value names (doc_id, its first characters, or unit name); all for None."""
        return [d for d in self.documents() if not doc or d.doc_id.startswith(doc) or d.unit_name == doc]

    def facts(self, doc: str | None = None) -> list[Fact]:
        """Facts of one document (by doc_id, its prefix, or unit name) or of all."""
        if not doc:
            return self.facts_store.facts()
        ids = [d.doc_id for d in self.select(doc)]
        return [f for i in ids for f in self.facts_store.facts(i)]

    def set_identity(self, doc: str, *, unit_name: str | None = None, year: int | None = None,
                     kind: str | None = None, scope: str | None = None) -> Document:
        """Correct one document's unit, year, kind or scope; its facts and chunks follow without re-parsing."""
        chosen = self.select(doc)
        if len(chosen) != 1:
            found = "no document" if not chosen else f"{len(chosen)} documents"
            raise BudgetQAError(f"{doc}: {found} match; give a doc_id (or its first characters) from `budgetqa docs`")
        if kind not in (None, "预算", "决算") or scope not in (None, "部门", "单位"):
            raise BudgetQAError(f"kind must be 预算 or 决算 and scope 部门 or 单位 (got {kind!r}, {scope!r})")
        with self._writer():
            updated = self.facts_store.set_identity(chosen[0].doc_id, unit_name=unit_name, year=year, kind=kind,
                                                    scope=scope)
        self.asker.forget(updated.doc_id)
        return updated

    def remove(self, doc_id: str) -> bool:
        """Remove a document from every store."""
        with self._writer():
            self.facts_store.mark_pending(doc_id, "")  # a crash in between: doctor removes the rest
            removed = self.facts_store.remove_document(doc_id)
            self.vectors.delete_document(doc_id)
            self.asker.forget(doc_id)
            archived = self.pdf_path(doc_id)
            if archived:
                archived.unlink()
            self.facts_store.clear_pending(doc_id)
        return removed

    def ask(self, question: str, doc: str | None = None, conversation: str | None = None,
            model: str | None = None) -> Answer:
        """Answer one question with verified figures and citations, or refuse.

        With a conversation id, a follow-up ("那2018年呢？") takes its missing slots from the previous question
        of that conversation, and the answer says what it assumed."""
        started = time.perf_counter()
        original = question or ""
        asked = question = respelled(original.strip())
        assumed = ""
        if conversation is not None and question and len(question) <= MAX_QUESTION_CHARS:
            from app.followup import follow_up
            from app.scope import aliases

            names = {a for d in self.documents() for a in aliases(d.unit_name)}
            question, assumed = follow_up(question, self._conversations.get(conversation), names)
            self._conversations[conversation] = question
            while len(self._conversations) > MAX_CONVERSATIONS:
                self._conversations.pop(next(iter(self._conversations)))
        if not question:
            return refusal(question, "请输入一个问题，例如“三公经费是多少？”")
        if len(question) > MAX_QUESTION_CHARS:
            return refusal(question[:80] + "…", f"问题太长（{len(question)}字），请缩短到{MAX_QUESTION_CHARS}字以内，一次问一件事")
        self.follow_writers()
        answer = self._session_askers.get(model or "", self.asker).ask(question, doc)
        if question == asked and answer.question == asked:
            answer = replace(answer, question=original.strip())
        if assumed:
            answer = replace(answer, notes=(assumed, *answer.notes))
        return replace(answer, elapsed_ms=round((time.perf_counter() - started) * 1000))

    def audit(self, doc: str | None = None):
        """Consistency findings (勾稽关系) for one document (doc_id, its prefix or unit name) or all."""
        from app.audit import audit_stored

        return audit_stored(self.facts_store, self.select(doc))

    def review(self, finding_key: str, doc_id: str, mark: str | None, note: str = "") -> None:
        """A reviewer's mark on a finding (确认 / 忽略, None to clear) and note, kept in the store."""
        self.facts_store.set_review(finding_key, doc_id, mark, note)

    def reviews(self, doc_id: str | None = None):
        """The marks made on findings, by finding key."""
        return self.facts_store.reviews(doc_id)

    def fault_report(self, records):
        """Inject wrong figures into drafts of every correctly answered figure question and verify them."""
        from app.faults import drafts_for, run_faults

        drafts = []
        for r in records:
            if r.correct and r.gold["kind"] == "number" and r.answer.citations:
                drafts += drafts_for(r.answer, r.gold.get("doc"), self._other_row_value(r.answer.citations[0]))
        return run_faults(drafts, self.verify)

    def _other_row_value(self, cite) -> Decimal | None:
        """A figure of another row of the same table and column: the value a mix-up would give."""
        if not cite.fact_id:
            return None
        for f in self.facts_store.facts(cite.doc_id):
            if f.table_title == cite.table and f.column == cite.column and f.row_label != cite.row \
                    and f.value not in (Decimal(cite.value or 0), Decimal(0)):
                return f.value
        return None

    def verify(self, question: str, draft: str, doc: str | None = None):
        """Check every number of a draft answer against the loaded documents' facts."""
        from app.scope import resolve
        from app.understand import understand

        if len(draft) > MAX_DRAFT_CHARS:
            raise BudgetQAError(f"the draft is {len(draft)} characters; verify takes at most {MAX_DRAFT_CHARS} at once: "
                                "split it into answers")
        query = understand(question)
        scope = resolve(query, self.documents(), doc)
        docs = scope.documents or tuple(self.documents())
        evidence = Evidence([self.asker.doc_facts(d) for d in docs], (), (), list(query.terms))
        return verify(draft, evidence)
