"""The vectorizable elementary functions against numpy's libm-backed ones."""
import numba as nb
import numpy as np
import pytest

from brainsweep.engine import fastmath as fm


def apply(fn, x):
    @nb.njit
    def loop(x):
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = fn(x[i])
        return out
    return loop(x)


RNG = np.random.default_rng(0)
CASES = [
    ("exp", np.exp, RNG.uniform(-700, 700, 20000), RNG.uniform(-85, 85, 20000)),
    ("log", np.log, np.exp(RNG.uniform(-690, 690, 20000)), np.exp(RNG.uniform(-80, 80, 20000))),
    ("sin", np.sin, RNG.uniform(-1e5, 1e5, 20000), RNG.uniform(-1e3, 1e3, 20000)),
    ("cos", np.cos, RNG.uniform(-1e5, 1e5, 20000), RNG.uniform(-1e3, 1e3, 20000)),
    ("tanh", np.tanh, RNG.uniform(-20, 20, 20000), RNG.uniform(-20, 20, 20000)),
]


@pytest.mark.parametrize("name, ref, x64, x32", CASES, ids=[c[0] for c in CASES])
def test_accuracy(name, ref, x64, x32):
    y = apply(getattr(fm, name + "64"), x64)
    scale = 1.0 if name in ("sin", "cos") else np.abs(ref(x64))
    assert np.max(np.abs(y - ref(x64)) / scale) < 1e-15
    x32 = x32.astype(np.float32)
    y32 = apply(getattr(fm, name + "32"), x32)
    assert y32.dtype == np.float32
    exact = ref(x32.astype(np.float64))
    scale = 1.0 if name in ("sin", "cos") else np.abs(exact)
    assert np.max(np.abs(y32 - exact) / scale) < 4 * np.finfo(np.float32).eps


@pytest.mark.parametrize("bits", ["64", "32"])
def test_special_values(bits):
    dt = np.float64 if bits == "64" else np.float32
    x = np.array([np.nan, np.inf, -np.inf, 800.0, -800.0, 0.0], dtype=dt)
    np.testing.assert_array_equal(apply(getattr(fm, "exp" + bits), x), [np.nan, np.inf, 0.0, np.inf, 0.0, 1.0])
    x = np.array([0.0, -1.0, np.inf, np.nan, 1.0], dtype=dt)
    np.testing.assert_array_equal(apply(getattr(fm, "log" + bits), x), [-np.inf, np.nan, np.inf, np.nan, 0.0])


def test_pow_and_selects():
    @nb.njit
    def f(x, y):
        return fm.pow64(x, y), fm.select_min(x, y), fm.select_max(x, y), fm.select(x > y, x, y)
    assert f(2.0, 10.0)[0] == pytest.approx(1024.0, rel=1e-15)
    assert f(0.0, 2.0)[0] == 0.0
    assert np.isnan(f(-1.0, 0.5)[0])
    assert f(3.0, 4.0)[1:] == (3.0, 4.0, 4.0)
