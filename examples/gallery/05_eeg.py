"""EEG: Jansen-Rit regions seen through tvb-data's 65-electrode lead field (seed example 9).

``EEG.from_tvb_data()`` reads the sensors and the cortical-surface projection TVB ships and reduces the
projection to regions through the 76-region mapping. The alpha rhythm of Jansen-Rit shows in the spectrum.

    python examples/gallery/05_eeg.py [--quick] [--out DIR]
"""
import matplotlib.pyplot as plt
import numpy as np
from _gallery import arguments, save
from scipy.signal import welch

import brainsweep as bs
from brainsweep.engine.projections import EEG


def main(argv=None):
    args = arguments(__doc__, argv)
    sim = bs.Simulator(
        connectivity=bs.Connectivity.from_tvb_data(),
        model=bs.models.JansenRit(variables_of_interest=("y1 - y2",)),
        coupling=bs.coupling.SigmoidalJansenRit(a=10.0),
        integrator=bs.integrators.HeunStochastic(dt=2**-4, noise=bs.noise.Additive(nsig=np.array([0, 0, 0, 0, 1e-3, 0]))),
        monitors=[EEG.from_tvb_data(period=4.0)],          # 250 Hz
        seed=9,
    )
    length = 2_000.0 if args.quick else 10_000.0
    ds = sim.run(length)
    eeg = ds.eeg.isel(variable=0)                          # (time, eeg_sensor)
    print(f"EEG {dict(ds.eeg.sizes)}")
    keep = eeg.time > 500.0                                # skip the first half second
    freqs, psd = welch(eeg[keep].values, fs=250.0, nperseg=256, axis=0)

    fig, axes = plt.subplots(1, 2, figsize=(15, 4.8))
    centred = eeg[keep] - eeg[keep].mean("time")          # each electrode around its own mean
    spread = float(centred.std()) * 5
    for k, sensor in enumerate(eeg.eeg_sensor.values[:6]):
        axes[0].plot(centred.time / 1000, centred.sel(eeg_sensor=sensor) + k * spread, lw=0.7, label=sensor)
    axes[0].set_xlabel("time (s)")
    axes[0].set_ylabel("EEG (offset per electrode)")
    axes[0].legend(fontsize=7, loc="upper right")
    axes[0].set_title("65-channel EEG (tvb-data lead field), first six channels")
    axes[1].semilogy(freqs, psd.mean(axis=1))
    axes[1].set_xlim(0, 40)
    axes[1].set_xlabel("frequency (Hz)")
    axes[1].set_ylabel("power (mean over electrodes)")
    axes[1].set_title(f"spectrum: peak at {freqs[np.argmax(psd.mean(axis=1)[1:]) + 1]:.1f} Hz")
    save(fig, args, "eeg")


if __name__ == "__main__":
    main()
