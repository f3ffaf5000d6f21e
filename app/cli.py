"""The `budgetqa` command: a thin shell over app.service."""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.doctor import Backend, Finding
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
WIDE = 110  # terminal columns from which lists print as tables; narrower, one block per item
err = Console(stderr=True)
out = Console()

HomeOpt = Annotated[Path | None, typer.Option("--home", help="data folder (default: $BUDGETQA_HOME, else ~/.local/share/budgetqa)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of text")]

EXIT_BAD_INPUT = 2


def _service(home: Path | None, create: bool = False, **overrides: object) -> Service:
    """The service over a data folder; only ingest may create one (a typo in --home is an error, not a new folder)."""
    settings = load_settings(home=home, **overrides)
    if not create and not settings.database_url and not settings.db_path.is_file():
        raise BudgetQAError(f"{settings.home}: no budgetqa data here; load PDFs first with "
                            f"`budgetqa ingest FILE.pdf --home {settings.home}`, or check --home / $BUDGETQA_HOME")
    return Service(settings)


def _folding_table(*headers: str, whole: tuple[str, ...] = ()) -> Table:
    """A table whose text cells wrap onto more lines in a narrow terminal instead of being cut off (--json
    keeps every value); the columns named in whole (years, counts, figures) are never broken."""
    table = Table(show_lines=True, pad_edge=False)
    for h in headers:
        table.add_column(h, overflow="fold", no_wrap=h in whole, min_width=len(h) if h in whole else None)
    return table


def _doc_json(d: Document) -> dict:
    return {"doc_id": d.doc_id, "file": d.file_name, "unit_name": d.unit_name, "year": d.year, "kind": d.kind,
            "scope": d.scope, "pages": d.pages, "tables": d.table_count, "facts": d.fact_count,
            "chunks": d.chunk_count, "identity_source": d.identity_source, "disclosure_id": d.disclosure_id,
            "warnings": list(d.warnings)}


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="PDF files or folders (every *.pdf below a folder)")],
    home: HomeOpt = None,
    force: Annotated[bool, typer.Option("--force", help="re-ingest files already loaded")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, help="parallel parsing processes")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Load PDFs into the fact table and the search indexes (idempotent by the file's sha256)."""
    if any(not p.strip() for p in paths):
        raise typer.BadParameter("an empty path was given; name the PDF files or folders to load", param_hint="PATHS")
    service = _service(home, create=True)
    service.prepare_ingest()  # the reader starts in the background (the vector index opens under the write lock)
    failed = 0
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True, disable=as_json or not err.is_terminal)
    tasks: dict[Path, int] = {}

    def on_page(path: Path, done: int, total: int) -> None:
        if path not in tasks:
            tasks[path] = progress.add_task(path.name, total=total)
        progress.update(tasks[path], completed=done)

    with progress:
        for report in service.ingest([Path(p) for p in paths], force=force, workers=workers, progress=on_page):
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


docs_app = typer.Typer(help="List the loaded documents, or correct one's identity (docs set).", no_args_is_help=False)
app.add_typer(docs_app, name="docs")


