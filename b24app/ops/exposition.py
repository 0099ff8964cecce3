"""The Prometheus text exposition format, version 0.0.4: `# HELP` and `# TYPE` lines, then one sample a line.

Written here rather than taken from `prometheus_client`: the app renders a handful of families it computes per
scrape, and the format is small (https://prometheus.io/docs/instrumenting/exposition_formats/). Label values
escape backslash, double quote and line feed; HELP text escapes backslash and line feed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
KINDS = ("counter", "gauge", "histogram")


@dataclass(frozen=True)
class Sample:
    suffix: str  # "" or "_bucket", "_sum", "_count" of a histogram
    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass
class Family:
    name: str
    kind: str
    help: str
    samples: list[Sample] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"metric {self.name}: unknown type {self.kind!r}")

    def add(self, value: float, labels: Mapping[str, str] | None = None, *, suffix: str = "") -> None:
        self.samples.append(Sample(suffix, tuple((labels or {}).items()), float(value)))

    def add_histogram(self, labels: Mapping[str, str], bounds: Sequence[float], cumulative: Sequence[int],
                      count: int, total: float) -> None:
        """One labelled histogram: `cumulative[i]` observations were <= `bounds[i]`; `count` in all, summing
        to `total`. The `+Inf` bucket equals `count`, as the format requires."""
        for bound, seen in zip(bounds, cumulative, strict=True):
            self.add(seen, {**labels, "le": format_value(bound)}, suffix="_bucket")
        self.add(count, {**labels, "le": "+Inf"}, suffix="_bucket")
        self.add(total, labels, suffix="_sum")
        self.add(count, labels, suffix="_count")


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _label_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def render(families: Iterable[Family]) -> str:
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for sample in family.samples:
            labels = ",".join(f'{key}="{_label_value(value)}"' for key, value in sample.labels)
            name = family.name + sample.suffix
            lines.append(f"{name}{{{labels}}} {format_value(sample.value)}" if labels
                         else f"{name} {format_value(sample.value)}")
    return "\n".join(lines) + "\n"
