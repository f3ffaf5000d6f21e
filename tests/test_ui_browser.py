"""The page in a real browser: `streamlit run` on localhost, Debian's headless Chromium driven by Playwright.

Needs the `chromium` Debian package (/usr/bin/chromium) and the `playwright` Python package; never
`playwright install` (no browser download). Screenshots go to screenshots/ for people to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.service import Service
from app.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
XINZHOU = ROOT / "examples" / "xinzhou_commerce_2024_budget.pdf"
SHOTS = ROOT / "screenshots"
CHROMIUM = os.environ.get("BUDGETQA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is missing: pip install playwright")

pytestmark = pytest.mark.slow


def _visible(locator) -> None:
    """Assert visible, waiting for Streamlit's later reruns to draw it (a bare is_visible() races them)."""
    sync_api.expect(locator.first).to_be_visible(timeout=30_000)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the Xinzhou sample ingested, closed again before the server opens it."""
    folder = tmp_path_factory.mktemp("browser_home")
    service = Service(load_settings(home=folder))
    reports = list(service.ingest([XINZHOU]))
    assert reports[0].status == "ingested"
    service.vectors.close()
    service.close()
    return folder


@pytest.fixture(scope="module")
def server(home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run streamlit_app.py` on a free localhost port; its URL once healthy."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit_log") / "streamlit.log"
    env = {**os.environ, "BUDGETQA_HOME": str(home), "BUDGETQA_LLM": "none"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
             "--client.toolbarMode", "minimal"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, no network side-trips."""
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server: str):
    """A fresh browser tab on the app, once its sidebar lists the sample."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(90_000)
    tab.goto(server)
    tab.get_by_test_id("stSidebar").get_by_text("忻州市商务局").first.wait_for()
    _settle(tab)  # the first run is over: a click now is not swallowed by its rerun
    yield tab
    context.close()


def _shot(page, name: str, height: int | None = None) -> Path:
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / name
    if height:
        page.set_viewport_size({"width": 1440, "height": height})
        page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)
    return path


def _settle(page) -> None:
    """Wait until the script run is over, so no stale (faded) element of the previous run is left."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => document.querySelector('[data-testid=\"stApp\"]')"
                           "?.getAttribute('data-test-script-state') === 'notRunning'")


def _ask(page, question: str):
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    answers = page.get_by_test_id("stChatMessage")
    return answers.nth(1)


def test_first_visit_shows_documents_and_example_questions(page) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    _visible(sidebar.get_by_text("2024年 · 单位预算").first)
    _visible(sidebar.get_by_text("34页 · 19张表 · 1010个数字"))
    for q in ("公务接待费是多少？", "三公经费指什么？"):
        page.get_by_role("button", name=q, exact=True).wait_for()
    _settle(page)
    assert _shot(page, "01_first_visit.png").stat().st_size > 10_000


def test_typed_question_gets_verified_figure_with_highlighted_source(page) -> None:
    answer = _ask(page, "公务接待费是多少")
    answer.get_by_text("1.00万元", exact=False).first.wait_for()
    expander = answer.get_by_test_id("stExpander")
    expander.get_by_test_id("stImage").first.wait_for()  # the page crop with the cell marked
    _settle(page)
    _visible(answer.get_by_text("已核验").first)
    assert "1.00 万元" in answer.get_by_test_id("stMetric").inner_text()
    assert "第18页" in expander.inner_text()
    assert _shot(page, "02_answer_with_source.png", height=1500).stat().st_size > 50_000


def test_question_the_documents_cannot_answer_is_refused(page) -> None:
    page.get_by_role("button", name="2025年公务接待费是多少？", exact=True).click()
    answer = page.get_by_test_id("stChatMessage").nth(1)
    answer.get_by_text("文件中没有相关信息", exact=False).first.wait_for()
    _settle(page)
    _visible(answer.get_by_text("无法回答").first)
    _shot(page, "03_refusal.png")


def test_facts_and_charts_tabs(page) -> None:
    page.get_by_role("tab", name="数字明细").click()
    page.get_by_test_id("stDataFrame").first.wait_for()
    _visible(page.get_by_role("button", name="下载 CSV"))
    _shot(page, "04_facts.png")
    page.get_by_role("tab", name="图表").click()
    page.get_by_test_id("stVegaLiteChart").nth(3).wait_for()
    _visible(page.get_by_text("“三公”经费构成"))
    _shot(page, "05_charts.png", height=1200)


