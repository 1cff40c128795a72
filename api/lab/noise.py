"""TVB's ``tvb.simulator.noise``: the engine's noise terms, plus TVB's ``noise_seed`` (default 42).

The seed keys brainsweep's counter-based normals (the same numbers on any batch size, worker or GPU), so a seed
gives the same run every time, but not TVB's Mersenne-Twister numbers.
"""
from __future__ import annotations

from brainsweep.engine import noise as _engine_noise
from brainsweep.engine.noise import Noise

#: TVB's default ``Noise.noise_seed``.
DEFAULT_NOISE_SEED = 42


class _Seeded:
    def __init__(self, nsig=1.0, noise_seed: int = DEFAULT_NOISE_SEED, **values):
        super().__init__(nsig=nsig, **values)
        try:
            seed = int(noise_seed)
        except (TypeError, ValueError):
            raise ValueError(f"{type(self).__name__}.noise_seed must be a non-negative integer, "
                             f"got {noise_seed!r}") from None
        if seed < 0 or seed != noise_seed:
            raise ValueError(f"{type(self).__name__}.noise_seed must be a non-negative integer, got {noise_seed!r}")
        self.noise_seed = seed

    def configure(self):
        """Nothing to prepare; returns the noise, as TVB's."""
        return self


class Additive(_Seeded, _engine_noise.Additive):
    """Additive white noise, ``g = sqrt(2 nsig)`` (TVB's ``Additive``); ``nsig`` a scalar, one value per state
    variable, per region, or (state variable, region)."""


class Multiplicative(_Seeded, _engine_noise.Multiplicative):
    """Multiplicative white noise, ``g = sqrt(2 nsig) (b_a x + b_b)`` (TVB's ``Multiplicative``)."""


__all__ = ["Noise", "Additive", "Multiplicative", "DEFAULT_NOISE_SEED"]