@docs_app.callback(invoke_without_command=True)
def docs(ctx: typer.Context, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """List the loaded documents: unit, year, kind, where that identity was read, and warnings."""
    if ctx.invoked_subcommand:
        return
    service = _service(home)
    documents = service.documents()
    if as_json:
        print(json.dumps([_doc_json(d) for d in documents], ensure_ascii=False, indent=1))
        return
    if not documents:
        out.print("no documents loaded: run `budgetqa ingest FILE.pdf`")
        return
    if out.width < WIDE:  # an 80-column terminal: one block per document, nothing folded mid-name
        for d in documents:
            source = {"document": "", "file_name": " · identity from the file name", "user": " · set by user"}
            out.print(f"[bold]{escape(d.unit_name or '?')}[/bold] · {d.year or '?'} · {d.scope}{d.kind}"
                      f"{source[d.identity_source]}", highlight=False)
            out.print(f"  {escape(d.file_name)}", highlight=False)
            out.print(f"  {d.pages} pages · {d.table_count} tables · {d.fact_count} facts · doc_id {d.doc_id[:12]}",
                      highlight=False)
        _doc_warnings(documents)
        return
    table = _folding_table("doc_id", "unit", "year", "kind", "pages", "tables", "facts", "file", "source",
                           whole=("year", "pages", "tables", "facts"))
    for d in documents:
        table.add_row(d.doc_id[:12], d.unit_name or "?", str(d.year or "?"), d.scope + d.kind, str(d.pages),
                      str(d.table_count), str(d.fact_count), d.file_name,
                      {"document": "", "file_name": "from file name", "user": "set by user"}[d.identity_source])
    out.print(table)
    _doc_warnings(documents)


def _doc_warnings(documents: Sequence[Document]) -> None:
    for d in documents:
        for w in d.warnings:
            err.print(f"[yellow]warning[/yellow] {d.file_name}: {w}", highlight=False, soft_wrap=True)


@docs_app.command("set")
def docs_set(
    doc: Annotated[str, typer.Argument(help="a doc_id (or its first characters) from `budgetqa docs`")],
    unit: Annotated[str | None, typer.Option("--unit", help="the unit's full name, e.g. 江苏省政协办公厅")] = None,
    year: Annotated[int | None, typer.Option("--year", min=1990, max=2100, help="the budget year")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="预算 or 决算")] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="部门 or 单位")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Correct a document's unit, year, kind or scope; its facts and chunks follow without re-parsing."""
    if unit is None and year is None and kind is None and scope is None:
        raise typer.BadParameter("give at least one of --unit, --year, --kind, --scope")
    service = _service(home)
    d = service.set_identity(doc, unit_name=unit, year=year, kind=kind, scope=scope)
    service.close()
    if as_json:
        print(json.dumps(_doc_json(d), ensure_ascii=False))
    else:
        out.print(f"{d.doc_id[:12]} {d.file_name}: {d.unit_name} {d.year} {d.scope}{d.kind} (set by user)")


FACT_FIELDS = ("fact_id", "doc_id", "unit_name", "year", "table", "table_kind", "page", "page_label", "row_code", "row_label",
               "row_path", "column", "value", "unit", "flags", "raw_text")


def _fact_row(f: Fact, doc: Document | None) -> dict:
    return {"fact_id": f.fact_id, "doc_id": f.doc_id, "unit_name": doc.unit_name if doc else "",
            "year": doc.year if doc else None, "table": f.table_title, "table_kind": f.table_kind, "page": f.page,
            "page_label": doc.page_label(f.page) if doc else None,
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


def _print_answer(answer) -> None:
    badge = {"verified": "[green]已核验[/green]", "unverified": "[yellow]未核验[/yellow]",
             "refused": "[red]无法回答[/red]"}[answer.status]
    out.print(answer.answer, highlight=False, soft_wrap=True)
    out.print(f"{badge}  ({answer.elapsed_ms} ms, {answer.mode})", highlight=False)
    for n in answer.numbers:
        if not n.supported:
            out.print(f"  [yellow]未核验的数字[/yellow] {n.text}: {n.problem}", highlight=False, soft_wrap=True)
    for c in answer.citations:
        where = f"{c.unit_name} {c.year}年 {c.page_text} {c.table}"
        cell = f" | {c.row} | {c.column}: {c.value}" if c.value is not None else ""
        out.print(f"  来源：{where}{cell}", highlight=False, soft_wrap=True)


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="the question, in Chinese")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
    batch: Annotated[Path | None, typer.Option("--batch", help="a file with one question per line")] = None,
    doc: Annotated[str | None, typer.Option("--doc", help="answer from this document (doc_id or unit name)")] = None,
    llm: Annotated[str | None, typer.Option("--llm", help="none | openai:<model> | ollama:<model>")] = None,
    conversation: Annotated[bool, typer.Option("--conversation", help="with --batch: the lines are one conversation, "
                                               "so a follow-up (那2018年呢？) takes what the line before asked")] = False,
) -> None:
    """Ask a question; every figure in the answer is checked against the fact table."""
    from app.answer import dumps

    if (question is None) == (batch is None):
        raise typer.BadParameter("give a QUESTION or --batch FILE (one of them)")
    service = _service(home, llm=llm)
    if batch is not None:
        if not batch.is_file():
            raise typer.BadParameter(f"{batch}: no such file", param_hint="--batch")
        questions = [q.strip() for q in batch.read_text(encoding="utf-8").splitlines() if q.strip()]
    else:
        questions = [question]
    for q in questions:
        answer = service.ask(q, doc, "batch" if conversation else None)
        if as_json:
            print(dumps(answer.to_json()), flush=True)
        else:
            _print_answer(answer)
    service.close()


