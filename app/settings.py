"""One settings object, read from BUDGETQA_* environment variables and overridden by flags."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """The per-user data folder: $XDG_DATA_HOME/budgetqa, else ~/.local/share/budgetqa."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "budgetqa"


class Settings(BaseSettings):
    """Where data lives and which swappable parts are used."""

    model_config = SettingsConfigDict(env_prefix="BUDGETQA_", extra="forbid")

    home: Path = Field(default_factory=default_home, description="data folder: facts.db and vectors/")
    embedder: str = Field("ngram", description="ngram | e5 | openai:<model>")
    llm: str = Field("none", description="none | openai:<model> | ollama:<model>")
    workers: int = Field(1, ge=1, description="parallel ingest processes")
    llm_timeout: float = Field(30.0, gt=0, description="seconds the LLM may take before the offline answer is used")
    llm_frames: bool = Field(True, description="let the configured LLM parse questions (its frame is checked "
                                               "against the question; the rule parser is the fallback)")
    lock_timeout: float = Field(120.0, gt=0, description="seconds a writer waits for another one on the data folder")
    # Each PDF is read in a child process under these limits (a hostile file cannot take the service down).
    sandbox: bool = Field(True, description="read each PDF in a child process with the limits below")
    parse_memory_mb: int = Field(2048, ge=256, description="address space one PDF may use while read")
    parse_cpu_seconds: int = Field(300, ge=5, description="CPU seconds one PDF may use while read")
    parse_seconds: float = Field(600.0, gt=0, description="wall-clock seconds one PDF may take to read")
    parse_max_pages: int = Field(1000, ge=1, description="pages a PDF may have")
    max_upload_mb: int = Field(200, ge=1, description="largest PDF the chat accepts for upload, in MB")
    # Servers, for a province's documents and many readers; unset (the default), everything is embedded in home.
    database_url: str | None = Field(None, description="postgresql://user:password@host:port/db for the fact store")
    chroma_url: str | None = Field(None, description="http://host:port of a Chroma server (`chroma run`) for vectors")

    @property
    def db_path(self) -> Path:
        """The SQLite fact store."""
        return self.home / "facts.db"

    @property
    def pdfs_path(self) -> Path:
        """Archived copies of ingested PDFs, named by sha256."""
        return self.home / "pdfs"

    @property
    def vectors_path(self) -> Path:
        """The Chroma folder."""
        return self.home / "vectors"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with non-None overrides (flags) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
