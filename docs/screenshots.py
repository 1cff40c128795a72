#!/usr/bin/env python
"""Screenshots of the served dashboard for the README, taken in headless chromium (playwright).

    brainsweep sweep examples/fc_fit_grid.yaml -o /tmp/shots/fc_fit.zarr
    brainsweep sweep examples/bifurcation_g2d.yaml -o /tmp/shots/bifurcation.zarr
    brainsweep optimize examples/fc_fit_study.yaml --trials 32 -o /tmp/shots/study.zarr
    python docs/screenshots.py /tmp/shots/fc_fit.zarr /tmp/shots/bifurcation.zarr /tmp/shots/study.zarr

writes ``docs/images/<store>.png`` (each tab as the page shows it), ``docs/images/<store>_drilldown.png`` (after a
click on the landscape, on the bifurcation diagram or on a sampled trial) and ``docs/images/explorer.png``.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def serve(stores: list[str]):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "brainsweep.cli", "dashboard", *stores, "--no-browser",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while True:
        line = proc.stdout.readline()
        if not line or line.startswith("dashboard"):
            break
    return proc, f"http://127.0.0.1:{port}/"


def settle(page, seconds: float = 2.0) -> None:
    page.wait_for_load_state("networkidle")
    time.sleep(seconds)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("stores", nargs="+")
    p.add_argument("-o", "--output", default=str(HERE / "images"))
    args = p.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    proc, url = serve(args.stores)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox",
                                                                         "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(url)
            page.wait_for_selector("canvas", timeout=60_000)
            tabs = page.locator(".bk-tab")
            for k, store in enumerate(args.stores):
                stem = Path(store).name.removesuffix(".zarr")
                tabs.nth(k).click()
                settle(page, 3.0)
                page.screenshot(path=str(out / f"{stem}.png"), full_page=True)
                canvas = page.locator(".bk-Canvas")
                target = None
                if page.get_by_text("Click (tap) a cell").count():
                    target = canvas.first                                     # the landscape
                elif page.get_by_text("Click (tap) a point of the bifurcation").count():
                    target = canvas.nth(canvas.count() - 1)
                elif page.get_by_text("Click (tap) a sampled point").count():
                    target = canvas.nth(1)
                if target is not None:
                    box = target.bounding_box()
                    page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.45)
                    import re

                    page.get_by_text(re.compile("re-simulated from the stored spec|stored in the results store")) \
                        .first.wait_for(timeout=120_000)
                    settle(page, 3.0)
                    page.screenshot(path=str(out / f"{stem}_drilldown.png"), full_page=True)
                print(f"{stem}: done", flush=True)
            tabs.nth(len(args.stores)).click()
            settle(page, 3.0)
            page.screenshot(path=str(out / "explorer.png"), full_page=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