@app.command()
def verify(
    question: Annotated[str, typer.Option("--question", help="the question the draft answers")],
    answer: Annotated[str, typer.Option("--answer", help="the draft answer to check")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
    doc: Annotated[str | None, typer.Option("--doc", help="check against this document only")] = None,
) -> None:
    """Check every number of a draft answer against the fact table."""
    from app.answer import dumps, number_json

    service = _service(home)
    checks = service.verify(question, answer, doc)
    status = "verified" if all(c.supported for c in checks) else "unverified"
    payload = {"status": status, "numbers": [number_json(c) for c in checks]}
    if as_json:
        print(dumps(payload))
    else:
        for c in checks:
            mark = "[green]✓[/green]" if c.supported else "[red]✗[/red]"
            out.print(f"{mark} {c.text}  {', '.join(c.support) or c.problem}", highlight=False, soft_wrap=True)
        out.print(status)
    service.close()


@app.command("eval")
def evaluate(
    gold: Annotated[list[Path], typer.Argument(help="gold Q&A JSONL files (DESIGN.md format)")],
    home: HomeOpt = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="write one JSON line per question here")] = None,
    as_json: JsonOpt = False,
    min_accuracy: Annotated[float | None, typer.Option("--min-accuracy", help="exit 1 below this accuracy")] = None,
    faults: Annotated[bool, typer.Option("--faults", help="also inject wrong figures and measure the verifier")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="write a Markdown report with the misses")] = None,
) -> None:
    """Score the loaded documents' answers against gold questions (ingests nothing itself).

    Exits 1 below --min-accuracy or when any wrong figure was shown as verified."""
    from app.answer import dumps
    from app.evaluate import load_gold, markdown_report, run, summary

    items = load_gold(gold)
    service = _service(home)
    with Progress(TextColumn("eval"), BarColumn(), MofNCompleteColumn(), console=err, transient=True,
                  disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task("eval", total=len(items))
        records = run(items, service.ask, lambda done, total: bar.update(task, completed=done))
    result = summary(records)
    fault_report = service.fault_report(records).to_json() if faults else None
    service.close()
    if fault_report:
        result["faults"] = fault_report
    if report:
        report.write_text(markdown_report(result, records, fault_report), encoding="utf-8")
    if out_path:
        with out_path.open("w", encoding="utf-8") as fh:
            for r in records:
                fh.write(dumps({"id": r.gold.get("id"), "question": r.gold["question"], "gold": r.gold,
                                "answer": r.answer.to_json(), "correct": r.correct}) + "\n")
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        table = Table("measure", "value")
        for key, value in result.items():
            table.add_row(key, json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value))
        out.print(table)
        for r in records:
            if not r.correct:
                out.print(f"[red]miss[/red] {r.gold.get('id')} {r.gold['question']} → {r.answer.status}: "
                          f"{r.answer.answer[:80]}", highlight=False, soft_wrap=True)
    if min_accuracy is not None and (result["accuracy"] < min_accuracy or result["verified_but_wrong"]):
        raise typer.Exit(1)


