"""The fingerprint charts are plain SVG built from numbers: well-formed, escaped, and the RTP band is
drawn whatever the chunk size (one convergence point included)."""
from collections import Counter
from fractions import Fraction
from xml.etree import ElementTree

import numpy as np

from fingerprint_app.charts import convergence_svg, payout_histogram_svg, reel_frequencies_svg
from fingerprint_app.stats import SufficientStats

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # raises on malformed XML


def test_convergence_band_is_drawn_with_one_point():
    # One chunk as big as the campaign: a single convergence point. Its band is an error bar.
    root = _parse(convergence_svg([[20000, 0.95, 0.93, 0.97]], par_rtp=0.958))
    bands = [rect for rect in root.iter(f"{SVG}rect") if rect.get("fill-opacity")]
    assert len(bands) == 1 and float(bands[0].get("height")) > 10
    assert len(list(root.iter(f"{SVG}circle"))) == 1
    assert "exact PAR RTP 95.8000%" in convergence_svg([[20000, 0.95, 0.93, 0.97]], par_rtp=0.958)


def test_convergence_band_is_a_polygon_with_many_points_on_a_log_axis():
    series = [[1000 * 2 ** i, 0.95, 0.95 - 0.3 / 2 ** (i / 2), 0.95 + 0.3 / 2 ** (i / 2)] for i in range(10)]
    root = _parse(convergence_svg(series))
    polygon = next(root.iter(f"{SVG}polygon"))
    assert len(polygon.get("points").split()) == 2 * len(series)
    labels = [text.text for text in root.iter(f"{SVG}text")]
    assert "10k" in labels and "100k" in labels            # decades on the log axis


def test_convergence_without_points_says_so():
    assert "No spins probed yet." in convergence_svg([])


def _stats(symbols=("A", "<b>")) -> SufficientStats:
    counts = {symbol: np.full((3, 5), 50 * (i + 1), dtype=np.int64) for i, symbol in enumerate(symbols)}
    spins = sum(int(c[:, 0].sum()) for c in counts.values()) // 3
    multipliers = Counter({Fraction(0): spins - 60, Fraction(1, 2): 50, Fraction(20): 10})
    return SufficientStats(spins=spins, shape=(3, 5), cell_counts=counts, multipliers=multipliers,
                           total=sum((m * c for m, c in multipliers.items()), Fraction(0)), hits=60,
                           max_win=Fraction(20))


def test_histogram_and_reel_chart_escape_symbol_names_and_draw_every_bar():
    stats = _stats()
    histogram = _parse(payout_histogram_svg(stats))
    assert len([r for r in histogram.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]) == 3
    reels_svg = reel_frequencies_svg(stats)
    assert "<b>" not in reels_svg and "&lt;b&gt;" in reels_svg
    reels = _parse(reels_svg)
    assert len([r for r in reels.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]) == 2 * 5


def test_histogram_groups_the_rarest_values_into_other():
    stats = _stats()
    stats.multipliers = Counter({Fraction(i): 100 - i for i in range(60)})
    stats.spins = sum(stats.multipliers.values())
    svg = payout_histogram_svg(stats, max_bars=40)
    assert ">other<" in svg
    assert len([r for r in _parse(svg).iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]) == 40
