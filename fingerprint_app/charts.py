"""Server-rendered SVG charts for the operator pages: matplotlib's object API with its SVG canvas,
never pyplot, so no GUI backend and no global figure state (safe in threaded servers)."""
from __future__ import annotations

import io
import math
from collections.abc import Sequence
from fractions import Fraction

from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from fingerprint_app.stats import SufficientStats

__all__ = ["convergence_svg", "payout_histogram_svg", "reel_frequencies_svg"]

_SIZE = (7.0, 3.2)


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    FigureCanvasSVG(figure).print_svg(buffer)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE so it can be inlined


def convergence_svg(series: Sequence[Sequence[float]], *, par_rtp: float | None = None) -> str:
    """RTP estimate over spins with its 95% band; the exact PAR RTP as a line when known."""
    figure = Figure(figsize=_SIZE)
    axes = figure.add_subplot()
    if series:
        spins = [p[0] for p in series]
        axes.fill_between(spins, [p[2] for p in series], [p[3] for p in series], alpha=0.25, label="95% CI")
        axes.plot(spins, [p[1] for p in series], marker=".", label="RTP estimate")
        if len(spins) > 1 and spins[-1] / max(spins[0], 1) > 20:
            axes.set_xscale("log")
    if par_rtp is not None:
        axes.axhline(par_rtp, color="black", linestyle="--", linewidth=1, label=f"exact PAR RTP {par_rtp:.4%}")
    axes.set_xlabel("spins")
    axes.set_ylabel("RTP (x bet)")
    axes.set_title("RTP estimate converging")
    axes.legend(loc="best", fontsize="small")
    figure.tight_layout()
    return _svg(figure)


def payout_histogram_svg(stats: SufficientStats, *, max_bars: int = 40) -> str:
    """Probability of each observed multiplier (log scale); the rarest values past ``max_bars``
    are summed into one bar."""
    figure = Figure(figsize=_SIZE)
    axes = figure.add_subplot()
    items = sorted(stats.multipliers.items())
    if items and stats.spins:
        if len(items) > max_bars:
            common = sorted(sorted(items, key=lambda kv: -kv[1])[:max_bars - 1])
            rest = stats.spins - sum(c for _, c in common)
            labels = [_label(m) for m, _ in common] + ["other"]
            counts = [c for _, c in common] + [rest]
        else:
            labels = [_label(m) for m, _ in items]
            counts = [c for _, c in items]
        axes.bar(range(len(counts)), [c / stats.spins for c in counts])
        axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=6)
        axes.set_yscale("log")
    axes.set_xlabel("total multiplier (x bet)")
    axes.set_ylabel("probability")
    axes.set_title(f"Payout distribution ({stats.spins:,} spins)")
    figure.tight_layout()
    return _svg(figure)


def reel_frequencies_svg(stats: SufficientStats) -> str:
    """Estimated symbol frequency per reel (grouped bars, one group per reel)."""
    figure = Figure(figsize=_SIZE)
    axes = figure.add_subplot()
    if stats.shape and stats.spins:
        rows, reels = stats.shape
        cells = stats.spins * rows
        symbols = stats.alphabet
        width = 0.8 / max(len(symbols), 1)
        for i, symbol in enumerate(symbols):
            values = [int(stats.cell_counts[symbol][:, r].sum()) / cells for r in range(reels)]
            axes.bar([r + i * width for r in range(reels)], values, width=width, label=symbol)
        axes.set_xticks([r + 0.4 - width / 2 for r in range(reels)], [f"reel {r + 1}" for r in range(reels)])
        axes.legend(fontsize="x-small", ncol=min(len(symbols), 5))
    axes.set_ylabel("frequency")
    axes.set_title("Estimated strip composition per reel")
    figure.tight_layout()
    return _svg(figure)


def _label(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    text = f"{float(value):.4f}".rstrip("0")
    return text if not math.isinf(float(value)) else str(value)
