"""Server-rendered SVG charts for the fingerprint pages, written directly as SVG text: a few hundred
elements built from our own numbers, in about a millisecond each (matplotlib took seconds per
profile page). Every label is XML-escaped here, so the result is safe to inline."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction
from xml.sax.saxutils import escape, quoteattr

from fingerprint_app.stats import SufficientStats

__all__ = ["convergence_svg", "payout_histogram_svg", "reel_frequencies_svg"]

WIDTH, HEIGHT = 680, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 34, 46
BAND_COLOUR, LINE_COLOUR, PAR_COLOUR, BAR_COLOUR = "#9cc3dd", "#1f77b4", "#222222", "#417690"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")


class _Plot:
    """One chart: a plot area inside margins, linear or log10 axes, SVG parts appended in order."""

    def __init__(self, *, title: str, x_label: str, y_label: str, bottom: int = BOTTOM, label: str = ""):
        self.bottom = bottom
        self.left, self.right = LEFT, WIDTH - RIGHT
        self.top, self.base = TOP, HEIGHT - bottom
        self.parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
                      f'viewBox="0 0 {WIDTH} {HEIGHT}" style="max-width:100%;height:auto" role="img" '
                      f'aria-label={quoteattr(label or title)} font-family="sans-serif" font-size="11">',
                      f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" font-size="13" '
                      f'font-weight="bold">{escape(title)}</text>',
                      f'<text x="{(self.left + self.right) / 2}" y="{HEIGHT - 6}" text-anchor="middle">'
                      f'{escape(x_label)}</text>',
                      f'<text x="14" y="{(self.top + self.base) / 2}" text-anchor="middle" '
                      f'transform="rotate(-90 14 {(self.top + self.base) / 2})">{escape(y_label)}</text>']

    def add(self, part: str) -> None:
        self.parts.append(part)

    def frame(self) -> None:
        self.add(f'<rect x="{self.left}" y="{self.top}" width="{self.right - self.left}" '
                 f'height="{self.base - self.top}" fill="none" stroke="#999"/>')

    def y_ticks(self, ticks: Iterable[tuple[float, str]]) -> None:
        for y, label in ticks:
            self.add(f'<line x1="{self.left}" y1="{y:.1f}" x2="{self.right}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{self.left - 4}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')

    def x_ticks(self, ticks: Iterable[tuple[float, str]]) -> None:
        for x, label in ticks:
            self.add(f'<line x1="{x:.1f}" y1="{self.base}" x2="{x:.1f}" y2="{self.base + 4}" stroke="#999"/>'
                     f'<text x="{x:.1f}" y="{self.base + 16}" text-anchor="middle">{escape(label)}</text>')

    def legend(self, items: Sequence[tuple[str, str]], *, x: float | None = None, above: bool = False) -> None:
        """A column of swatches inside the plot at x, or (above) one row in the top margin, right-aligned."""
        x = self.left + 8 if x is None else x
        if above:
            x = self.right - sum(24 + 6.2 * len(label) for _, label in items)
        for index, (colour, label) in enumerate(items):
            y = self.top - 16 if above else self.top + 8 + index * 15
            self.add(f'<rect x="{x:.1f}" y="{y}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14:.1f}" y="{y + 9}">{escape(label)}</text>')
            if above:
                x += 24 + 6.2 * len(label)

    def text(self) -> str:
        return "".join([*self.parts, "</svg>"])


def _linear(low: float, high: float, start: float, end: float):
    span = (high - low) or 1.0
    return lambda value: start + (value - low) / span * (end - start)


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    span = high - low
    if span <= 0:
        return [low]
    step = 10 ** math.floor(math.log10(span / count))
    for multiple in (1, 2, 2.5, 5, 10):
        if span / (step * multiple) <= count:
            step *= multiple
            break
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def _percent(value: float, span: float) -> str:
    places = 0 if span >= 0.05 else (1 if span >= 0.005 else 2)
    return f"{value * 100:.{places}f}%"


def _spins(value: float) -> str:
    return f"{value / 1e6:g}M" if value >= 1e6 else (f"{value / 1e3:g}k" if value >= 1e3 else f"{value:g}")


def convergence_svg(series: Sequence[Sequence[float]], *, par_rtp: float | None = None) -> str:
    """RTP estimate over spins with its 95% band, from ``[[spins, rtp, ci_low, ci_high], ...]``; the
    exact PAR RTP as a dashed line when known. One point (a campaign done in one chunk) still shows
    its band, as an error bar."""
    # The page captions the chart; the title row holds the legend, clear of the band and the PAR line.
    plot = _Plot(title="", x_label="spins probed", y_label="RTP", label="RTP estimate converging (95% band)")
    points = [tuple(float(v) for v in point[:4]) for point in series if len(point) >= 4]
    if not points:
        plot.frame()
        plot.add(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">No spins probed yet.</text>')
        return plot.text()
    values = [v for _, _, lo, hi in points for v in (lo, hi)] + ([par_rtp] if par_rtp is not None else [])
    y_low, y_high = min(values), max(values)
    pad = max((y_high - y_low) * 0.08, 0.002)
    y_low, y_high = y_low - pad, y_high + pad
    y = _linear(y_low, y_high, plot.base, plot.top)
    spins = [p[0] for p in points]
    log_x = len(points) > 1 and spins[0] > 0 and spins[-1] / spins[0] > 20
    if log_x:
        lx = _linear(math.log10(spins[0]), math.log10(spins[-1]), plot.left + 12, plot.right - 12)
        x = lambda value: lx(math.log10(value))  # noqa: E731
        decades = range(math.ceil(math.log10(spins[0])), math.floor(math.log10(spins[-1])) + 1)
        x_ticks = [(x(10 ** d), _spins(10 ** d)) for d in decades]
    else:
        low, high = (0.0, spins[0] * 2) if len(points) == 1 else (spins[0], spins[-1])
        x = _linear(low, high, plot.left + 12, plot.right - 12)
        x_ticks = [(x(t), _spins(t)) for t in _nice_ticks(low, high) if low <= t <= high]
    plot.y_ticks((y(t), _percent(t, y_high - y_low)) for t in _nice_ticks(y_low, y_high))
    plot.x_ticks(x_ticks)
    if len(points) == 1:
        px, _, lo, hi = points[0]
        plot.add(f'<rect x="{x(px) - 8:.1f}" y="{y(hi):.1f}" width="16" height="{max(y(lo) - y(hi), 1):.1f}" '
                 f'fill="{BAND_COLOUR}" fill-opacity="0.6"/>'
                 f'<line x1="{x(px):.1f}" y1="{y(hi):.1f}" x2="{x(px):.1f}" y2="{y(lo):.1f}" stroke="{LINE_COLOUR}"/>')
    else:
        outline = [(x(p[0]), y(p[3])) for p in points] + [(x(p[0]), y(p[2])) for p in reversed(points)]
        plot.add(f'<polygon points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in outline)}" '
                 f'fill="{BAND_COLOUR}" fill-opacity="0.6"/>')
        plot.add(f'<polyline points="{" ".join(f"{x(p[0]):.1f},{y(p[1]):.1f}" for p in points)}" '
                 f'fill="none" stroke="{LINE_COLOUR}" stroke-width="1.5"/>')
    for px, estimate, lo, hi in points:
        plot.add(f'<circle cx="{x(px):.1f}" cy="{y(estimate):.1f}" r="2.5" fill="{LINE_COLOUR}">'
                 f'<title>{escape(f"{px:,.0f} spins: {estimate:.4%} ({lo:.4%} – {hi:.4%})")}</title></circle>')
    legend = [(BAND_COLOUR, "95% band"), (LINE_COLOUR, "RTP estimate")]
    if par_rtp is not None:
        plot.add(f'<line x1="{plot.left}" y1="{y(par_rtp):.1f}" x2="{plot.right}" y2="{y(par_rtp):.1f}" '
                 f'stroke="{PAR_COLOUR}" stroke-dasharray="5,3"/>')
        legend.append((PAR_COLOUR, f"exact PAR RTP {par_rtp:.4%}"))
    plot.frame()
    plot.legend(legend, above=True)
    return plot.text()


def payout_histogram_svg(stats: SufficientStats, *, max_bars: int = 40) -> str:
    """Probability of each observed multiplier (log scale); the rarest values past ``max_bars``
    are summed into one bar."""
    plot = _Plot(title=f"Payout distribution ({stats.spins:,} spins)", x_label="total multiplier (x bet)",
                 y_label="probability (log)", bottom=BOTTOM + 28)
    items = sorted(stats.multipliers.items())
    if not items or not stats.spins:
        plot.frame()
        return plot.text()
    if len(items) > max_bars:
        common = sorted(sorted(items, key=lambda kv: -kv[1])[:max_bars - 1])
        labels = [_label(m) for m, _ in common] + ["other"]
        counts = [c for _, c in common] + [stats.spins - sum(c for _, c in common)]
    else:
        labels = [_label(m) for m, _ in items]
        counts = [c for _, c in items]
    probabilities = [c / stats.spins for c in counts]
    floor = math.floor(math.log10(min(p for p in probabilities if p > 0)))
    y = _linear(floor, 0.0, plot.base, plot.top)
    plot.y_ticks((y(d), f"1e{d}" if d < -2 else f"{10 ** d:g}") for d in range(floor, 1))
    slot = (plot.right - plot.left) / len(counts)
    for index, (label, probability, count) in enumerate(zip(labels, probabilities, counts)):
        left = plot.left + index * slot
        top = y(math.log10(probability)) if probability > 0 else plot.base
        plot.add(f'<rect x="{left + slot * 0.1:.1f}" y="{top:.1f}" width="{slot * 0.8:.1f}" '
                 f'height="{plot.base - top:.1f}" fill="{BAR_COLOUR}">'
                 f'<title>{escape(f"{label}x: {count:,} spins ({probability:.4%})")}</title></rect>')
        centre = left + slot / 2
        plot.add(f'<text x="{centre:.1f}" y="{plot.base + 10}" font-size="9" text-anchor="end" '
                 f'transform="rotate(-60 {centre:.1f} {plot.base + 10})">{escape(label)}</text>')
    plot.frame()
    return plot.text()


def reel_frequencies_svg(stats: SufficientStats) -> str:
    """Estimated symbol frequency per reel (grouped bars, one group per reel)."""
    plot = _Plot(title="Estimated strip composition per reel", x_label="reel", y_label="frequency")
    if not stats.shape or not stats.spins:
        plot.frame()
        return plot.text()
    rows, reels = stats.shape
    cells = stats.spins * rows
    symbols = list(stats.alphabet)
    frequencies = {symbol: [int(stats.cell_counts[symbol][:, r].sum()) / cells for r in range(reels)]
                   for symbol in symbols}
    top = max([v for values in frequencies.values() for v in values] + [0.01]) * 1.1
    y = _linear(0.0, top, plot.base, plot.top)
    plot.y_ticks((y(t), f"{t:.0%}" if top >= 0.1 else f"{t:.1%}") for t in _nice_ticks(0.0, top))
    legend_width = 110
    group = (plot.right - legend_width - plot.left) / reels
    width = group * 0.8 / max(len(symbols), 1)
    for reel in range(reels):
        start = plot.left + reel * group + group * 0.1
        for index, symbol in enumerate(symbols):
            value = frequencies[symbol][reel]
            plot.add(f'<rect x="{start + index * width:.1f}" y="{y(value):.1f}" width="{width:.1f}" '
                     f'height="{plot.base - y(value):.1f}" fill="{PALETTE[index % len(PALETTE)]}">'
                     f'<title>{escape(f"reel {reel + 1}, {symbol}: {value:.2%}")}</title></rect>')
    plot.x_ticks((plot.left + (reel + 0.5) * group, f"reel {reel + 1}") for reel in range(reels))
    plot.frame()
    plot.legend([(PALETTE[i % len(PALETTE)], symbol) for i, symbol in enumerate(symbols)][:12],
                x=plot.right - legend_width + 10)
    return plot.text()


def _label(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.4f}".rstrip("0")
