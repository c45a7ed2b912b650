"""Exact model recovery of a black-box slot engine from (window, payout) probes (issue 11).

Pure Python/NumPy (no Django models). Entry point: :func:`recover_model`; :mod:`.targeted`
finishes a model by steering an engine's draws. The method is written up in the README section
"Exact model recovery".
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from .data import ObservationSet, observation_set, observation_set_from_arrays
from .lines import LabelSpace, LineFit, candidate_lines, line_labels
from .pays import derive_pays, scatter_distribution
from .search import Structure, search_structure
from .strips import ReelModel, assemble_reel, independence_pvalue, weight_model
from .types import Observation, RecoveryResult

__all__ = ["Observation", "RecoveryResult", "recover_model", "recover_from_set",
           "observation_set_from_arrays"]

MIN_OBSERVATIONS = 50
INDEPENDENCE_ALPHA = 1e-3


def recover_model(*, observations: Sequence[Observation] | Sequence[tuple[list[list[str]], Fraction]],
                  targeted: Sequence[Observation] | Sequence[tuple[list[list[str]], Fraction]] = (),
                  structure: dict | None = None) -> RecoveryResult:
    """Recover the engine's maths from probes (windows + total multipliers only).

    ``observations`` are uniform random spins: they alone give the reel statistics. ``targeted``
    spins (windows the prober chose, see :mod:`.targeted`) only add (window, payout) equations
    for the line and pay fit and are replayed by the consistency check like every other spin.
    ``structure`` (``{"wild", "scatter", "paylines"}`` as in an earlier result's details) is tried
    first, without a payline search; if it does not explain every payout the search runs as usual.

    Never raises for odd data: malformed observations give ``status="insufficient"`` with the
    reason in ``notes``. Guarantees: ``status == "exact"`` only when the recovered definition
    replays every observed payout exactly with the project's evaluator and every quantity its
    RTP depends on is pinned by the data; then ``definition``, ``par`` and ``rtp`` are exact.
    """
    observations, targeted = list(observations), list(targeted)
    try:
        obs = observation_set(observations + targeted)
    except (ValueError, TypeError, ZeroDivisionError) as exc:
        return RecoveryResult(status="insufficient", notes=[f"observations unusable: {exc}"])
    return recover_from_set(obs, n_random=len(observations), structure=structure)


def recover_from_set(obs: ObservationSet, *, n_random: int | None = None, structure: dict | None = None) -> RecoveryResult:
    """:func:`recover_model` on an already normalised :class:`ObservationSet` whose first
    ``n_random`` windows (default: all) are uniform random spins and the rest targeted ones."""
    started = time.perf_counter()
    notes: list[str] = []
    n_random = obs.n if n_random is None else n_random
    random_sym = obs.sym[:n_random]
    details: dict = {"spins": n_random, "targeted_spins": obs.n - n_random,
                     "window": {"rows": obs.rows, "reels": obs.reels}, "alphabet": list(obs.alphabet)}
    if n_random < MIN_OBSERVATIONS:
        return RecoveryResult(status="insufficient", notes=[f"{n_random} observations; at least {MIN_OBSERVATIONS} needed"],
                              details=details)
    n_symbols = len(obs.alphabet)

    # -- reels (uniform spins only: targeted windows are not a sample) ------------------------
    reels = [assemble_reel(cols=random_sym[:, :, r], n_symbols=n_symbols, reel=r) for r in range(obs.reels)]
    independence = [independence_pvalue(sym=random_sym, reel=r) for r in range(obs.reels)]
    strip_reels = [m for m in reels if m.kind == "strip"]
    if len(strip_reels) == obs.reels:
        kind = "strip"
    elif not strip_reels and all(p is None or p > INDEPENDENCE_ALPHA for p in independence):
        kind = "non_strip"
    else:
        kind = "undetermined"
        for m in reels:
            if m.kind != "strip":
                notes.append(f"reel {m.reel + 1}: {m.note}")
    details["engine_kind"] = kind
    weights = None
    if kind == "strip":
        q = [[Fraction(m.counts.get(s, 0), m.length) for s in range(n_symbols)] for m in reels]
        details["reels"] = [_strip_details(m, obs.alphabet, independence[m.reel]) for m in reels]
    else:
        weights, info = weight_model(sym=random_sym, n_symbols=n_symbols)
        q = [[Fraction(int(weights.grid_weights[r, s]), weights.grid) for s in range(n_symbols)]
             for r in range(obs.reels)]
        details["reels"] = _weight_details(weights, info, obs.alphabet, independence)
        if kind == "non_strip":
            notes.append("no cyclic strip fits: reels draw symbols independently (weights with 95% CIs in details)"
                         if obs.rows > 1 else
                         "one row: a strip and independent weighted draws are indistinguishable; reported as weights")
            if not weights.pinned:
                notes.append(f"weights not pinned to multiples of 1/{weights.grid} by the 95% CIs "
                             f"({n_random} spins); the maximum-likelihood grid values are used")

    # -- lines, pays, wild, scatter --------------------------------------------------------
    if obs.y is None:
        notes.append("payouts share no usable common denominator: pays not recovered")
        return _finish(kind, None, None, None, notes, details, started)
    if not (obs.y > 0).any():
        notes.append("no paying spin observed yet")
        status = "non_strip" if kind == "non_strip" else "insufficient"
        return _finish(status, None, None, None, notes, details, started)
    fit, tried = _search(obs, structure, n_random)
    details["hypotheses_tried"] = tried
    space = LabelSpace(n_symbols, obs.reels)
    if fit.unidentified or fit.unidentified_scatter:
        # seen, but only together with other unknowns: least squares picked one of many consistent
        # values, so these are unknowns like unobserved pays (targeted probes can isolate them)
        fit.values = {code: v for code, v in fit.values.items() if code not in fit.unidentified}
        fit.scatter_values = {k: v for k, v in fit.scatter_values.items() if k not in fit.unidentified_scatter}
        details["labels_seen_but_not_pinned"] = sorted(_label_name(space, obs.alphabet, code) for code in fit.unidentified)
        details["scatter_counts_seen_but_not_pinned"] = sorted(fit.unidentified_scatter)
        notes.append(f"{len(fit.unidentified)} line label(s) and {len(fit.unidentified_scatter)} scatter count(s) were "
                     "seen only together with other unknowns: their pays are not pinned yet")
    details.update(_fit_details(fit, obs.alphabet, space))
    if not fit.exact:
        shown = fit.unexplained[:20].tolist()
        notes.append(f"{fit.unexplained.size} observed payouts are not explained by any line/pay model tried "
                     f"(first indices {shown}); engine inconsistent or outside the line-pay family")
        details["inconsistent_observations"] = shown
    for line, alt in fit.ambiguous_lines[:10]:
        notes.append(f"payline {list(line)} could be {list(alt)}: no observation tells them apart yet")
    know = derive_pays(space=space, values=fit.values, wild=fit.wild)
    for conflict in know.conflicts:
        notes.append(f"inconsistent pays: {conflict}")
    for t, c, w, f in know.ambiguous:
        notes.append(f"ambiguous: max(pay {obs.alphabet[t]} x{c}, wild x{w}) = {f}, neither side pinned")
    details["paytable"] = {f"{obs.alphabet[s]}": {} for s, _ in know.pinned}
    for (s, c), v in sorted(know.pinned.items()):
        details["paytable"][obs.alphabet[s]][str(c)] = str(v)
    details["wild_pay_upper_bounds"] = {f"{obs.alphabet[s]} x{c}": str(v) for (s, c), v in know.upper.items()}

    from .model import build_definition, model_rtp, per_reel_scatter, replay, unknowns
    if fit.scatter >= 0:
        if kind == "strip":
            per_reel = per_reel_scatter(kmers_or_weights=[m.kmers for m in reels], scatter=fit.scatter, rows=obs.rows)
        else:
            per_reel = per_reel_scatter(kmers_or_weights=[q[r][fit.scatter] for r in range(obs.reels)],
                                        scatter=fit.scatter, rows=obs.rows)
        sc_dist = scatter_distribution(per_reel)
    else:
        sc_dist = {}
    missing, known_rtp = unknowns(space=space, fit=fit, know=know, q=q, sc_dist=sc_dist, alphabet=obs.alphabet)
    details["unidentified"] = missing
    grouped: dict[str, float] = {}
    for item in missing:
        if item["kind"] == "line":
            key = f"pay of {item['symbol']} x{item['count']}"
            grouped[key] = grouped.get(key, 0.0) + item["probability_per_line_float"] * max(1, fit.n_lines)
        else:
            key = f"pay of {item['count']} scatters"
            grouped[key] = grouped.get(key, 0.0) + item["probability_per_spin_float"]
    details["unidentified_entries"] = {key: {"probability_per_spin": p, "expected_spins_to_observe": 1.0 / p}
                                       for key, p in grouped.items()}
    for key, p in grouped.items():
        notes.append(f"{key} never observed (about 1 in {1 / p:,.0f} spins); RTP depends on it")
    details["rtp_identified_part"] = {"exact": str(known_rtp), "decimal": float(known_rtp)}

    strips = _strips_for_definition(kind, reels, weights, obs)
    definition, problems = (None, ["reel strips not determined: no definition built"]) if strips is None else \
        build_definition(alphabet=obs.alphabet, rows=obs.rows, strips=strips, fit=fit, know=know,
                         scatter_values=fit.scatter_values)
    notes += problems
    par = rtp = None
    replay_ok = False
    if definition is not None:
        from games_app.engine.definition import GameDefinition
        game = GameDefinition.from_dict(definition)
        wrong = _unexcused(replay(definition=game, sym=obs.sym, alphabet=obs.alphabet, y=obs.y, den=obs.den),
                           obs=obs, fit=fit, space=space, missing=missing)
        replay_ok = wrong.size == 0
        details["replay_mismatches"] = int(wrong.size)
        if not replay_ok:
            notes.append(f"replaying the observed windows through the recovered definition misses {wrong.size} payouts")
        rtp_model = model_rtp(definition=game, q=q, sc_dist=sc_dist)
        details["rtp_model"] = {"exact": str(rtp_model), "decimal": float(rtp_model),
                                "meaning": "RTP of the recovered definition (unobserved pays inherit by the lookup rule)"}
    blockers = [name for name, present in (
        ("line_model_inexact", not fit.exact), ("paylines_ambiguous", bool(fit.ambiguous_lines)),
        ("unidentified_pays", bool(missing)), ("pay_conflicts", bool(know.conflicts)),
        ("pays_ambiguous", bool(know.ambiguous)), ("definition_problems", bool(problems)),
        ("replay_mismatch", definition is not None and not replay_ok),
        ("strip_length_not_pinned", kind == "strip" and any(m.length_candidates for m in reels)),
        ("not_a_strip_engine", kind != "strip")) if present]
    details["blockers"] = blockers
    identified = fit.exact and not fit.ambiguous_lines and not missing and not know.conflicts and not know.ambiguous and not problems
    if kind == "strip":
        for m in reels:
            if m.length_candidates:
                notes.append(f"reel {m.reel + 1}: {m.note}")
        ambiguous = [m.reel + 1 for m in reels if m.ambiguous]
        if ambiguous:
            notes.append(f"strip order ambiguous on reel(s) {ambiguous} (counts and every PAR figure are exact; "
                         "the definition uses one consistent order)")
        if identified and replay_ok and not any(m.length_candidates for m in reels):
            from games_app.engine.par_sheet import compute_par_sheet
            sheet = compute_par_sheet(game)
            if sheet.rtp != known_rtp:
                notes.append(f"internal check: PAR RTP {sheet.rtp} differs from the label algebra {known_rtp}")
            else:
                par, rtp = sheet.to_dict(), sheet.rtp
        status = "exact" if rtp is not None else "partial"
    elif kind == "non_strip":
        status = "non_strip"
        if identified and weights is not None and weights.pinned:
            rtp = known_rtp
            if definition is not None and replay_ok:
                from games_app.engine.par_sheet import compute_par_sheet
                par = compute_par_sheet(game).to_dict()
        elif identified:
            details["rtp_estimate"] = {"decimal": float(known_rtp),
                                       "meaning": "RTP at the maximum-likelihood grid weights (weights not pinned)"}
        if not (identified and weights is not None and weights.pinned):
            definition = None if obs.rows > 1 else definition
    else:
        status = "partial"
    if rtp is not None:
        details["rtp"] = {"exact": f"{rtp.numerator}/{rtp.denominator}", "decimal": float(rtp)}
    if status != "exact" and kind == "strip" and definition is not None:
        details["best_model_definition"] = definition
        definition = None
    return _finish(status, definition, par, rtp, notes, details, started)


def _unexcused(wrong: np.ndarray, *, obs: ObservationSet, fit: LineFit, space: LabelSpace,
               missing: list[dict]) -> np.ndarray:
    """Replay mismatches not explained by a seen label or scatter count whose pay is still unknown
    (the definition can only guess it, and the result is not exact then anyway). A label the fit
    could not pin but whose pay follows from others is not excused: its windows must replay."""
    index = {name: i for i, name in enumerate(obs.alphabet)}
    unknown = {space.encode(space.none if item["label"][0] == "wilds-only" else index[item["label"][0]],
                            int(item["label"][1]), int(item["label"][2]))
               for item in missing if item["kind"] == "line"}
    unknown_counts = {int(item["count"]) for item in missing if item["kind"] == "scatter"}
    loose = fit.unidentified & unknown
    loose_counts = fit.unidentified_scatter & unknown_counts
    if wrong.size == 0 or not (loose or loose_counts):
        return wrong
    cands = candidate_lines(obs.rows, obs.reels)
    position = {tuple(int(v) for v in line): i for i, line in enumerate(cands.tolist())}
    codes = line_labels(obs.sym[wrong], cands, space, fit.wild, fit.scatter)[:, [position[line] for line in fit.lines]]
    excused = np.isin(codes, list(loose)).any(axis=1)
    if fit.scatter >= 0 and loose_counts:
        counts = (obs.sym[wrong] == fit.scatter).sum(axis=(1, 2))
        excused |= np.isin(counts, list(loose_counts))
    return wrong[~excused]


def _finish(status, definition, par, rtp, notes, details, started) -> RecoveryResult:
    details["seconds"] = round(time.perf_counter() - started, 3)
    return RecoveryResult(status=status, definition=definition, par=par, rtp=rtp, notes=notes, details=details)


def _search(obs: ObservationSet, structure: dict | None, n_random: int) -> tuple[LineFit, list[dict]]:
    given = None
    if structure:
        index = {name: i for i, name in enumerate(obs.alphabet)}
        given = Structure(wild=index.get(structure.get("wild"), -1), scatter=index.get(structure.get("scatter"), -1),
                          paylines=tuple(tuple(line) for line in structure.get("paylines") or []))
    outcome = search_structure(obs, n_random=n_random, given=given)
    tried = [{"wild": obs.alphabet[t["wild_id"]] if t["wild_id"] >= 0 else None,
              "scatter": obs.alphabet[t["scatter_id"]] if t["scatter_id"] >= 0 else None,
              **{k: v for k, v in t.items() if k not in ("wild_id", "scatter_id")}} for t in outcome.tried]
    return outcome.fit, tried


def _strips_for_definition(kind: str, reels: list[ReelModel], weights, obs: ObservationSet) -> list[list[int]] | None:
    if kind == "strip":
        return [m.order for m in reels]
    if weights is not None and obs.rows == 1:
        # one row: a strip with the grid weights as stop counts is observationally identical
        strips = []
        for r in range(obs.reels):
            counts = [int(v) for v in weights.grid_weights[r]]
            g = np.gcd.reduce([c for c in counts if c] or [1])
            strips.append([s for s, c in enumerate(counts) for _ in range(c // g)])
        return strips
    return None


def _strip_details(m: ReelModel, alphabet, independence) -> dict:
    return {"kind": "strip", "length": m.length,
            "counts": {alphabet[s]: c for s, c in sorted(m.counts.items())},
            "order": [alphabet[s] for s in m.order or []],
            "order_ambiguous": m.ambiguous, "log10_orderings": m.log10_orderings,
            "branching_contexts": [[alphabet[s] for s in ctx] for ctx in m.branching],
            "fit_pvalue": m.fit_pvalue, "length_candidates": m.length_candidates,
            "independence_pvalue": independence}


def _weight_details(weights, info, alphabet, independence) -> list[dict]:
    out = []
    for r, reel_info in enumerate(info["per_reel"]):
        symbols = {}
        for s, item in enumerate(reel_info):
            if weights.counts[r, s] == 0 and weights.grid_weights[r, s] == 0:
                continue
            symbols[alphabet[s]] = {"p": item["p"], "ci95": item["ci95"],
                                    "grid_candidates": [f"{g}/{weights.grid}" for g in item["grid_candidates"]],
                                    "weight": f"{int(weights.grid_weights[r, s])}/{weights.grid}"}
        out.append({"kind": "weights", "cells": int(weights.trials[r]), "symbols": symbols,
                    "independence_pvalue": independence[r]})
    if info["pooled"] is not None:
        out.append({"kind": "pooled", "homogeneity_pvalue": weights.homogeneity_pvalue,
                    "symbols": {alphabet[s]: {"p": it["p"], "ci95": it["ci95"],
                                              "grid_candidates": [f"{g}/{weights.grid}" for g in it["grid_candidates"]]}
                                for s, it in enumerate(info["pooled"]) if weights.counts[:, s].sum()}})
    return out


def _label_name(space: LabelSpace, alphabet, code: int) -> tuple[str, int, int]:
    t, c, w = space.decode(code)
    return ("wilds-only" if t == space.none else alphabet[t], c, w)


def _fit_details(fit: LineFit, alphabet, space: LabelSpace) -> dict:
    return {"paylines": [list(line) for line in sorted(fit.lines)], "n_lines": fit.n_lines,
            "wild": alphabet[fit.wild] if fit.wild >= 0 else None,
            "scatter": alphabet[fit.scatter] if fit.scatter >= 0 else None,
            "scatter_pays": {str(k): str(v) for k, v in sorted(fit.scatter_values.items())},
            "fitted_labels": sorted(_label_name(space, alphabet, code) for code in fit.values),
            "fitted_label_values": sorted([*_label_name(space, alphabet, code), str(value)]
                                          for code, value in fit.values.items()),
            "ambiguous_paylines": [[list(line), list(alt)] for line, alt in fit.ambiguous_lines],
            "line_model_exact": fit.exact, "candidate_lines_alive": fit.candidates}
