"""Every gallery script runs in its ``--quick`` form and draws its figure; the numbers it prints make sense."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from paths import REPO

GALLERY = REPO / "examples" / "gallery"
SCRIPTS = sorted(p.stem for p in GALLERY.glob("[0-9][0-9]_*.py"))


def test_every_seed_example_has_a_gallery_script():
    assert {s.split("_", 1)[1] for s in SCRIPTS} >= {"connectomes", "models", "resting_state", "bold_fc", "eeg", "coupling_sweep",
                            "bifurcation", "lesion", "alzheimer", "dbs", "time_varying_coupling",
                            "batched_gpu_sweep", "fc_fit", "tvb_script_ported"}


@pytest.mark.parametrize("script", SCRIPTS)
def test_gallery_script_runs_quick(script, tmp_path):
    name = script.split("_", 1)[1]
    proc = subprocess.run([sys.executable, str(GALLERY / f"{script}.py"), "--quick", "--out", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    png = tmp_path / f"{name}.png"
    assert png.stat().st_size > 20_000, "the figure is (nearly) empty"
    out = proc.stdout
    if name == "tvb_script_ported":
        diff = float(re.search(r"largest FC difference between the two: (\S+)", out).group(1))
        assert diff < 1e-10                                   # a batch member = its own run
        assert (tmp_path / "seed_example_10.yaml").exists()
    if name == "lesion":
        near, far = map(float, re.search(r"pairs ([\d.]+), of all others ([\d.]+)", out).groups())
        assert near > 3 * far                                 # the lesion's effect is centred on the region
    if name == "dbs":
        before, after = map(float, re.search(r"mean S ([\d.]+) -> ([\d.]+)", out).groups())
        assert after > before + 0.05
    if name == "time_varying_coupling":
        assert float(re.search(r"windowed mean FC: ([-\d.]+)", out).group(1)) > 0.3
    if name == "bifurcation":
        assert "switches on/off at a ≈ 1.00" in out
    if name == "eeg":
        assert "'eeg_sensor': 65" in out
