"""The command line: ``simulate`` spreads a batch over threads with the numbers of one kernel call; ``dashboard``
on a taken port says so in one line."""
import numpy as np
import xarray as xr

from brainsweep.cli import main

ARGS = ["simulate", "--model", "ReducedWongWang", "--nsig", "1e-4", "--dt", "0.1", "--length", "20",
        "--monitor", "TemporalAverage:1.0", "--batch", "coupling.a=linspace(0,0.3,4)", "--seeds", "0,1,2,3", "--quiet"]


def test_simulate_with_threads_equals_one_thread(tmp_path):
    for threads in (1, 2):
        assert main([*ARGS, "--threads", str(threads), "-o", str(tmp_path / f"t{threads}.nc")]) == 0
    with xr.open_dataset(tmp_path / "t1.nc") as one, xr.open_dataset(tmp_path / "t2.nc") as two:
        assert one.temporal_average.shape[0] == 4
        np.testing.assert_array_equal(one.temporal_average.values, two.temporal_average.values)


def test_simulate_refuses_zero_threads_in_one_line(capsys):
    assert main([*ARGS, "--threads", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "brainsweep: Simulator.threads must be a positive integer (CPU threads a batch is spread over), got 0"


def test_dashboard_on_a_taken_port_is_one_line(tmp_path, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["dashboard", str(tmp_path), "--no-browser", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"brainsweep: cannot serve on 127.0.0.1:{port}: ") and "Address already in use" in err
    assert "\n" not in err
