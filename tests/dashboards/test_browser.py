"""The served dashboard in a real headless browser (Debian's chromium driven by playwright): the page loads
without console errors, the views render, and the progress grows while the store is written, without a reload.
Screenshots go to ``$BRAINSWEEP_ARTIFACTS`` (default ``.bench/artifacts`` in the repository)."""
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from brainsweep import storage
from tests.dashboards.test_views import make_store
from tests.helpers.cluster import ENV, free_port
from tests.helpers.paths import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
ARTIFACTS = Path(os.environ.get("BRAINSWEEP_ARTIFACTS", REPO / ".bench" / "artifacts"))


@pytest.fixture
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def wait_until(condition, timeout=30.0):
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.2)


def settled(locator, timeout=30.0):
    """Wait until two screenshots half a second apart are equal (no redraw in progress)."""
    deadline, prev = time.time() + timeout, locator.screenshot()
    while time.time() < deadline:
        time.sleep(0.5)
        cur = locator.screenshot()
        if cur == prev:
            return
        prev = cur


@contextlib.contextmanager
def served(*stores, attempts: int = 3):
    """The URL of ``brainsweep dashboard STORES`` on a free port (another port if a parallel test took this one
    before the server bound it). Its output goes to a file, never to a pipe nobody reads (a full pipe would stop
    the server); on leaving, the server is stopped and must not have printed a traceback (HoloViews reports errors
    in a view's callbacks there, not in the browser) nor a Bokeh warning."""
    for attempt in range(attempts):
        port = free_port()
        log = Path(tempfile.mkstemp(prefix=f"dashboard-{port}-", suffix=".log")[1])
        with log.open("w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "brainsweep.cli", "dashboard", *map(str, stores),
                                     "--no-browser", "--port", str(port)], env=ENV, stdout=out,
                                    stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 120
        while proc.poll() is None and time.time() < deadline and not re.search(r"^dashboard ", log.read_text(), re.M):
            time.sleep(0.1)
        text = log.read_text()
        if f"http://127.0.0.1:{port}/" in text and proc.poll() is None:
            break
        proc.kill()
        proc.wait()
        text = log.read_text()
        if "Address already in use" not in text or attempt == attempts - 1:
            raise AssertionError(f"the dashboard did not start on port {port}: {text[-3000:]}")
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    text = log.read_text()
    log.unlink()
    assert "Traceback" not in text and "WARNING:bokeh" not in text, f"the dashboard server printed:\n{text[-6000:]}"


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("canvas", timeout=30_000)
    return page, errors


def test_page_loads_and_every_view_renders(browser, tmp_path):
    axes = {"model.a": [0.0, 0.1, 0.2, 0.3], "coupling.a": [0.0, 0.1, 0.2]}
    store = make_store(tmp_path / "bif.zarr", axes, fail=[(3, 2)], with_extrema=True)
    with served(store) as url:
        page, errors = open_page(browser, url)
        # Bokeh renders into shadow roots: playwright's locators pierce them (document.querySelector does not)
        wait_until(lambda: page.locator("canvas").count() >= 2)          # landscape and bifurcation diagram
        page.get_by_text("12 / 12 points done").wait_for(timeout=30_000)  # the failed point is done too
        page.get_by_text("bifurcation axis").wait_for(timeout=30_000)                # its widgets (titles are drawn)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-sweep.png"), full_page=True)
        assert not errors, errors


def test_progress_grows_while_the_store_is_written(browser, tmp_path):
    axes = {"coupling.a": [0.0, 0.1, 0.2], "noise.nsig": [1e-5, 1e-4]}
    pending = [(i, j) for i in range(3) for j in range(2) if i > 0]
    store = make_store(tmp_path / "live.zarr", axes, pending=pending)
    with served(store) as url:
        page, errors = open_page(browser, url)
        page.get_by_text("2 / 6 points done").wait_for(timeout=30_000)
        landscape = page.locator(".bk-Canvas").first
        settled(landscape)
        before = landscape.screenshot()
        # write the missing blocks as a sweep's tasks do (storage.write_block), while the page is open
        _write_rest(store, axes, pending)
        page.get_by_text("6 / 6 points done").wait_for(timeout=30_000)      # no reload: the periodic re-read
        wait_until(lambda: landscape.screenshot() != before)                # ... and the new cells are drawn
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-live.png"), full_page=True)
        assert not errors, errors


