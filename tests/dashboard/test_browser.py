"""End to end in a real browser: the dashboard served on localhost, driven by Debian's headless Chromium.

Playwright drives /usr/bin/chromium (no browser download). Screenshots of every page are written to
SMARTCART_SCREENSHOT_DIR (default: the test's temporary folder); docs/dashboard.md shows a set of them.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT, SMALL_INVOICES

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(dashboard_build, tmp_path_factory):
    yield from serve_dashboard(dashboard_build.database, dashboard_build.artifacts, tmp_path_factory)


def serve_dashboard(database: Path, artifacts: Path, tmp_path_factory):
    """`smartcart dashboard` on a free port, on ``database``; yields its URL until the test is done."""
    port = free_port()
    env = {
        **os.environ,
        "SMARTCART_DUCKDB_PATH": str(database),
        "SMARTCART_ARTIFACTS_DIR": str(artifacts),
    }
    command = [
        str(Path(sys.executable).parent / "smartcart"),
        "dashboard",
        "--port",
        str(port),
    ]
    log = open(tmp_path_factory.mktemp("streamlit") / "server.log", "w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("the dashboard did not start within 60 s")
    try:
        yield url
    finally:
        # Streamlit may take its time to stop (open sessions); never leave a server behind.
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def page(server):
    yield from browse(server)


def browse(url: str):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed for the browser test: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.set_default_timeout(120_000)
        tab.goto(url)
        yield tab
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("SMARTCART_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


HEADINGS = {"Overview": "Personas", "Upload": "Segment a file"}


def go_to(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()
    page.get_by_role("heading", name=HEADINGS.get(name, name)).wait_for()


def settle(page) -> None:
    """Wait until Streamlit has finished the rerun (no running indicator)."""
    page.wait_for_timeout(500)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    page.wait_for_timeout(500)


def plotted_trace_colours(page) -> list[tuple[int, str, str]]:
    """(plot number, trace name, marker colour) of every trace of every Plotly chart on the page, as drawn."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap((plot, number) =>
            (plot._fullData || []).map(trace =>
                [number, String(trace.name), String(trace.marker && trace.marker.color)]))"""
    )


def assert_one_colour_per_persona(page, build, segmentation: str) -> None:
    """Every plot draws a persona in the same colour, the one the report's plots use (persona_colours)."""
    from ml.apps.presentation import persona_colours

    profiles = build.query(
        f"select persona_id, persona_name from persona_profiles where segmentation_name = '{segmentation}'"
    )
    expected = persona_colours(profiles["persona_id"].tolist())
    by_name = {row.persona_name: expected[row.persona_id] for row in profiles.itertuples()}
    assert len(set(by_name.values())) == len(by_name), "two personas share a colour"
    drawn = [(number, name, colour) for number, name, colour in plotted_trace_colours(page) if name in by_name]
    plots = {number for number, _, _ in drawn}
    assert len(plots) >= 3, f"the PCA 2-D, 3-D and feature scatter plots colour by persona: {drawn}"
    for number, name, colour in drawn:
        assert colour.lower() == by_name[name].lower(), (number, name, colour, by_name[name])
    for plot in plots:
        assert {name for number, name, _ in drawn if number == plot} == set(by_name), f"plot {plot} lacks a persona"


