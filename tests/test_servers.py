"""On PostgreSQL and a Chroma server the service answers as embedded, and many processes share one store safely."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from app.service import Service
from app.settings import Settings, load_settings
from store.errors import StoreError
from store.postgres import PostgresFactStore, redacted
from tests.conftest import XINZHOU
from tests.fixtures.planted import tampered

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

QUESTIONS = [
    "忻州市商务局2024年公务接待费是多少？",
    "2024年一般公共预算基本支出合计多少万元？",
    "忻州市商务局的主要职责是什么？",
    "2024年三公经费比上年增加还是减少？",
    "忻州市商务局2022年的项目支出是多少？",
]


def _servers(home: Path, postgres_url: str, chroma_url: str) -> Settings:
    # A collection of its own per test on the run's Chroma server: the database is new, so must the vectors be.
    return load_settings(home=home, sandbox=False, database_url=postgres_url, chroma_url=chroma_url)


def _answers(service: Service) -> list[tuple[str, str, list[str]]]:
    out = []
    for q in QUESTIONS:
        a = service.ask(q)
        out.append((a.status, a.answer, [c.fact_id or "" for c in a.citations]))
    return out


def _fresh_chroma(chroma_url: str) -> None:
    """Drop every collection on the test server (tests share it; each starts from an empty one)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    host, port = chroma_url.removeprefix("http://").split(":")
    client = chromadb.HttpClient(host=host, port=int(port), settings=ChromaSettings(anonymized_telemetry=False))
    for col in client.list_collections():
        client.delete_collection(col.name)


def test_answers_on_the_servers_are_the_answers_embedded(tmp_path: Path, postgres_url: str, chroma_url: str) -> None:
    _fresh_chroma(chroma_url)
    embedded = Service(load_settings(home=tmp_path / "embedded", sandbox=False))
    served = Service(_servers(tmp_path / "served", postgres_url, chroma_url))
    for service in (embedded, served):
        assert [r.status for r in service.ingest([XINZHOU])] == ["ingested"]
    assert isinstance(served.facts_store, PostgresFactStore)
    assert served.facts_store.stats() == embedded.facts_store.stats()
    assert _answers(served) == _answers(embedded)
    assert served.ask(QUESTIONS[0]).status == "verified"


_INGEST = """
import sys
from pathlib import Path
from app.service import Service
from app.settings import load_settings
service = Service(load_settings(home=sys.argv[1], sandbox=False, database_url=sys.argv[2], chroma_url=sys.argv[3]))
print(",".join(r.status for r in service.ingest([Path(p) for p in sys.argv[4:]])))
"""


def _ingest_in(home: Path, postgres_url: str, chroma_url: str, *pdfs: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(_INGEST), str(home), postgres_url, chroma_url,
                             *map(str, pdfs)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_ingests_at_once_from_two_machines_store_both_documents_once(
        tmp_path: Path, postgres_url: str, chroma_url: str) -> None:
    _fresh_chroma(chroma_url)
    other = tampered(tmp_path)  # the sample with other figures: another document of the same unit and year
    # Two data folders stand for two machines: only the database's own lock keeps them apart.
    procs = [_ingest_in(tmp_path / "a", postgres_url, chroma_url, XINZHOU),
             _ingest_in(tmp_path / "b", postgres_url, chroma_url, other)]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in results]
    assert [out.strip() for out, _ in results] == ["ingested", "ingested"]
    service = Service(_servers(tmp_path / "c", postgres_url, chroma_url))
    docs = service.documents()
    assert len(docs) == 2
    assert service.vectors.count() == sum(len(service.facts_store.chunks(d.doc_id)) for d in docs)
    assert service.vectors.doc_ids() == {d.doc_id for d in docs}
    assert not service.facts_store.pending()


def test_a_chat_sees_documents_another_process_ingests_without_a_restart(
        tmp_path: Path, postgres_url: str, chroma_url: str) -> None:
    _fresh_chroma(chroma_url)
    chat = Service(_servers(tmp_path / "chat", postgres_url, chroma_url))
    assert chat.documents() == []
    assert chat.ask(QUESTIONS[0]).status == "refused"
    proc = _ingest_in(tmp_path / "cli", postgres_url, chroma_url, XINZHOU)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-2000:]
    chat.follow_writers()
    assert [d.unit_name for d in chat.documents()] == ["忻州市商务局"]
    answer = chat.ask(QUESTIONS[0])
    assert answer.status == "verified" and "1.00" in answer.answer