def test_the_view_follows_a_real_sweep_while_it_runs(browser, tmp_path):
    """`brainsweep sweep` writes the store in its own process; the served page counts the points up to the end,
    without a reload, and the sweep finishes normally (the reader never blocks the writer)."""
    import yaml

    from tests.helpers.specs import RWW_FC_FIT

    # 8 blocks of 4 simulated minutes: long enough for the page to see the count grow
    raw = dict(RWW_FC_FIT, name="live", length=240000.0, batch_size=1,
               axes={"coupling.a": [0.0, 0.1, 0.2, 0.3], "noise.nsig": [1e-5, 1e-4]})
    spec = tmp_path / "live.yaml"
    spec.write_text(yaml.safe_dump(raw))
    store = tmp_path / "live.zarr"
    writer_log = tmp_path / "writer.log"
    with writer_log.open("w") as out:                   # a file: a pipe read only at the end could fill and stop it
        writer = subprocess.Popen([sys.executable, "-m", "brainsweep.cli", "sweep", str(spec), "-o", str(store),
                                   "--workers", "1", "--quiet"], env=ENV, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: (store / "zarr.json").exists() or writer.poll() is not None, timeout=120)
        seen = []
        with served(store) as url:
            page, errors = open_page(browser, url)
            counter = page.get_by_text(re.compile(r"\d+ / 8 points done"))
            counter.wait_for(timeout=30_000)
            deadline = time.time() + 300
            while time.time() < deadline:
                done = int(counter.inner_text().split("/")[0].strip().split()[-1])
                if not seen or seen[-1] != done:
                    seen.append(done)
                if done == 8:
                    break
                time.sleep(0.3)
            writer.wait(timeout=300)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard-live-sweep.png"), full_page=True)
            assert writer.returncode == 0, writer_log.read_text()
            assert seen[-1] == 8 and len(seen) >= 3 and seen == sorted(seen), seen   # it counted up as blocks landed
            assert not errors, errors
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()


def _write_rest(store, axes, pending):
    from brainsweep.storage import StoreLayout, VariableSpec

    layout = StoreLayout(grid_dims=tuple(axes), grid_coords={k: np.asarray(v) for k, v in axes.items()},
                         chunks=(1, 1), variables=(VariableSpec("fc_fit", attrs={"long_name": "FC fit", "units": "1"}),),
                         attrs={"spec": "{}", "title": "synthetic"})
    for k, block in enumerate(layout.blocks()):
        index = tuple(s.start for s in block)
        if index in pending:
            storage.write_block(store, layout, k, {"fc_fit": np.full((1, 1), sum(index) / 10)},
                                np.zeros((1, 1), np.int8), np.full((1, 1), ""), np.zeros((1, 1), np.int64))
            time.sleep(0.2)


def test_report_is_standalone_html_that_renders_offline_and_pngs(browser, tmp_path):
    from brainsweep.dashboards.report import write_report

    axes = {"model.a": [0.0, 0.1, 0.2], "coupling.a": [0.0, 0.1]}
    store = make_store(tmp_path / "rep.zarr", axes, with_extrema=True)
    files = write_report([str(store)], str(tmp_path / "report.html"), str(tmp_path / "png"))
    text = (tmp_path / "report.html").read_text()
    assert "cdn.bokeh.org" not in text and "<script src=\"http" not in text      # BokehJS inlined: offline
    pngs = [f for f in files if f.suffix == ".png"]
    assert {f.name for f in pngs} == {"rep_landscape_fc_fit.png", "rep_bifurcation.png"}
    assert all(f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f.stat().st_size > 5000 for f in pngs)
    context = browser.new_context(offline=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"file://{tmp_path / 'report.html'}")
    wait_until(lambda: page.locator("canvas").count() >= 2)
    assert not errors, errors
    context.close()


@pytest.mark.slow
def test_widgets_redraw_and_a_click_drills_down_on_a_real_sweep(browser, tmp_path):
    from brainsweep.explore import sweep

    raw = {"name": "browser", "connectivity": {"dataset": "hcp80", "conduction_speed": 10.0},
           "model": {"name": "ReducedWongWang", "initial_state": {"S": 0.1}}, "coupling": {"name": "Linear"},
           "integrator": {"name": "HeunStochastic", "dt": 0.5, "noise": {"nsig": 1e-4}},
           "monitors": [{"name": "BalloonWindkessel", "period": 720.0}],
           "features": [{"name": "fc_fit", "monitor": "balloon_windkessel", "empirical": "hcp80"}],
           "length": 12000.0, "transient": 2000.0, "seed": 5,
           "axes": {"coupling.a": [0.0, 0.1, 0.2], "noise.nsig": {"logspace": [-5, -3, 3]}}, "dtype": "float32"}
    store = tmp_path / "real.zarr"
    sweep(raw, store, n_workers=1)
    with served(store) as url:
        page, errors = open_page(browser, url)
        plot = page.locator(".bk-Canvas").first
        wait_until(lambda: plot.bounding_box() is not None)
        time.sleep(1.0)
        before = plot.screenshot()
        page.locator("select").nth(1).select_option("noise.nsig")        # x: swap the axes
        page.locator("select").nth(2).select_option("coupling.a")
        wait_until(lambda: plot.screenshot() != before)                    # the landscape was redrawn
        settled(plot)                                                      # (both selections applied)
        box = plot.bounding_box()
        try:
            for attempt in range(3):                                      # a click during a redraw may be lost
                page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5)
                try:
                    page.get_by_text("fc_fit of the FC shown").wait_for(timeout=45_000)   # the point's drill-down
                    break
                except Exception:  # noqa: BLE001 - retried, then the last attempt fails the test
                    if attempt == 2:
                        raise
        finally:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard-drilldown.png"), full_page=True)
        assert not errors, errors
