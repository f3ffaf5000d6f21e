"""A writer killed half-way, two writers at once, a reader while another process writes: nothing lost,
nothing left half-written, and the reader sees the new documents.

Kills are real (os._exit in a child process at an injected point: no cleanup runs, as with kill -9)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.service import Service
from app.settings import load_settings
from store.errors import StoreError
from store.lock import writer_lock
from tests.conftest import ROOT, XINZHOU

pytestmark = pytest.mark.slow

# Runs an ingest in a child process that dies (os._exit: no finally, no atexit) at the named point.
_KILLED_AT = """
import os, sys
from pathlib import Path
from app.service import Service
from app.settings import load_settings
import ingest.pipeline as pipeline
from store.facts import SQLiteFactStore

point = sys.argv[2]
if point == "before_commit":  # vectors written, SQLite not yet
    SQLiteFactStore.add_document = lambda *a, **k: os._exit(9)
elif point == "before_archive":  # SQLite committed, PDF not yet copied
    Service._archive = lambda *a, **k: os._exit(9)
service = Service(load_settings(home=sys.argv[1], sandbox=False))
list(service.ingest([Path(sys.argv[3])], force=True))
"""


def _ingest_killed(home: Path, point: str) -> int:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(_KILLED_AT), str(home), point, str(XINZHOU)],
                          cwd=ROOT, capture_output=True, timeout=300).returncode


def _consistent(service: Service) -> None:
    stored = {d.doc_id for d in service.documents()}
    assert service.vectors.doc_ids() == stored
    assert service.vectors.count() == sum(len(service.facts_store.chunks(d)) for d in stored)
    assert not service.facts_store.pending()
    assert not list(service.settings.pdfs_path.glob("*.part"))


def test_a_writer_killed_before_its_commit_leaves_nothing_after_repair(tmp_path):
    assert _ingest_killed(tmp_path, "before_commit") == 9
    service = Service(load_settings(home=tmp_path))
    found = service.doctor()
    assert [f.what for f in found] == ["undone"]
    service.doctor(repair=True)
    _consistent(service)
    assert service.documents() == []


def test_a_writer_killed_before_the_pdf_copy_is_finished_by_the_next_writer(tmp_path):
    assert _ingest_killed(tmp_path, "before_archive") == 9
    service = Service(load_settings(home=tmp_path, sandbox=False))
    assert [f.what for f in service.doctor()][:1] == ["finished"]
    reports = list(service.ingest([XINZHOU]))  # the next writer repairs first, then skips the stored file
    assert [r.status for r in reports] == ["skipped"]
    assert [f.what for f in service.repaired] == ["finished"]
    _consistent(service)
    assert service.pdf_path(service.documents()[0].doc_id) is not None  # the copy the kill left unmade


def test_two_forced_ingests_of_one_file_at_once_lose_no_vectors(tmp_path):
    cmd = [sys.executable, "-m", "app.cli", "ingest", str(XINZHOU), "--force", "--home", str(tmp_path)]
    runs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    assert [p.wait(timeout=600) for p in runs] == [0, 0]
    _consistent(Service(load_settings(home=tmp_path)))


def test_a_writer_waits_for_the_lock_then_says_why_it_gave_up(tmp_path):
    service = Service(load_settings(home=tmp_path, lock_timeout=0.5, sandbox=False))
    with writer_lock(tmp_path, 1.0), pytest.raises(StoreError, match="another process is writing"):
        list(service.ingest([XINZHOU]))


def test_a_reader_sees_what_another_process_wrote(tmp_path):
    reader = Service(load_settings(home=tmp_path))
    assert reader.ask("忻州市商务局2024年公务接待费是多少").status == "refused"  # nothing loaded yet
    cmd = [sys.executable, "-m", "app.cli", "ingest", str(XINZHOU), "--home", str(tmp_path)]
    assert subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=600).returncode == 0
    answer = reader.ask("忻州市商务局2024年公务接待费是多少")
    assert answer.status == "verified" and answer.value is not None, answer.answer
    text = reader.ask("忻州市商务局的主要职能是什么")  # through the reopened vector index
    assert text.status != "refused", text.answer