def test_a_writer_waits_for_another_and_gives_up_with_a_message(postgres_url: str) -> None:
    with PostgresFactStore(postgres_url) as a, PostgresFactStore(postgres_url) as b:
        told: list[str] = []
        with a.writer_lock(5.0):
            with pytest.raises(StoreError, match="another process is writing to this database"):
                with b.writer_lock(0.5, told.append):
                    pass
        assert told and "waiting up to" in told[0]
        with b.writer_lock(1.0):  # released with its holder
            pass


def test_a_killed_writer_leaves_nothing_half_written(postgres_url: str) -> None:
    code = textwrap.dedent("""
        import os, sys
        from store.postgres import PostgresFactStore
        import store.postgres as pg
        from tests.test_store import sample
        pg._counts = lambda terms: os._exit(9)  # dies inside the transaction, after facts and chunks went in
        PostgresFactStore(sys.argv[1]).add_document(*sample())
    """)
    done = subprocess.run([sys.executable, "-c", code, postgres_url], cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == 9
    with PostgresFactStore(postgres_url) as store:
        assert store.stats() == {"documents": 0, "facts": 0, "chunks": 0}


def test_processes_opening_a_new_database_at_once_migrate_it_once(postgres_url: str) -> None:
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            PostgresFactStore(postgres_url).close()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with PostgresFactStore(postgres_url) as store:
        assert store.schema_version() == 2


def test_an_unreachable_server_is_one_line_naming_it_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://budgetqa:s3cret@127.0.0.1:9/nowhere"
    with pytest.raises(StoreError) as raised:
        PostgresFactStore(url)
    message = str(raised.value)
    assert "s3cret" not in message and "127.0.0.1:9" in message and "BUDGETQA_DATABASE_URL" in message
    done = subprocess.run([sys.executable, "-m", "app.cli", "docs", "--json"], cwd=ROOT, capture_output=True,
                          text=True, env={**_env(), "BUDGETQA_DATABASE_URL": url, "BUDGETQA_HOME": str(tmp_path)})
    assert done.returncode != 0
    assert "s3cret" not in done.stderr and "BUDGETQA_DATABASE_URL" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_passwords_are_kept_out_of_messages() -> None:
    assert redacted("postgresql://bq:pw@db:5432/x") == "postgresql://bq:***@db:5432/x"
    assert redacted("postgresql://bq@db/x") == "postgresql://bq@db/x"


def test_a_newer_schema_is_refused(postgres_url: str) -> None:
    with PostgresFactStore(postgres_url) as store:
        store.conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('p999_future', 'now')")
    with pytest.raises(StoreError, match="p999_future.*upgrade budgetqa"):
        PostgresFactStore(postgres_url)


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("BUDGETQA_")}



def test_an_embedded_home_moves_to_the_servers_verified(tmp_path: Path, postgres_url: str, chroma_url: str) -> None:
    _fresh_chroma(chroma_url)
    home = tmp_path / "embedded"
    embedded = Service(load_settings(home=home, sandbox=False))
    list(embedded.ingest([XINZHOU]))
    key = "finding-1"
    embedded.facts_store.set_review(key, embedded.documents()[0].doc_id, "确认", "核对过")
    embedded.close()
    cli = [sys.executable, "-m", "app.cli"]
    env = _env()
    done = subprocess.run([*cli, "migrate", "--home", str(home), "--to", postgres_url, "--chroma", chroma_url,
                           "--target-home", str(tmp_path / "served"), "--json"], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["ok"] and report["copied"] == 1 and report["answers_compared"] == 12
    assert report["counts"]["facts"][0] == report["counts"]["facts"][1] > 1000
    served = Service(_servers(tmp_path / "served", postgres_url, chroma_url))
    assert served.facts_store.reviews()[key].note == "核对过"
    assert served.pdf_path(served.documents()[0].doc_id) is not None  # pages can still be shown
    # Again: nothing to copy, still verified.
    again = subprocess.run([*cli, "migrate", "--home", str(home), "--to", postgres_url, "--chroma", chroma_url,
                            "--target-home", str(tmp_path / "served"), "--json"], cwd=ROOT, capture_output=True,
                           text=True, env=env, timeout=600)
    assert json.loads(again.stdout)["skipped"] == 1
    # doctor on the servers: both reachable, migrated, the same chunks; the URL shown without a password.
    doctor = subprocess.run([*cli, "doctor", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**env, "BUDGETQA_HOME": str(tmp_path / "served"), "BUDGETQA_DATABASE_URL": postgres_url,
                                 "BUDGETQA_CHROMA_URL": chroma_url})
    assert doctor.returncode == 0, doctor.stderr[-2000:]
    stores = json.loads(doctor.stdout)["backends"]
    assert [(b["part"], b["ok"]) for b in stores] == [("facts", True), ("vectors", True)]
    assert stores[0]["where"].startswith("postgresql://") and stores[1]["where"] == chroma_url