def test_audit_tab(page) -> None:
    page.get_by_role("tab", name="审核").click()
    panel = page.get_by_role("tabpanel", name="审核")
    panel.get_by_text("4 处需要核对（错误 0 处、提示 4 处），另有 18 处万元取整尾差", exact=False).wait_for()
    _visible(panel.get_by_text("说明称公开项目绩效目标7个，但所附项目绩效目标表只有6个"))
    rounding = panel.get_by_test_id("stExpander").filter(has_text="万元取整尾差（18 处）")
    sync_api.expect(rounding.get_by_text("本年支出合计「2024年合计」", exact=False)).to_be_hidden()  # folded by default
    goals = panel.get_by_test_id("stExpander").filter(has_text="PDF原文 第24页")
    goals.locator("summary").click()  # the page is rendered only now
    goals.get_by_test_id("stImage").first.wait_for()
    _settle(page)
    assert "红框处为说明中的这句话" in goals.inner_text()
    _visible(page.get_by_role("button", name="下载核对结果 CSV（22 条）"))
    assert _shot(page, "07_audit.png", height=2000).stat().st_size > 50_000  # tall enough for the summary and the page


def test_upload_reports_each_file(page) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    # the uploader speaks Chinese: its button and its size line, not Streamlit's English
    page.wait_for_function("""() => {
        const after = (s) => { const e = document.querySelector(s); return e ? getComputedStyle(e, '::after').content : ''; };
        return after('[data-testid=stFileUploaderDropzone] button') === '"选择文件"'
            && after('[data-testid=stFileUploaderDropzoneInstructions]').includes('每个不超过 200 MB');
    }""", timeout=15_000)
    sidebar.locator("input[type=file]").set_input_files([
        {"name": "xinzhou.pdf", "mimeType": "application/pdf", "buffer": XINZHOU.read_bytes()},
        {"name": "坏文件.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 broken"},
    ])
    sidebar.get_by_role("button", name="加载这 2 个文件").click()
    sidebar.get_by_text("坏文件.pdf：PDF文件已损坏或不完整", exact=False).wait_for()
    _visible(sidebar.get_by_text("xinzhou.pdf：已经加载过", exact=False))  # same sha256: not loaded twice
    _settle(page)
    _shot(page, "06_upload.png")


def test_screenshots_folder_is_not_committed() -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", str(SHOTS / "x.png")], cwd=ROOT) if shutil.which("git") else None
    if ignored is None:
        pytest.skip("git is not installed")
    assert ignored.returncode == 0, "screenshots/ must stay in .gitignore"


def test_an_answer_and_the_conversation_download(page, tmp_path) -> None:
    import io

    import openpyxl

    answer = _ask(page, "公务接待费是多少")
    answer.get_by_text("1.00万元", exact=False).first.wait_for()
    _settle(page)
    with page.expect_download() as one:
        answer.get_by_role("button", name="导出本条").click()
    markdown = Path(one.value.path()).read_text(encoding="utf-8")
    assert "已核验" in markdown and "1.00万元" in markdown and "第18页" in markdown
    _settle(page)  # each download starts from a page at rest
    with page.expect_download() as sheet:
        page.get_by_role("button", name="导出对话 Excel").click()
    workbook = openpyxl.load_workbook(io.BytesIO(Path(sheet.value.path()).read_bytes()))  # saved without .xlsx
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[1][0] == "公务接待费是多少" and rows[1][2] == "已核验" and rows[1][3] == "1.00"
    _settle(page)
    with page.expect_download() as report:
        page.get_by_role("button", name="导出对话报告").click()
    assert "公务接待费是多少" in Path(report.value.path()).read_text(encoding="utf-8")
    assert _shot(page, "07_exports.png", height=1500).stat().st_size > 50_000


def test_settings_choose_an_endpoint_and_test_it(page) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("设置", exact=True).click()
    _settle(page)
    sidebar.get_by_text("OpenAI 兼容接口").click()
    _settle(page)
    sidebar.get_by_label("模型名").fill("qwen2.5-7b-instruct")
    sidebar.get_by_label("接口地址（Base URL）").fill("http://127.0.0.1:9/v1")
    sidebar.get_by_role("button", name="测试连接").click()
    sidebar.get_by_text("连接失败").first.wait_for()
    _settle(page)
    assert _shot(page, "08_settings.png").stat().st_size > 20_000


def test_a_source_opens_its_whole_page_and_steps_through_the_document(page) -> None:
    answer = _ask(page, "公务接待费是多少")
    answer.get_by_text("1.00万元", exact=False).first.wait_for()
    _settle(page)
    answer.get_by_role("button", name="查看整页").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("第15页（PDF第18页） / 共34页").wait_for()  # printed page first, then the PDF's
    dialog.get_by_test_id("stImage").wait_for()
    _settle(page)
    assert _shot(page, "09_page_viewer.png").stat().st_size > 50_000
    dialog.get_by_role("button", name="下一页").click()
    dialog.get_by_text("第16页（PDF第19页）").wait_for()
    with page.expect_download() as pdf:
        dialog.get_by_role("button", name="下载原始PDF").click()
    assert Path(pdf.value.path()).read_bytes()[:5] == b"%PDF-"
