#!/usr/bin/env bash
# The GPU checks of issue 15 in one short script, for a machine with an NVIDIA GPU whose Python already has
# numba, numba-cuda, numpy, scipy and xarray (no network needed): brainsweep is put on the path from this
# checkout, benchmarks/gpu.py prints its table, then the CPU/CUDA equivalence variants run on the device.
#     OUT=/some/dir bash benchmarks/gpu_device_check.sh [bench-seconds] [equivalence-seconds] [gpu.py options]
# e.g. bash benchmarks/gpu_device_check.sh 250 100 --tune --sweep10k --sweep-guard 130
# or, as on 2026-11-27 (an H200; compiles in 14 processes first, tunes for the sweep's batch):
#   bash benchmarks/gpu_device_check.sh 170 90 --budget 330 --precompile 14 --tune --tune-set small --tune-n 80 \
#     --tune-batch 10000 --tune-length 720 --rows-default --plan "100:float32:65536;80:float32:16384,65536" \
#     --length 720 --sweep10k --sweep-guard 150
set -o pipefail
export PYTHONUNBUFFERED=1 BRAINSWEEP_CACHE_DIR=${BRAINSWEEP_CACHE_DIR:-/tmp/brainsweep-cache}
OUT=${OUT:-/tmp/brainsweep-gpu-check}; mkdir -p "$OUT"
BENCH=${1:-170}; EQUIV=${2:-170}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKG=$(mktemp -d)
cp -r "$ROOT/api" "$PKG/brainsweep"
for d in engine explore storage dashboards; do ln -s "$ROOT/$d" "$PKG/brainsweep/$d"; done
export PYTHONPATH="$PKG:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
cd "$ROOT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import sys, numba, numba_cuda, numpy, xarray; print('python', sys.version.split()[0], 'numba', numba.__version__, 'numba-cuda', numba_cuda.__version__, 'numpy', numpy.__version__, 'xarray', xarray.__version__)"
timeout $((BENCH + 240)) python3 benchmarks/gpu.py --budget "$BENCH" --json "$OUT/gpu_bench.json" "${@:3}" 2>&1 | tee "$OUT/bench.log"
echo "benchmark rc $?"
# the variants in 8 processes (each compiles its own kernels on the host's cores), then one report
SHARDS=8
for k in $(seq 0 $((SHARDS - 1))); do
  timeout "$EQUIV" python3 -m tests.helpers.cuda_equivalence --shard "$k/$SHARDS" --out "/tmp/equivalence_$k.json" \
    > "/tmp/equivalence_$k.log" 2>&1 &
done
wait
cat /tmp/equivalence_*.log | grep -v '^ \|^{\|^}' > "$OUT/equivalence.log"
python3 - "$OUT/gpu_equivalence.json" /tmp/equivalence_*.json <<'PY'
import json, sys
parts = [json.load(open(f)) for f in sys.argv[2:]]
r = {"device": parts[0]["device"], "simulator": parts[0]["simulator"],
     "results": {k: v for p in parts for k, v in p.get("results", {}).items()}}
json.dump(r, open(sys.argv[1], "w"), indent=1)
print(len(r["results"]), "variants")
print("equivalence on", r["device"], "simulator:", r["simulator"])
for name, rec in r.get("results", {}).items():
    outs = {k: v for k, v in rec.items() if not k.startswith("_")}
    worst = max((v.get("max_rel", float("inf")) for v in outs.values()), default=float("nan"))
    nan_ok = all(v.get("nan_pattern_equal", False) for v in outs.values())
    print(f"{name:45s} {rec['_dtype']:8s} max rel {worst:.2e} nan pattern equal {nan_ok} divergence equal {rec['_divergence_equal']} ({rec['_seconds']} s)")
PY
if [ -n "$NCU" ] && command -v ncu > /dev/null; then
  # one chunk of the default kernel at N = 100, float32, B = 32768 (200 steps) under Nsight Compute
  timeout 120 ncu --clock-control none --kernel-name regex:run --launch-skip 1 --launch-count 1 \
    --section SpeedOfLight --section Occupancy --section MemoryWorkloadAnalysis --section LaunchStats \
    --section WarpStateStats python3 benchmarks/gpu.py --no-cpu --plan 100:float32:32768 --length 20 \
    > "$OUT/ncu.txt" 2>&1
  echo "ncu rc $?"; grep -E "Throughput|Hit Rate|Occupancy|Registers|Duration|Stall|Issued" "$OUT/ncu.txt" | head -40
fi
