"""The `budgetqa` command: a thin shell over app.service."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.service import Service
from app.settings import load_settings
from store.errors import BudgetQAError
from store.models import Document, Fact

app = typer.Typer(
    help="budgetqa: ask questions about budget disclosure PDFs (预算公开/决算公开) and get verified answers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()

HomeOpt = Annotated[Path | None, typer.Option("--home", help="data folder (default: $BUDGETQA_HOME, else ~/.local/share/budgetqa)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of text")]

EXIT_BAD_INPUT = 2


def _service(home: Path | None) -> Service:
    return Service(load_settings(home=home))


def _doc_json(d: Document) -> dict:
    return {"doc_id": d.doc_id, "file": d.file_name, "unit_name": d.unit_name, "year": d.year, "kind": d.kind,
            "scope": d.scope, "pages": d.pages, "tables": d.table_count, "facts": d.fact_count,
            "chunks": d.chunk_count, "warnings": list(d.warnings)}


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="PDF files or folders (every *.pdf below a folder)")],
    home: HomeOpt = None,
    force: Annotated[bool, typer.Option("--force", help="re-ingest files already loaded")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, help="parallel parsing processes")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Load PDFs into the fact table and the search indexes (idempotent by the file's sha256)."""
    service = _service(home)
    failed = 0
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True, disable=as_json or not err.is_terminal)
    tasks: dict[Path, int] = {}

    def on_page(path: Path, done: int, total: int) -> None:
        if path not in tasks:
            tasks[path] = progress.add_task(path.name, total=total)
        progress.update(tasks[path], completed=done)

    with progress:
        for report in service.ingest(paths, force=force, workers=workers, progress=on_page):
            if report.status == "failed":
                failed += 1
            if as_json:
                print(json.dumps({"path": report.path, "status": report.status, "reason": report.error or None,
                                  "code": report.code or None, "seconds": round(report.seconds, 2),
                                  "document": _doc_json(report.document) if report.document else None,
                                  "warnings": list(report.warnings)}, ensure_ascii=False))
                continue
            if report.status == "failed":
                err.print(f"[red]error[/red] {report.path}: {report.error}", highlight=False, soft_wrap=True)
            elif report.status == "skipped":
                d = report.document
                err.print(f"skipped {report.path}: {report.error}" + (f" ({d.unit_name} {d.year})" if d else ""),
                          highlight=False, soft_wrap=True)
            else:
                d = report.document
                out.print(f"ingested {Path(report.path).name}: {d.unit_name or '(unit unknown)'} {d.year or '?'}年 {d.scope}{d.kind}, "
                          f"{d.table_count} tables, {d.fact_count} facts, {d.chunk_count} chunks, "
                          f"{report.seconds:.1f}s", highlight=False, soft_wrap=True)
                for w in report.warnings:
                    err.print(f"[yellow]warning[/yellow] {report.path}: {w}", highlight=False, soft_wrap=True)
    service.close()
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def docs(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """List the loaded documents."""
    service = _service(home)
    documents = service.documents()
    if as_json:
        print(json.dumps([_doc_json(d) for d in documents], ensure_ascii=False, indent=1))
        return
    if not documents:
        out.print("no documents loaded: run `budgetqa ingest FILE.pdf`")
        return
    table = Table("doc_id", "unit", "year", "kind", "pages", "tables", "facts", "file")
    for d in documents:
        table.add_row(d.doc_id[:12], d.unit_name, str(d.year or "?"), d.scope + d.kind, str(d.pages),
                      str(d.table_count), str(d.fact_count), d.file_name)
    out.print(table)


FACT_FIELDS = ("fact_id", "doc_id", "unit_name", "year", "table", "table_kind", "page", "row_code", "row_label",
               "row_path", "column", "value", "unit", "flags", "raw_text")


def _fact_row(f: Fact, doc: Document | None) -> dict:
    return {"fact_id": f.fact_id, "doc_id": f.doc_id, "unit_name": doc.unit_name if doc else "",
            "year": doc.year if doc else None, "table": f.table_title, "table_kind": f.table_kind, "page": f.page,
            "row_code": f.row_code, "row_label": f.row_label, "row_path": list(f.row_path), "column": f.column,
            "value": format(f.value, "f"), "unit": f.unit, "flags": list(f.flags), "raw_text": f.raw_text}


@app.command()
def facts(
    home: HomeOpt = None,
    doc: Annotated[str | None, typer.Option("--doc", help="a doc_id (or its first characters) or a unit name")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv | jsonl")] = "csv",
) -> None:
    """Export the fact table (one row per figure, with its provenance)."""
    if fmt not in ("csv", "jsonl"):
        raise typer.BadParameter("--format must be csv or jsonl", param_hint="--format")
    service = _service(home)
    by_id = {d.doc_id: d for d in service.documents()}
    rows = (_fact_row(f, by_id.get(f.doc_id)) for f in service.facts(doc))
    if fmt == "jsonl":
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=FACT_FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "row_path": " > ".join(row["row_path"]), "flags": ",".join(row["flags"])})


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning budgetqa errors into one line and a non-zero exit."""
    try:
        code = app(args=argv, standalone_mode=False)
        return code if isinstance(code, int) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except BudgetQAError as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False, soft_wrap=True)
        return 1
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            return 130
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
