"""Assemble the recovered model: definition in the project format, replay check, exact figures."""
from __future__ import annotations

import hashlib
import json
import math
from fractions import Fraction

import numpy as np

from games_app.engine.definition import GameDefinition, GameDefinitionError, format_decimal
from games_app.engine.evaluator import compile_game, evaluate_window

from .data import observation_set
from .lines import LabelSpace, LineFit
from .pays import PayKnowledge, line_value, scatter_distribution, triples

__all__ = ["build_definition", "replay", "model_rtp", "unknowns"]

PLACEHOLDER_BETS = ("0.01", "100")  # bet limits are not observable from normalised payouts


def _decimal(value: Fraction) -> int | str | None:
    """JSON multiplier, or None when the value has no terminating decimal expansion."""
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den != 1:
        return None
    return value.numerator if value.denominator == 1 else format_decimal(value)


def _pay_table(entries: dict[int, Fraction], max_count: int) -> tuple[dict[str, int | str], list[str]]:
    """Entries for the "largest defined count <= n" lookup; problems when a pinned value cannot
    be expressed that way (a zero after a positive pay, or a non-decimal value)."""
    out: dict[str, int | str] = {}
    problems = []
    current = Fraction(0)
    for count in range(1, max_count + 1):
        if count not in entries:
            continue  # unobserved: the lookup inherits the previous entry
        value = entries[count]
        if value == current:
            continue
        if value == 0:
            problems.append(f"count {count} pays 0 after a smaller count paid {current}")
            continue
        text = _decimal(value)
        if text is None:
            problems.append(f"count {count} pays {value}, not a terminating decimal")
            continue
        out[str(count)] = text
        current = value
    return out, problems


def build_definition(*, alphabet: tuple[str, ...], rows: int, strips: list[list[int]], fit: LineFit,
                     know: PayKnowledge, scatter_values: dict[int, Fraction]) -> tuple[dict | None, list[str]]:
    """The recovered game as a definition dict (validated by ``GameDefinition.from_dict``)."""
    n_reels = len(strips)
    problems: list[str] = []
    paytable: dict[str, dict] = {}
    by_symbol: dict[int, dict[int, Fraction]] = {}
    for (symbol, count), value in know.pinned.items():
        if symbol == fit.scatter or symbol < 0:
            continue
        by_symbol.setdefault(symbol, {})[count] = value
    for symbol, entries in sorted(by_symbol.items()):
        table, issues = _pay_table(entries, n_reels)
        problems += [f"{alphabet[symbol]}: {issue}" for issue in issues]
        if table:
            paytable[alphabet[symbol]] = table
    data: dict = {
        "slug": "recovered",
        "name": "Recovered model",
        "description": "Reconstructed from probe windows and payouts by fingerprint_app.recovery.",
        "reels": [[alphabet[s] for s in strip] for strip in strips],
        "rows": rows,
        "paylines": [list(line) for line in sorted(fit.lines)],
        "paytable": paytable,
        "min_bet": PLACEHOLDER_BETS[0],
        "max_bet": PLACEHOLDER_BETS[1],
    }
    if fit.wild >= 0:
        data["wild"] = alphabet[fit.wild]
    if fit.scatter >= 0:
        table, issues = _pay_table({k: v for k, v in scatter_values.items()}, rows * n_reels)
        problems += [f"scatter: {issue}" for issue in issues]
        if table:
            data["scatter"] = alphabet[fit.scatter]
            data["scatter_pays"] = table
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]
    data["slug"] = f"recovered-{digest}"
    try:
        definition = GameDefinition.from_dict(data)
    except GameDefinitionError as exc:
        return None, problems + [f"the recovered model is not a valid definition: {exc}"]
    return definition.to_dict(), problems


def replay(*, definition: GameDefinition, sym: np.ndarray, alphabet: tuple[str, ...], y: np.ndarray,
           den: int, spot_checks: int = 64) -> np.ndarray:
    """Indices of observations whose payout the definition does not reproduce exactly, evaluated
    with the project's compiled line automaton (and the scalar evaluator on a sample)."""
    game = compile_game(definition)
    index = {name: i for i, name in enumerate(definition.symbols)}
    mapping = np.array([index.get(name, -1) for name in alphabet], dtype=np.int64)
    ids = mapping[sym.astype(np.int64)]
    if (ids < 0).any():
        bad = np.flatnonzero((ids < 0).any(axis=(1, 2)))
        ok = np.ones(sym.shape[0], dtype=bool)
        ok[bad] = False
    else:
        bad = np.zeros(0, dtype=np.int64)
        ok = np.ones(sym.shape[0], dtype=bool)
    ids = np.where(ids < 0, 0, ids)
    scale = game.scale
    total = np.zeros(sym.shape[0], dtype=object)
    line_sum = np.zeros(sym.shape[0], dtype=np.int64)
    for line in definition.paylines:
        cells = np.stack([ids[:, row, reel] for reel, row in enumerate(line)], axis=1)
        line_sum += game.automaton.run(cells)
    total = line_sum.astype(object) * scale.line_factor
    if definition.scatter is not None:
        count = (ids == index[definition.scatter]).sum(axis=(1, 2))
        total = total + game.scatter_table[count].astype(object) * scale.scatter_factor
    # exact comparison in Python ints: y / den == total / scale.denominator
    mismatch = total * den != y.astype(object) * scale.denominator
    wrong = set(np.flatnonzero(mismatch & ok).tolist()) | set(bad.tolist())
    sample = np.linspace(0, sym.shape[0] - 1, num=min(spot_checks, sym.shape[0]), dtype=np.int64)
    for i in sample.tolist():
        if i in wrong:
            continue
        window = [[alphabet[s] for s in row] for row in sym[i].tolist()]
        if evaluate_window(definition, window).total_multiplier != Fraction(int(y[i]), den):
            wrong.add(i)
    return np.array(sorted(wrong), dtype=np.int64)


