"""The worked example (examples/fc_fit_hcp80.py) at short length: the FC fit rises towards the critical coupling."""
import importlib.util

from paths import REPO


def load_example():
    spec = importlib.util.spec_from_file_location("fc_fit_hcp80", REPO / "examples" / "fc_fit_hcp80.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fc_fit_rises_towards_the_critical_coupling_then_collapses():
    result = load_example().fc_fit_scan([0.0, 0.06, 0.13, 0.3], length=120_000.0)
    r = result.fc_fit.mean("seed").values
    activity = result.mean_S.mean("seed").values
    assert r[0] < r[1] < r[2]                       # rising with coupling ...
    assert r[2] > 0.15                              # ... to a real fit below the transition
    assert r[3] < r[2] / 2                          # collapsing on the high-activity branch
    assert activity[3] > 2 * activity[2]            # which is where coupling 0.3 sits
