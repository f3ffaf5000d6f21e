"""Throwaway servers for the store suite: a PostgreSQL cluster and a `chroma run`, each on 127.0.0.1 in a temp folder."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STARTUP_S = 60.0


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin() -> Path | None:
    """Debian's server binaries (initdb, pg_ctl), newest version first; None when not installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]), reverse=True)
    return found[0].parent if found else None


def _as_server_user(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root (CI runs as root): run them as Debian's postgres user.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def postgres() -> Iterator[str]:
    """A fresh PostgreSQL cluster with trust login for user budgetqa; yields its base URL (no database name)."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries are absent: apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="budgetqa-pg-"))
    root.chmod(0o755)
    data = root / "data"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    try:
        subprocess.run(_as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "budgetqa",
                                        "-E", "UTF8", "--locale=C"]), check=True, capture_output=True)
        # fsync off: a test cluster need not survive a power cut, and it makes CREATE DATABASE fast.
        options = f"-k {root} -c listen_addresses=127.0.0.1 -p {port} -c fsync=off -c synchronous_commit=off"
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                                        str(root / "log"), "-w", "-t", str(int(STARTUP_S)), "start"]),
                       check=True, capture_output=True)
        try:
            yield f"postgresql://budgetqa@127.0.0.1:{port}"
        finally:
            subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                           capture_output=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def new_database(base_url: str, name: str) -> str:
    """Create an empty database on the cluster; its URL."""
    import psycopg

    with psycopg.connect(f"{base_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base_url}/{name}"


def chroma_executable() -> Path | None:
    """The `chroma` command chromadb installs beside this interpreter."""
    import sys

    path = Path(sys.executable).parent / "chroma"
    return path if path.exists() else (Path(found) if (found := shutil.which("chroma")) else None)


_CHROMA_DIRS: dict[str, Path] = {}


def chroma_dirs() -> dict[str, Path]:
    """The data folder of each running test server, by its URL (the benchmark measures its size)."""
    return _CHROMA_DIRS


@contextmanager
def chroma() -> Iterator[str]:
    """A `chroma run` over a temp folder; yields its URL."""
    exe = chroma_executable()
    if exe is None:
        raise RuntimeError("the chroma command is absent (it comes with chromadb)")
    root = Path(tempfile.mkdtemp(prefix="budgetqa-chroma-"))
    port = free_port()
    log = (root / "log").open("wb")
    proc = subprocess.Popen([str(exe), "run", "--path", str(root / "data"), "--host", "127.0.0.1", "--port",
                             str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chroma run did not start: {(root / 'log').read_text(errors='replace')[-500:]}") from None
                time.sleep(0.2)
        _CHROMA_DIRS[url] = root / "data"
        yield url
    finally:
        _CHROMA_DIRS.pop(url, None)
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(root, ignore_errors=True)
