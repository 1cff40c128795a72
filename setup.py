"""Map the repository's top-level folders into the single import namespace ``brainsweep``.

``api/`` is the root package (``brainsweep``), ``engine/`` becomes ``brainsweep.engine`` and so on. The
package list is generated from the ``__init__.py`` files so that nested packages (``engine/models``) can never
go missing from the wheel. ``api/`` is not called ``brainsweep/`` on purpose: a same-named folder in the
working directory would shadow the installed package when Python runs from the repository root.
"""
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent
FOLDERS = {"brainsweep": "api", "brainsweep.engine": "engine", "brainsweep.explore": "explore",
           "brainsweep.storage": "storage", "brainsweep.dashboards": "dashboards", "brainsweep.deploy": "deploy"}


def discover():
    packages, package_dir = [], {}
    for name, folder in FOLDERS.items():
        package_dir[name] = folder
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            rel = init.parent.relative_to(ROOT / folder)
            if "__pycache__" in rel.parts:
                continue
            packages.append(".".join((name, *rel.parts)))
    return packages, package_dir


packages, package_dir = discover()
setup(packages=packages, package_dir=package_dir,
      package_data={"brainsweep.engine": ["data/*", "data/**/*"],
                    "brainsweep.deploy": ["README.md", "slurm/*", "container/*", "kubernetes/*"]})
