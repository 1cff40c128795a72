"""The built wheel holds every module under the single ``brainsweep`` namespace, and each imports from it."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FOLDERS = {"api": "brainsweep", "engine": "brainsweep/engine", "explore": "brainsweep/explore",
           "storage": "brainsweep/storage", "dashboards": "brainsweep/dashboards", "deploy": "brainsweep/deploy"}
#: files users copy from the installed package (brainsweep.deploy.default_jobqueue_config() etc.)
DEPLOY_FILES = ["slurm/jobqueue.yaml", "slurm/sweep.sbatch", "container/Containerfile", "container/compose.yaml",
                "container/build.sh", "kubernetes/daskcluster.yaml"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)], check=True,
                   capture_output=True, timeout=600)
    (path,) = out.glob("brainsweep-*.whl")
    return path


def expected_modules():
    for folder, prefix in FOLDERS.items():
        for py in sorted((REPO / folder).rglob("*.py")):
            if "__pycache__" not in py.parts:
                yield f"{prefix}/{py.relative_to(REPO / folder).as_posix()}"


def test_wheel_contains_every_module_and_no_bare_top_level_packages(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [m for m in expected_modules() if m not in names]
    assert not missing, f"missing from the wheel: {missing}"
    missing = [f for f in DEPLOY_FILES if f"brainsweep/deploy/{f}" not in names]
    assert not missing, f"deploy files missing from the wheel: {missing}"
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"brainsweep"}
    assert any(n.endswith("entry_points.txt") and "brainsweep.cli:main" in zipfile.ZipFile(wheel).read(n).decode()
               for n in names if n.endswith("entry_points.txt"))


def test_every_module_imports_from_the_wheel(wheel, tmp_path):
    """Unpacked as pip would install it (a zip import would keep numba from caching compiled functions)."""
    modules = [m[:-3].replace("/", ".").removesuffix(".__init__") for m in expected_modules()]
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    wheel = site
    code = ("import importlib, sys\n"
            f"sys.path.insert(0, {str(wheel)!r})\n"
            f"mods = {modules!r}\n"
            "for m in mods:\n"
            "    mod = importlib.import_module(m)\n"
            f"    assert mod.__file__.startswith({str(wheel)!r}), (m, mod.__file__)\n"
            "import brainsweep\n"
            "print(len(mods), brainsweep.Simulator.__module__)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "brainsweep.engine.simulator"
