"""A small server-rendered SVG chart (no JavaScript, no plotting library): expected vs realised
house edge per game, as grouped horizontal bars around a zero line (a realised edge can be negative).
Every number is a percentage, as in the table under it."""
from decimal import Decimal
from xml.sax.saxutils import escape

from core.formatting import percent_text
from operator_console.selectors import EDGE_MIN_ROUNDS, GameEdge

ROW_HEIGHT = 34
LABEL_WIDTH = 340
PLOT_WIDTH = 420
VALUE_WIDTH = 190
TOP = 30
EXPECTED_COLOUR = "#79aec8"
REALISED_COLOUR = "#417690"
LOW_SAMPLE_COLOUR = "#bbbbbb"
QUIET_COLOUR = "#888888"


def house_edge_svg(edges: list[GameEdge]) -> str:
    """Return an <svg> element. Bars are clamped to ±100% of the scale so one wild early value
    (a jackpot in the first spins) cannot squash every other bar to nothing, and a realised edge
    from fewer than EDGE_MIN_ROUNDS rounds is drawn grey, left out of the scale and flagged."""
    def scaled(edge: GameEdge):
        yield edge.expected_edge
        if not edge.low_sample:
            yield edge.realised_edge

    values = [float(v) for edge in edges for v in scaled(edge) if v is not None]
    scale = min(max([abs(v) for v in values] + [0.05]), 1.0)
    low = min(values + [float(e.realised_edge) for e in edges if e.realised_edge is not None] + [0.0])
    has_negative = low < 0
    zero_x = LABEL_WIDTH + (PLOT_WIDTH / 2 if has_negative else 0)
    half = PLOT_WIDTH / 2 if has_negative else PLOT_WIDTH
    footer = 48 if any(edge.low_sample for edge in edges) else 30
    height = TOP + max(len(edges), 1) * ROW_HEIGHT + footer
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" style="max-width:100%;height:auto" role="img" '
             f'aria-label="House edge per game: expected vs realised, percent" font-family="sans-serif" font-size="12">',
             f'<text x="{LABEL_WIDTH - 8}" y="16" font-weight="bold" text-anchor="end">House edge per game (%)</text>',
             f'<rect x="{LABEL_WIDTH}" y="6" width="12" height="12" fill="{EXPECTED_COLOUR}"/>'
             f'<text x="{LABEL_WIDTH + 16}" y="16">expected (1 − RTP)</text>',
             f'<rect x="{LABEL_WIDTH + 150}" y="6" width="12" height="12" fill="{REALISED_COLOUR}"/>'
             f'<text x="{LABEL_WIDTH + 166}" y="16">realised</text>',
             f'<rect x="{LABEL_WIDTH + 240}" y="6" width="12" height="12" fill="{LOW_SAMPLE_COLOUR}"/>'
             f'<text x="{LABEL_WIDTH + 256}" y="16">realised, under {EDGE_MIN_ROUNDS:,} rounds</text>']
    if not edges:
        parts.append(f'<text x="{LABEL_WIDTH}" y="{TOP + 20}">No games played yet.</text>')
    for index, edge in enumerate(edges):
        y = TOP + index * ROW_HEIGHT
        label = escape(f"{edge.game} · {edge.family} · {edge.rounds:,} rounds")
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 18}" text-anchor="end">{label}</text>')
        realised_colour = LOW_SAMPLE_COLOUR if edge.low_sample else REALISED_COLOUR
        for offset, value, colour in ((2, edge.expected_edge, EXPECTED_COLOUR), (15, edge.realised_edge, realised_colour)):
            if value is None:
                continue
            length = min(abs(float(value)) / scale, 1.0) * half
            x = zero_x if value >= 0 else zero_x - length
            parts.append(f'<rect x="{x:.1f}" y="{y + offset}" width="{max(length, 0.5):.1f}" height="11" '
                         f'fill="{colour}"><title>{escape(percent_text(value))}</title></rect>')
        realised = escape(percent_text(edge.realised_edge))
        if edge.low_sample and edge.realised_edge is not None:
            realised = f'<tspan fill="{QUIET_COLOUR}">{realised} (low sample)</tspan>'
        parts.append(f'<text x="{LABEL_WIDTH + PLOT_WIDTH + 8}" y="{y + 18}">'
                     f'{escape(percent_text(edge.expected_edge))} / {realised}</text>')
    bottom = TOP + max(len(edges), 1) * ROW_HEIGHT
    parts.append(f'<line x1="{zero_x}" y1="{TOP - 4}" x2="{zero_x}" y2="{bottom}" stroke="#333"/>')
    parts.append(f'<text x="{zero_x}" y="{bottom + 16}" text-anchor="middle">0%</text>')
    scale_text = escape(percent_text(Decimal(str(scale)), places=0 if scale >= 0.1 else 1))
    parts.append(f'<text x="{zero_x + half}" y="{bottom + 16}" text-anchor="end">{scale_text}</text>')
    if has_negative:
        parts.append(f'<text x="{zero_x - half}" y="{bottom + 16}">−{scale_text}</text>')
    if any(edge.low_sample for edge in edges):
        parts.append(f'<text x="{LABEL_WIDTH}" y="{bottom + 36}" fill="{QUIET_COLOUR}">Grey: fewer than '
                     f'{EDGE_MIN_ROUNDS:,} rounds, mostly luck; left out of the scale (bars clipped at its edge).</text>')
    parts.append("</svg>")
    return "".join(parts)
