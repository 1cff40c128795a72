#!/usr/bin/env bash
# Build brainsweep's container image from this checkout: its wheel (and, with --offline, the wheel of every
# dependency, for clusters without internet) into a fresh build context, then `podman build` (or docker:
# CONTAINER_ENGINE=docker). Options after `--` go to the engine's build command unchanged.
#
#   deploy/container/build.sh -t brainsweep:0.1.0
#   deploy/container/build.sh -t brainsweep:0.1.0 --base python:3.11-slim --extras s3,slurm --offline
set -euo pipefail

tag=brainsweep:latest
base=
extras=s3,postgresql
offline=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        -t|--tag) tag="$2"; shift 2 ;;
        --base) base="$2"; shift 2 ;;
        --extras) extras="$2"; shift 2 ;;
        --offline) offline=1; shift ;;
        --) shift; break ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
engine="${CONTAINER_ENGINE:-podman}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-python3}"
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/wheels"

"$python" -m build --wheel --outdir "$context/wheels" "$repo" >/dev/null
wheel="$(ls "$context"/wheels/brainsweep-*.whl)"
build_args=(--build-arg "EXTRAS=$extras")
if [[ "$offline" == 1 ]]; then
    # the dependencies' wheels for the Python of this machine (the base image's Python must match it)
    "$python" -m pip download --quiet --dest "$context/wheels" "${wheel}[${extras}]"
    build_args+=(--build-arg "PIP_OFFLINE=--no-index")
fi
[[ -n "$base" ]] && build_args+=(--build-arg "BASE_IMAGE=$base")
# docker format: keeps the Containerfile's SHELL (pipefail) instruction, which the OCI format drops
format=()
[[ "$engine" == podman ]] && format=(--format docker)
"$engine" build "${format[@]}" "${build_args[@]}" -f "$repo/deploy/container/Containerfile" -t "$tag" "$@" "$context"
echo "built $tag from $(basename "$wheel")"
