"""Shared fixtures: the bundled sample, the real samples in ../shared, parsed once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import Parsed, parse_file

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