def unknowns(*, space: LabelSpace, fit: LineFit, know: PayKnowledge, q: list[list[Fraction]],
             sc_dist: dict[int, Fraction], alphabet: tuple[str, ...]) -> tuple[list[dict], Fraction]:
    """Reachable outcomes whose pay the data do not fix, with their exact probabilities, and the
    RTP of everything that is fixed (line part per unit of line pay, scatter part)."""
    missing = []
    known_rtp = Fraction(0)
    wild_name = alphabet[fit.wild] if fit.wild >= 0 else None
    for t, c, w, prob in triples(q=q, wild=fit.wild, scatter=fit.scatter, none=space.none):
        value = line_value(know, fit.values, space, fit.wild, t, c, w)
        if value is None:
            # name the paytable entry that is actually unknown
            if t == space.none or (w >= 1 and (t, c) in know.pinned):
                symbol, count = wild_name, w
            else:
                symbol, count = alphabet[t], c
            missing.append({"kind": "line", "symbol": symbol, "count": count, "label": [
                            "wilds-only" if t == space.none else alphabet[t], c, w],
                            "probability_per_line": str(prob), "probability_per_line_float": float(prob)})
        else:
            known_rtp += prob * value
    if fit.scatter >= 0:
        for k, prob in sorted(sc_dist.items()):
            if k == 0 or prob == 0:
                continue
            if k in fit.scatter_values:
                known_rtp += prob * fit.scatter_values[k]
            else:
                missing.append({"kind": "scatter", "symbol": alphabet[fit.scatter], "count": k,
                                "probability_per_spin": str(prob), "probability_per_spin_float": float(prob)})
    return missing, known_rtp


def model_rtp(*, definition: GameDefinition, q: list[list[Fraction]], sc_dist: dict[int, Fraction]) -> Fraction:
    """RTP of ``definition``'s pays under independent per-reel cell probabilities ``q`` (exact for
    strips too: a line reads one cell per reel, and the scatter count law is given)."""
    symbols = definition.symbols
    wild = symbols.index(definition.wild) if definition.wild else -1
    scatter = symbols.index(definition.scatter) if definition.scatter else -1
    none = len(symbols)
    rtp = Fraction(0)
    for t, c, w, prob in triples(q=q, wild=wild, scatter=scatter, none=none):
        wild_pay = definition.pay(definition.wild, w) if wild >= 0 and w else Fraction(0)
        value = wild_pay if t == none else max(definition.pay(symbols[t], c), wild_pay)
        rtp += prob * value
    if scatter >= 0:
        rtp += sum((p * definition.scatter_pay(k) for k, p in sc_dist.items()), Fraction(0))
    return rtp


def per_reel_scatter(*, kmers_or_weights, scatter: int, rows: int) -> list[dict[int, Fraction]]:
    """Per reel, the law of the number of scatters in the reel's window column."""
    out = []
    for reel in kmers_or_weights:
        if isinstance(reel, dict):  # strip: k-mer -> multiplicity
            length = sum(reel.values())
            dist: dict[int, Fraction] = {}
            for kmer, mult in reel.items():
                k = sum(1 for s in kmer if s == scatter)
                dist[k] = dist.get(k, Fraction(0)) + Fraction(mult, length)
        else:  # independent cells: binomial(rows, p)
            p = reel
            dist = {k: math.comb(rows, k) * p**k * (1 - p) ** (rows - k) for k in range(rows + 1)}
        out.append(dist)
    return out


def replays_exactly(*, definition: dict, observations) -> bool:
    """Whether ``definition`` reproduces every observed payout exactly."""
    obs = observation_set(list(observations))
    if obs.y is None:
        return False
    try:
        game = GameDefinition.from_dict(definition)
    except GameDefinitionError:
        return False
    return replay(definition=game, sym=obs.sym, alphabet=obs.alphabet, y=obs.y, den=obs.den).size == 0


__all__ += ["per_reel_scatter", "scatter_distribution", "replays_exactly"]
