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


__all__ = ["port_source", "REWRITES"]
