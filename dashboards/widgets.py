"""Widgets shared by the dashboards' panels."""
from __future__ import annotations

import panel as pn


def select(label: str, options: list, value=None) -> pn.widgets.Select:
    """A select box whose change the server acts on at once.

    Panel holds a browser event for 50 ms (its ``_debounce``) to batch the events of a widget being dragged; one
    choice in a select box is one event, so the wait is only latency (a widget change redrew the landscape 50 ms
    later in ``benchmarks/dashboard.py``). Where Panel has no such attribute, the default stands.
    """
    widget = pn.widgets.Select(label=label, options=options, value=value)
    if hasattr(widget, "_debounce"):
        widget._debounce = 0
    return widget


__all__ = ["select"]
