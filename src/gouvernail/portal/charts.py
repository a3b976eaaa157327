"""Charts drawn on the server as SVG: readable without JavaScript, in print and by screen
readers (each chart has a title and its figures as an accessible table beside it).

Three kinds cover the portal: bars (a value per category), lines (series over time) and the
5 x 5 risk heat map. Colours pass WCAG AA contrast against white.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#1f5f8b", "#b3541e", "#2e7d32", "#6a1b9a", "#8d6e00", "#37474f")
HEAT = {  # residual level -> fill (text is white on each)
    "low": "#2e7d32",
    "medium": "#8d6e00",
    "high": "#c0392b",
    "critical": "#7b1020",
}
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 240, 56, 48, 16


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[str, float]]  # (x label, value)


def _scale(maximum: float) -> float:
    if maximum <= 0:
        return 1.0
    magnitude = 10.0 ** len(str(int(maximum))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= maximum:
            return step * magnitude
    return maximum


def _figure(title: str, svg: str) -> Markup:
    """The chart with its title shown under it (on screen and in print)."""
    return Markup(  # noqa: S704 - every interpolated text is escaped
        f'<figure class="chart-figure">{svg}<figcaption>{escape(title)}</figcaption></figure>'
    )


def _frame(title: str, body: str, height: int = HEIGHT) -> Markup:
    label = escape(title)
    return _figure(
        title,
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{label}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{label}</title>{body}</svg>',
    )


def _axis(top: float, unit: str) -> str:
    parts = []
    for i in range(5):
        value = top * i / 4
        y = HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_short(value))}{escape(unit)}</text>"
        )
    return "".join(parts)


def _short(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def bar_chart(title: str, bars: Sequence[tuple[str, float]], unit: str = "") -> Markup:
    """One bar per (category, value)."""
    if not bars:
        return Markup("")
    top = _scale(max(v for _, v in bars))
    plot_w = WIDTH - LEFT - 8
    slot = plot_w / len(bars)
    parts = [_axis(top, unit)]
    for i, (name, value) in enumerate(bars):
        h = (HEIGHT - BOTTOM - TOP) * value / top
        x = LEFT + i * slot + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{PALETTE[0]}"><title>{escape(name)}: '
            f"{escape(_short(value))}{escape(unit)}</title></rect>"
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
            f"{escape(name[:14])}</text>"
        )
    return _frame(title, "".join(parts))


def line_chart(title: str, series: Sequence[Series], unit: str = "") -> Markup:
    """Series over the same x labels (days, months), with a legend."""
    labels = [x for x, _ in series[0].points] if series else []
    if not labels:
        return Markup("")
    top = _scale(max((v for s in series for _, v in s.points), default=0))
    plot_w = WIDTH - LEFT - 8
    step = plot_w / max(len(labels) - 1, 1)
    parts = [_axis(top, unit)]
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{LEFT + i * step:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        coords = " ".join(
            f"{LEFT + i * step:.1f},{HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * v / top:.1f}"
            for i, (_, v) in enumerate(s.points)
        )
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
            f'<rect x="{LEFT + n * 150}" y="{HEIGHT - 18}" width="12" height="12" '
            f'fill="{colour}"/><text x="{LEFT + n * 150 + 16}" y="{HEIGHT - 8}">'
            f"{escape(s.name[:20])}</text>"
        )
    return _frame(title, "".join(parts))


def heat_map(
    title: str,
    cells: dict[tuple[int, int], int],
    levels: dict[tuple[int, int], str],
    likelihood_label: str,
    severity_label: str,
) -> Markup:
    """The 5 x 5 grid: likelihood (rows, 5 at the top) by severity (columns), each cell showing
    how many risks sit there, coloured by the level the scoring rule gives that cell."""
    size, left, top = 52, 70, 10
    parts = []
    for likelihood in range(5, 0, -1):
        y = top + (5 - likelihood) * size
        parts.append(
            f'<text x="{left - 8}" y="{y + size / 2 + 4}" text-anchor="end">{likelihood}</text>'
        )
        for severity in range(1, 6):
            x = left + (severity - 1) * size
            count = cells.get((likelihood, severity), 0)
            level = levels.get((likelihood, severity), "low")
            parts.append(
                f'<rect x="{x}" y="{y}" width="{size - 2}" height="{size - 2}" '
                f'fill="{HEAT.get(level, HEAT["low"])}"><title>{likelihood} x {severity}: '
                f"{escape(level)}, {count}</title></rect>"
                f'<text x="{x + size / 2 - 1}" y="{y + size / 2 + 5}" text-anchor="middle" '
                f'class="on-dark">{count or ""}</text>'
            )
    for severity in range(1, 6):
        parts.append(
            f'<text x="{left + (severity - 0.5) * size - 1}" y="{top + 5 * size + 16}" '
            f'text-anchor="middle">{severity}</text>'
        )
    parts.append(
        f'<text x="{left + 2.5 * size}" y="{top + 5 * size + 36}" text-anchor="middle">'
        f"{escape(severity_label)}</text>"
        f'<text x="14" y="{top + 2.5 * size}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + 2.5 * size})">{escape(likelihood_label)}</text>'
    )
    svg = (
        f'<svg class="chart heat" viewBox="0 0 {left + 5 * size + 10} {top + 5 * size + 44}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )
    return _figure(title, svg)
