"""Parse each PDF in a child process with limits, so that no file can take the serving process down.

A font width array that asks for gigabytes, a deflate bomb that never ends, content that crashes pdfminer:
each is stopped by the child's address-space, CPU-second, wall-clock or page limit and becomes that file's
one-line error, while the batch goes on. Children die with their parent.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import resource
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.pipeline import Parsed, parse_file
from store.errors import BadInputError

ProgressFn = Callable[[int, int], None]
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Limits:
    """What one file may cost to read; every field comes from settings (BUDGETQA_PARSE_*)."""

    memory_mb: int = 2048
    cpu_seconds: int = 300
    wall_seconds: float = 600.0
    max_pages: int = 1000


_context: mp.context.BaseContext | None = None


def _ctx() -> mp.context.BaseContext:
    """A forkserver: children fork from a clean single-threaded process that has the parser imported."""
    global _context
    if _context is None:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["ingest.pipeline"])
        _context = ctx
    return _context


def start_reader() -> None:
    """Start the forkserver now (~1 s: it imports the parser once), so the first PDF read does not wait for it."""
    from multiprocessing import forkserver

    _ctx()
    forkserver.ensure_running()


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the wall-clock limit still ends the child
        pass


def _child(path: str, doc_id: str | None, limits: Limits, conn) -> None:
    _die_with_parent()
    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))

    def progress(done: int, total: int) -> None:
        if total > limits.max_pages:
            raise BadInputError(path, f"has {total} pages; the limit is {limits.max_pages} (BUDGETQA_PARSE_MAX_PAGES)",
                                "too_many_pages")
        conn.send(("progress", done, total))

    try:
        conn.send(("ok", parse_file(Path(path), progress, doc_id)))
    except BadInputError as exc:
        conn.send(("bad", exc))
    except MemoryError:
        conn.send(("bad", BadInputError(path, f"needs more than {limits.memory_mb} MB to read: stopped "
                                              "(BUDGETQA_PARSE_MEMORY_MB)", "too_big")))
    except Exception as exc:  # noqa: BLE001 — whatever a malformed file raises is that file's error
        if _caused_by(exc, MemoryError):
            conn.send(("bad", BadInputError(path, f"needs more than {limits.memory_mb} MB to read: stopped "
                                                  "(BUDGETQA_PARSE_MEMORY_MB)", "too_big")))
        else:
            why = str(exc).strip()[:200] or "its content cannot be read"
            conn.send(("bad", BadInputError(path, f"damaged PDF ({type(exc).__name__}: {why})", "damaged")))
    finally:
        conn.close()


def parse_sandboxed(path: Path, progress: ProgressFn | None = None, doc_id: str | None = None, *,
                    limits: Limits = Limits()) -> Parsed:
    """parse_file in a child process under limits; raises BadInputError naming the limit that stopped it."""
    ctx = _ctx()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(str(path), doc_id, limits, send), daemon=True)
    child.start()
    send.close()
    deadline = time.monotonic() + limits.wall_seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BadInputError(str(path), f"took longer than {limits.wall_seconds:g} s to read: stopped "
                                               "(BUDGETQA_PARSE_SECONDS)", "too_slow")
            if not receive.poll(min(left, 0.5)):
                if not child.is_alive() and not receive.poll(0):
                    raise BadInputError(str(path), *_death(child.exitcode, limits))
                continue
            try:
                message = receive.recv()
            except EOFError:
                child.join(5)
                raise BadInputError(str(path), *_death(child.exitcode, limits)) from None
            if message[0] == "progress":
                if progress:
                    progress(message[1], message[2])
            elif message[0] == "ok":
                return message[1]
            else:
                raise message[1]
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receive.close()


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether kind is anywhere in the exception's chain (pdfminer wraps a MemoryError in its own)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _death(code: int | None, limits: Limits) -> tuple[str, str]:
    """(reason, code) for a child that died without a word: the CPU limit's signal, else most likely memory."""
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return f"used more than {limits.cpu_seconds} s of CPU to read: stopped (BUDGETQA_PARSE_CPU_SECONDS)", "too_slow"
    return (f"the reader stopped (exit {code}) — most likely it needed more than {limits.memory_mb} MB "
            "(BUDGETQA_PARSE_MEMORY_MB)", "too_big")
