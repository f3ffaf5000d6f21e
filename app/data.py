"""The package's own data files (lexicon, audit rules): read them, or fail loudly when one is missing."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from store.errors import DataFileMissingError


def load_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML data file; a missing file is an installation error, never an empty result."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise DataFileMissingError(str(path)) from None
