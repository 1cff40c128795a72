"""Port a TVB script: rewrite its import lines, and nothing else, to use ``brainsweep.lab``."""
from __future__ import annotations

import re

#: TVB modules and what they become, longest first (``tvb.simulator.lab`` before ``tvb.simulator``).
REWRITES = (("tvb.simulator.lab", "brainsweep.lab"), ("tvb.simulator", "brainsweep.lab"),
            ("tvb.datatypes", "brainsweep.lab"))
_IMPORT = re.compile(r"^(\s*)(from\s+\S+\s+import\b.*|import\s+.*)$")


def port_source(source: str) -> str:
    """``source`` with ``tvb.simulator.lab``, ``tvb.simulator`` and ``tvb.datatypes`` replaced by
    ``brainsweep.lab`` in its ``import``/``from ... import`` lines; every other line is left as it is.

    Examples
    --------
    >>> port_source("from tvb.simulator.models import WilsonCowan")
    'from brainsweep.lab.models import WilsonCowan'
    """
    out = []
    for line in source.splitlines(keepends=True):
        m = _IMPORT.match(line.rstrip("\n"))
        if m:
            for old, new in REWRITES:
                line = re.sub(rf"(?<![\w.]){re.escape(old)}(?![\w])", new, line)
        out.append(line)
    return "".join(out)


_EXAMPLE = re.compile(r"\*\*Example (\d+):[^*]*\*\*\s*```python\n(.*?)```", re.S)
_LENGTH = re.compile(r"(simulation_length\s*=\s*)([0-9.]+)")


def example_blocks(markdown: str) -> dict[int, str]:
    """The Python code blocks of a Markdown text headed ``**Example N: ...**`` (as in the TVB platform
    description), by ``N``."""
    return {int(m.group(1)): m.group(2) for m in _EXAMPLE.finditer(markdown)}


def with_simulation_lengths(source: str, length) -> str:
    """``source`` with every literal ``simulation_length = <ms>`` replaced by ``length(<ms>)`` (a function of
    the written value, in ms)."""
    return _LENGTH.sub(lambda m: f"{m.group(1)}{float(length(float(m.group(2))))!r}", source)


__all__ = ["port_source", "example_blocks", "with_simulation_lengths", "REWRITES"]