def test_every_page_works_in_a_real_browser(page, shots, dashboard_build, tmp_path):
    # Overview: persona cards of both sources.
    page.get_by_role("heading", name="Personas").wait_for()
    settle(page)
    for persona in dashboard_build.query("select persona_name from persona_profiles")["persona_name"]:
        page.get_by_role("heading", name=persona).first.wait_for()
    page.get_by_text("Invoices (RFM)").first.wait_for()
    page.get_by_text("Strategy:").nth(4).wait_for()  # at least five persona cards rendered
    # Medians compared in plain words, never "0.0 sd".
    assert page.get_by_text(re.compile(r"(about|above|below) average")).count() > 0
    assert page.get_by_text(re.compile(r"\d sd\b")).count() == 0
    page.screenshot(path=str(shots / "overview.png"), full_page=True)
    # A campaign list: the first persona card's members as CSV, every one of them.
    button = page.get_by_role("button", name="(CSV)").first
    expected = int(button.inner_text().split()[1].replace(",", ""))
    with page.expect_download() as download:
        button.click()
    members = tmp_path / "members.csv"
    download.value.save_as(members)
    rows = members.read_text().splitlines()
    assert len(rows) == expected + 1 and "persona_name" in rows[0]
    assert len({row.split(",")[rows[0].split(",").index("persona_id")] for row in rows[1:]}) == 1

    # Model evaluation: curves, live re-clustering with the k slider, PCA, spend bands.
    go_to(page, "Model evaluation")
    settle(page)
    page.get_by_text("Elbow: inertia by k").first.wait_for()
    chosen = page.get_by_text("segments re-clustered live").first.inner_text()
    slider = page.get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowRight")
    settle(page)
    expect(page.get_by_text("segments re-clustered live").first).not_to_have_text(chosen, timeout=120_000)
    page.get_by_text("income against spend total").wait_for()
    page.screenshot(path=str(shots / "model_evaluation.png"), full_page=True)
    assert_one_colour_per_persona(page, dashboard_build, "customers")

    # Upload: invoice lines, validated, segmented with the saved model, offered for download.
    go_to(page, "Upload")
    page.get_by_text("Invoice lines (CSV, Online Retail layout)").click()
    settle(page)
    page.locator("input[type=file]").set_input_files(str(SMALL_INVOICES))
    page.get_by_text("rows segmented").wait_for(timeout=180_000)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download with personas (CSV)").click()
    saved = tmp_path / "scored.csv"
    download.value.save_as(saved)
    assert "persona_name" in saved.read_text().splitlines()[0]
    page.screenshot(path=str(shots / "upload.png"), full_page=True)

    # A bad file: the error names the column and the example value.
    bad = tmp_path / "bad_lines.csv"
    lines = SMALL_INVOICES.read_text().splitlines()
    lines[3] = lines[3].replace(",3,", ",three,", 1)
    bad.write_text("\n".join(lines) + "\n")
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_text("does not follow the invoices schema").wait_for(timeout=120_000)
    page.get_by_text("'three'").first.wait_for(timeout=10_000)
    page.screenshot(path=str(shots / "upload_error.png"), full_page=True)

    # Score a customer: the invoice model, a loyal-looking customer.
    go_to(page, "Score a customer")
    settle(page)
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="Invoices (RFM)").click()
    settle(page)
    page.get_by_label("frequency").fill("15")
    page.get_by_label("monetary").fill("8000")
    page.get_by_label("recency days").fill("3")
    page.get_by_role("button", name="Score").click()
    page.get_by_text("Persona:").wait_for()
    page.get_by_text("Next closest").wait_for()
    personas = dashboard_build.query("select persona_name from persona_profiles where segmentation_name = 'invoices'")[
        "persona_name"
    ]
    assert any(page.get_by_text(f"Persona: {p}").count() for p in personas)
    page.screenshot(path=str(shots / "score.png"), full_page=True)

    # The customer form: yes/no controls for flags, starting at the median member; the strategy with the answer.
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="Customer profiles").click()
    settle(page)
    # Most customers of the export are parents: the yes/no control starts at yes.
    expect(page.get_by_role("combobox", name="is parent")).to_have_value("yes")
    page.get_by_role("button", name="Score").click()
    page.get_by_text("Persona:").wait_for()
    page.get_by_text("Strategy:").first.wait_for()


def test_a_missing_warehouse_says_what_to_do_in_a_real_browser(page, tmp_path, tmp_path_factory):
    server = serve_dashboard(tmp_path / "nothing.duckdb", tmp_path / "artifacts", tmp_path_factory)
    url = next(server)
    tab = page.context.browser.new_page()  # the module's browser: one Playwright per thread
    try:
        tab.goto(url)
        tab.get_by_role("heading", name="Personas").wait_for()
        tab.get_by_text("Nothing has been built yet").wait_for()
        for name in ("Model evaluation", "Score a customer", "Changes", "Value"):
            tab.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()
            tab.get_by_role("heading", name=name).wait_for()
            tab.get_by_text("Nothing has been built yet").wait_for()
        assert tab.get_by_text("Traceback").count() == 0
    finally:
        tab.close()
        server.close()