@app.command()
def audit(
    home: HomeOpt = None,
    doc: Annotated[str | None, typer.Option("--doc", help="a doc_id (or its first characters) or a unit name")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="also write a printable HTML report: each finding "
                                                "with its figures, review mark and page images")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check that the tables add up and that the prose says what the tables say (勾稽关系)."""
    service = _service(home)
    findings = service.audit(doc)
    if report is not None:
        from app.ui.audit_report import audit_html

        by_doc = {d.doc_id: (d, [f for f in findings if f.doc_id == d.doc_id]) for d in service.select(doc)}
        report.write_text(audit_html(service, list(by_doc.values()), service.reviews()), encoding="utf-8")
        err.print(f"report written to {report}", highlight=False)
    service.close()
    if as_json:
        print(json.dumps({"findings": [f.to_json() for f in findings]}, ensure_ascii=False))
        return
    if not findings:
        out.print("没有发现不一致之处。")
        return
    if out.width < WIDE:  # one block per finding: its place, its figures, its sentence
        for f in findings:
            figures = "  ".join(f"{k} {v}" for k, v in (("应为", f.expected), ("实为", f.actual), ("差额", f.difference))
                                if v is not None)
            out.print(f"[bold]{f.severity}[/bold] {escape(f.unit_name)} 第{','.join(map(str, f.pages))}页 "
                      f"《{escape(f.table)}》 {escape(f.row)} {escape(f.column)}", highlight=False)
            if figures:
                out.print(f"  {figures}", highlight=False)
            out.print(f"  {escape(f.message)}", highlight=False)
    table = _folding_table("严重程度", "单位", "页", "表", "行", "列", "应为", "实为", "差额", "说明",
                           whole=("应为", "实为", "差额"))
    for f in findings if out.width >= WIDE else ():
        table.add_row(f.severity, f.unit_name, ",".join(map(str, f.pages)), f.table, f.row, f.column,
                      *(str(v) if v is not None else "" for v in (f.expected, f.actual, f.difference)), f.message)
    if out.width >= WIDE:
        out.print(table)
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "rounding", "warning")}
    out.print(f"{len(findings)} findings: {counts['error']} error, {counts['rounding']} rounding, "
              f"{counts['warning']} warning")


def _print_backends(stores: list[Backend]) -> None:
    """The configured stores, one row each."""
    table = _folding_table("存储", "位置", "状态", "说明")
    for b in stores:
        table.add_row({"facts": "事实表", "vectors": "向量索引"}[b.part], b.where, "正常" if b.ok else "需处理", b.detail)
    out.print(table)


def _print_findings(findings: list[Finding], repair: bool) -> None:
    """What a crash left, and what repair did or would do."""
    if not findings:
        out.print("数据文件夹完好：没有未完成的写入、孤立的向量或残留文件。")
        return
    table = _folding_table("问题", "doc_id", "说明")
    for f in findings:
        table.add_row(f.what, f.doc_id[:12], f.detail)
    out.print(table)
    fixable = [f for f in findings if f.what != "missing_pdf"]
    if fixable:
        out.print(f"已修复 {len(fixable)} 项。" if repair else f"{len(fixable)} 项可以修复（上表说明修复会做什么）："
                  "budgetqa doctor --repair")


@app.command()
def doctor(
    home: HomeOpt = None,
    repair: Annotated[bool, typer.Option("--repair", help="fix what is found (takes the data folder's write lock)")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check the stores (embedded or servers: reachable, migrated, same chunks) and repair what a crash left."""
    service = _service(home)
    findings = service.doctor(repair=repair)
    stores = service.backends()
    service.close()
    if as_json:
        print(json.dumps({"repaired": repair, "findings": [dataclasses.asdict(f) for f in findings],
                          "backends": [dataclasses.asdict(b) for b in stores]}, ensure_ascii=False))
    else:
        _print_backends(stores)
        _print_findings(findings, repair)
    # exit 1 when something is (still) wrong, so scripts can tell
    if (any(f.what != "missing_pdf" for f in findings) and not repair) or not all(b.ok for b in stores):
        raise typer.Exit(1)


@app.command("migrate")
def migrate_home(
    to: Annotated[str, typer.Option("--to", help="the PostgreSQL database to copy into: postgresql://user:pw@host:port/db")],
    chroma: Annotated[str | None, typer.Option("--chroma", help="the Chroma server for the vectors: http://host:port "
                                               "(default: $BUDGETQA_CHROMA_URL, else the target home's folder)")] = None,
    home: HomeOpt = None,
    target_home: Annotated[Path | None, typer.Option("--target-home", help="the servers' local folder (PDF copies, "
                                                     "write lock); default: the source --home")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Copy an embedded data folder into PostgreSQL (and a Chroma server), then check counts and sample answers."""
    from app.migrate import migrate

    if not to.startswith(("postgresql://", "postgres://")):
        raise typer.BadParameter("give the target database as postgresql://user:password@host:port/db",
                                 param_hint="--to")
    embedded = load_settings(home=home).model_copy(update={"database_url": None, "chroma_url": None})
    if not embedded.db_path.is_file():
        raise BudgetQAError(f"{embedded.home}: no embedded budgetqa data here to migrate; check --home")
    source = Service(embedded)  # the home's own files, whatever BUDGETQA_DATABASE_URL says
    target = Service(load_settings(home=target_home or embedded.home, database_url=to, chroma_url=chroma))
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True, disable=as_json or not err.is_terminal)
    with progress:
        task = progress.add_task("migrate", total=None)
        report = migrate(source, target, lambda name, n, total: progress.update(task, description=name,
                                                                                   completed=n, total=total))
    source.close()
    target.close()
    if as_json:
        print(json.dumps({"ok": report.ok, "copied": report.documents, "skipped": report.skipped,
                          "counts": {k: list(v) for k, v in report.counts.items()},
                          "answers_compared": report.answers_compared,
                          "answers_differing": report.answers_differing}, ensure_ascii=False))
    else:
        table = _folding_table("项目", "源", "目标")
        for what, (a, b) in report.counts.items():
            table.add_row(what, str(a), str(b))
        out.print(table)
        out.print(f"复制 {report.documents} 份文件，跳过已有 {report.skipped} 份；抽查 {report.answers_compared} 个问题，"
                  f"{len(report.answers_differing)} 个答案不同。" + ("迁移已核对。" if report.ok else "迁移未通过核对。"))
        for q in report.answers_differing:
            err.print(f"[yellow]answer differs[/yellow] {q}", highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def ui(
    home: HomeOpt = None,
    port: Annotated[int, typer.Option("--port", help="port to serve the chat on")] = 8501,
    address: Annotated[str, typer.Option("--address", help="interface to listen on (127.0.0.1: this machine only)")] = "127.0.0.1",
) -> None:
    """Start the chat for finance staff (the Streamlit page shipped in the package) in a browser."""
    import os
    import subprocess
    from importlib import resources

    page = resources.files("app.ui").joinpath("page.py")
    env = os.environ | ({"BUDGETQA_HOME": str(home)} if home else {})
    limit = load_settings(home=home).max_upload_mb  # the browser refuses larger files before they are sent
    cmd = [sys.executable, "-m", "streamlit", "run", str(page), "--server.address", address, "--server.port", str(port),
           "--server.maxUploadSize", str(limit), "--server.headless", "true", "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"]
    err.print(f"预算公开问答: http://{address}:{port}  (Ctrl+C stops it)", highlight=False)
    raise typer.Exit(subprocess.call(cmd, env=env))


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
    except Exception as exc:  # click usage errors and the like (typer may ship its own copy of click)
        if hasattr(exc, "show") and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            return exc.exit_code
        if type(exc).__name__ == "Abort":
            return 130
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
