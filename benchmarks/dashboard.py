"""Dashboard responsiveness in a real browser: time to the first rendered landscape, and widget latency.

A synthetic 100 x 100 sweep store with 80 regions (written through the storage layer: two scalar features and
a per-region mean) is served by ``brainsweep dashboard``; headless Debian chromium (playwright) opens it.

- first render: from ``page.goto`` to the landscape's canvas being drawn (targets < 2 s);
  the page's navigation timing splits it: the server's response (it builds the page's app) and
  DOMContentLoaded (BokehJS and Panel's scripts parsed); the rest is the document's pull and first draw;
- widget latency: from choosing another feature in the select box to the landscape's pixels changing on
  screen (target < 300 ms). Measured inside the page: the select's change event is timestamped, and on every
  animation frame after it the landscape's canvas (found through Bokeh's shadow roots) is compared with its
  pixels before the change; the first frame that differs and the last that still changes are reported
  (resolution: one frame, ~16 ms).
  The older screenshot-polling figure (an upper bound: it includes one screenshot, 100-200 ms) is printed too.

Figures are printed, never asserted::

    . .venv/bin/activate
    python benchmarks/dashboard.py          # about 1 minute
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

REGIONS = 80

#: In the page: watch the largest canvas (the landscape) from the next ``change`` event of any <select> until
#: its pixels differ; ``window.__bs_result`` becomes the milliseconds from the event to that animation frame.
WATCH_JS = """
() => {
  window.__bs_result = null;
  const resolve = (ms) => { window.__bs_result = ms; };
  // Bokeh renders into shadow roots: walk them for the canvases and the select boxes
  const canvases = [], selects = [];
  const walk = (root) => {
    root.querySelectorAll('*').forEach((el) => {
      if (el.tagName === 'CANVAS') canvases.push(el);
      if (el.tagName === 'SELECT') selects.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    });
  };
  walk(document);
  // Bokeh draws a plot on stacked canvas layers: watch every large one (the landscape's)
  const biggest = Math.max(...canvases.map((c) => c.width * c.height));
  const layers = canvases.filter((c) => c.width * c.height >= 0.5 * biggest).map((c) => {
    const ctx = c.getContext('2d');
    return { c, ctx, before: ctx.getImageData(0, 0, c.width, c.height).data };
  });
  const snapshot = () => layers.map((l) => l.ctx.getImageData(0, 0, l.c.width, l.c.height).data);
  const same = (a, b) => {
    for (let k = 0; k < a.length; k++) {
      if (a[k].length !== b[k].length) return false;
      for (let i = 0; i < a[k].length; i += 4) {
        if (a[k][i] !== b[k][i] || a[k][i + 1] !== b[k][i + 1] || a[k][i + 2] !== b[k][i + 2]) return false;
      }
    }
    return true;
  };
  const before = layers.map((l) => l.before);
  let last = before, first = null, settled = null;
  let t0 = null;
  // first: the first frame that differs from before the change; settled: the last frame that still changed,
  // once nothing has changed for a second (the landscape fully redrawn: image, colour bar, title, markers)
  const frame = () => {
    const now = performance.now();
    const pixels = snapshot();
    if (!same(pixels, last)) {
      if (first === null) first = now - t0;
      settled = now - t0;
      last = pixels;
    }
    if ((settled !== null && now - t0 - settled > 1000) || now - t0 > 10000) {
      resolve(first === null ? [-1, -1] : [first, settled]);
      return;
    }
    requestAnimationFrame(frame);
  };
  selects.forEach((s) => s.addEventListener('change', () => {
    if (t0 === null) { t0 = performance.now(); requestAnimationFrame(frame); }
  }, { once: true }));
}
"""


def make_store(path: str, n: int) -> None:
    from brainsweep import storage
    from brainsweep.storage import StoreLayout, VariableSpec

    axes = {"coupling.a": np.linspace(0, 1, n), "noise.nsig": np.logspace(-5, -3, n)}
    layout = StoreLayout(grid_dims=tuple(axes), grid_coords=axes, chunks=(10, 10),
                         variables=(VariableSpec("fc_fit", attrs={"long_name": "FC fit"}),
                                    VariableSpec("fcd_ks", attrs={"long_name": "FCD KS distance"}),
                                    VariableSpec("mean", ("region",))),
                         extra_coords={"region": np.array([f"r{k:02d}" for k in range(REGIONS)])},
                         attrs={"spec": "{}", "title": f"synthetic {n} x {n}"})
    storage.create_store(path, layout)
    a, s = np.meshgrid(axes["coupling.a"], np.log10(axes["noise.nsig"]), indexing="ij")
    fit = np.exp(-((a - 0.4) ** 2) / 0.02 - ((s + 4.5) ** 2)) * 0.6
    for k, block in enumerate(layout.blocks()):
        shape = layout.block_shape(block)
        storage.write_block(path, layout, k, {"fc_fit": fit[block], "fcd_ks": 1 - fit[block],
                                              "mean": np.random.default_rng(k).random(shape + (REGIONS,))},
                            np.zeros(shape, np.int8), np.full(shape, ""), np.zeros(shape, np.int64))
    storage.finalize_store(path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found (apt-get install chromium)")
        return 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bs-dash-bench-") as tmp:
        store = os.path.join(tmp, "grid.zarr")
        t0 = time.perf_counter()
        make_store(store, a.grid)
        print(f"store {a.grid} x {a.grid} x {REGIONS} regions written in {time.perf_counter() - t0:.1f} s", flush=True)
        port = 5000 + os.getpid() % 1000
        server = subprocess.Popen([sys.executable, "-m", "brainsweep.cli", "dashboard", store, "--no-browser",
                                   "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        while not server.stdout.readline().startswith("dashboard"):
            pass
        first, latency, poll, in_page, settled, response, parsed = [], [], [], [], [], [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"])
            for _ in range(a.repeats):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                t0 = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}/")
                page.locator("canvas").first.wait_for(timeout=60_000)
                first.append(time.perf_counter() - t0)
                # the page's own timing: the server's response (it builds the page's app) and the parsed scripts
                nav = page.evaluate("(() => { const n = performance.getEntriesByType('navigation')[0];"
                                    " return [n.responseStart, n.domContentLoadedEventEnd]; })()")
                response.append(nav[0] / 1000)
                parsed.append(nav[1] / 1000)
                plot = page.locator(".bk-Canvas").first
                time.sleep(0.5)
                before = plot.screenshot()
                select = page.locator("select").first
                options = select.locator("option").all_inner_texts()
                current = select.input_value()
                target = next(o for o in options if o != current)
                t0 = time.perf_counter()
                for _ in range(3):                      # what one poll costs (the measurement's resolution)
                    plot.screenshot()
                poll.append((time.perf_counter() - t0) / 3)
                t0 = time.perf_counter()
                select.select_option(target)
                while plot.screenshot() == before:
                    if time.perf_counter() - t0 > 10:
                        break
                latency.append(time.perf_counter() - t0)
                # frame-accurate, inside the page: back to the first feature, then the second again
                for choice in (current, target):
                    time.sleep(0.5)
                    page.evaluate(WATCH_JS)
                    select.select_option(choice)
                    page.wait_for_function("window.__bs_result !== null", timeout=15_000)
                    first_ms, settled_ms = page.evaluate("window.__bs_result")
                    in_page.append(first_ms / 1000)
                    settled.append(settled_ms / 1000)
                page.close()
            browser.close()
        server.terminate()
        server.wait(timeout=30)
    print(f"\n## Dashboard, {a.grid} x {a.grid} store, {REGIONS} regions (headless chromium, {a.repeats} page loads)\n")
    print("| measure | median | best | worst | target |")
    print("|---|---|---|---|---|")
    print(f"| request to first rendered landscape | {np.median(first):.2f} s | {min(first):.2f} s | {max(first):.2f} s | < 2 s |")
    print(f"| ... of which: server response (the page's navigation timing) | {np.median(response):.2f} s | "
          f"{min(response):.2f} s | {max(response):.2f} s | |")
    print(f"| ... and scripts parsed (DOMContentLoaded) | {np.median(parsed):.2f} s | {min(parsed):.2f} s | "
          f"{max(parsed):.2f} s | |")
    print(f"| widget change to redrawn landscape (in-page, per frame) | {1000 * np.median(in_page):.0f} ms | "
          f"{1000 * min(in_page):.0f} ms | {1000 * max(in_page):.0f} ms | < 300 ms |")
    print(f"| ... until the landscape is fully redrawn (last changing frame) | {1000 * np.median(settled):.0f} ms | "
          f"{1000 * min(settled):.0f} ms | {1000 * max(settled):.0f} ms | < 300 ms |")
    print(f"| the same, by screenshot polling (upper bound) | {1000 * np.median(latency):.0f} ms | "
          f"{1000 * min(latency):.0f} ms | {1000 * max(latency):.0f} ms | |")
    print(f"| one screenshot poll (included above, up to one per change) | {1000 * np.median(poll):.0f} ms | "
          f"{1000 * min(poll):.0f} ms | {1000 * max(poll):.0f} ms | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
