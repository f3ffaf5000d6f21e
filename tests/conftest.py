"""Shared fixtures: the bundled sample, the real samples in ../shared, parsed once per session."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.pipeline import Parsed, parse_file
from tests import servers

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
XINZHOU = ROOT / "examples" / "xinzhou_commerce_2024_budget.pdf"
SHARED = ROOT.parent / "shared" / "samples"

_cache: dict[Path, Parsed] = {}


def parsed(path: Path) -> Parsed:
    """Parse a PDF once per test session (a real sample takes seconds)."""
    if path not in _cache:
        _cache[path] = parse_file(path)
    return _cache[path]


def shared_sample(stem: str) -> Path:
    """A real sample from ../shared/samples, or skip with the reason."""
    path = SHARED / f"{stem}.pdf"
    if not path.exists():
        pytest.skip(f"{path} is absent: the real samples live in ../shared, outside this repo")
    return path


@pytest.fixture(scope="session")
def xinzhou() -> Parsed:
    """The bundled Xinzhou 2024 unit budget, parsed."""
    return parsed(XINZHOU)


@pytest.fixture(scope="session")
def postgres_base() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 for the whole run; its base URL."""
    if servers.postgres_bin() is None:
        pytest.skip("PostgreSQL server binaries are absent (`make test` installs Debian's postgresql as root)")
    pytest.importorskip("psycopg", reason="psycopg is absent: pip install -e '.[dev]'")
    with servers.postgres() as base:
        yield base


@pytest.fixture
def postgres_url(postgres_base: str, request: pytest.FixtureRequest) -> str:
    """An empty database of its own for one test."""
    return servers.new_database(postgres_base, "t" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:16])


@pytest.fixture(scope="session")
def chroma_url() -> Iterator[str]:
    """A `chroma run` on 127.0.0.1 over a temp folder for the whole run; its URL."""
    if servers.chroma_executable() is None:
        pytest.skip("the chroma command is absent (it comes with chromadb)")
    with servers.chroma() as url:
        yield url
