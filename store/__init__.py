"""Persistence: the fact store (SQLite), the lexical index and the vector index (Chroma)."""
