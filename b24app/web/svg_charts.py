"""Charts as inline SVG drawn on the server: no chart library, no script, nothing loaded from another host (the
page lives inside the portal's frame). Pure functions from numbers to an SVG string; every text is escaped, so a
stream or base name cannot inject markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Series:
    """One stacked layer of a bar chart: its name (legend, tooltips), fill colour and a value per bar."""

    name: str
    color: str
    values: Sequence[float]


def _x(text: object) -> str:
    return escape(str(text), quote=True)


def nice_max(value: float) -> float:
    """The axis top: the smallest of 1, 2, 2.5, 5 × 10^k not below `value` (at least 1)."""
    if value <= 1:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def stacked_bars(title: str, labels: Sequence[str], series: Sequence[Series], *, width: int = 460,
                 height: int = 150, label_every: int = 1, element_id: str | None = None) -> str:
    """Bars of `labels` (one per bucket), each the stack of the series' values; the axis top and zero on the
    left, every `label_every`-th label below. A <title> per segment names the bucket, series and value."""
    if any(len(s.values) != len(labels) for s in series):
        raise ValueError("every series needs one value per label")
    left, right, top, bottom = 34, 6, 8, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    axis = nice_max(max(totals, default=0))
    slot = plot_w / max(1, len(labels))
    bar = max(1.0, slot * 0.72)
    ident = f' id="{_x(element_id)}"' if element_id else ""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg"{ident} class="chart" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{_x(title)}">',
           f"<title>{_x(title)}</title>",
           f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#c6cdd3"/>',
           f'<line x1="{left}" y1="{top}" x2="{width - right}" y2="{top}" stroke="#edeef0"/>',
           f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="10" fill="#80868e">'
           f"{_number(axis)}</text>",
           f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="10" fill="#80868e">0</text>']
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        for s in series:
            value = s.values[i]
            if value <= 0:
                continue
            h = plot_h * value / axis
            y -= h
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{_x(s.color)}" '
                       f'data-series="{_x(s.name)}" data-value="{_number(value)}">'
                       f"<title>{_x(label)}: {_x(s.name)} {_number(value)}</title></rect>")
        if label_every and i % label_every == 0:
            out.append(f'<text x="{x + bar / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="10" '
                       f'fill="#80868e">{_x(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def meter(share: float, *, width: int = 160, height: int = 12, label: str = "") -> str:
    """A horizontal gauge filled to `share` (0…1): green, amber past 60 %, red past 85 %."""
    share = min(1.0, max(0.0, share))
    color = "#9dcf00" if share < 0.6 else ("#ffa900" if share < 0.85 else "#ff5752")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="meter" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{_x(label)}"><title>{_x(label)}</title>'
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="#edeef0"/>'
            f'<rect x="0" y="0" width="{width * share:.1f}" height="{height}" fill="{color}"/></svg>')
