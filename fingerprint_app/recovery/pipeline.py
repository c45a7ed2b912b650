"""Exact model recovery, top-down: sample → strips → lines/wild → pays → model → replay → verdict.

:func:`recover_from_set` runs the stages in order on one :class:`_Run`, the state they pass along.
Each stage reads what earlier ones found and adds its part (and its display ``details`` and
``notes``). :func:`_verdict` is the one place that decides what counts as exact; the typed
:class:`.types.RecoveredModel` is built from the run at the end.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from games_app.engine.definition import GameDefinition
from games_app.engine.par_sheet import compute_par_sheet

from .data import ObservationSet, observation_set
from .lines import LabelSpace, LineFit, candidate_lines, line_labels
from .model import build_definition, model_rtp, per_reel_scatter, replay, unknowns
from .pays import PayKnowledge, derive_pays, scatter_distribution
from .render import fit_details, label_name, strip_details, weight_details
from .search import Hypothesis, search_structure
from .strips import ReelModel, WeightModel, assemble_reel, independence_pvalue, weight_model
from .types import Blocker, Observation, RecoveredModel, RecoveryResult, RecoveryStatus, Structure

__all__ = ["recover_from_set", "recover_model"]

# Fewer uniform spins say nothing structural (a strip of 20 stops needs 8 spins per stop anyway).
MIN_OBSERVATIONS = 50
# Vertically adjacent cells of a strip are dependent; a weight engine's are not. Below this p-value
# the cells are called dependent (a false "independent" would only lose the strip reading).
INDEPENDENCE_ALPHA = 1e-3

Pair = tuple[list[list[str]], Fraction]


def recover_model(*, observations: Sequence[Observation] | Sequence[Pair], targeted: Sequence[Observation] |
                  Sequence[Pair] = (), structure: Structure | None = None) -> RecoveryResult:
    """Recover the engine's maths from probes (windows + total multipliers only).

    ``observations`` are uniform random spins: they alone give the reel statistics. ``targeted``
    spins (windows the prober chose, see :mod:`.targeted`) only add (window, payout) equations
    for the line and pay fit and are replayed by the consistency check like every other spin.
    ``structure`` (a :class:`.types.Structure`, e.g. :attr:`RecoveredModel.structure`) is tried
    first, without a payline search; if it does not explain every payout the search runs as usual.

    Never raises for odd data: malformed observations give ``insufficient`` with the reason in
    ``notes``. ``exact`` only when the recovered definition replays every observed payout exactly
    with the project's evaluator and every quantity its RTP depends on is pinned by the data
    (:func:`_verdict`); then ``definition``, ``par`` and ``rtp`` are exact.
    """
    observations, targeted = list(observations), list(targeted)
    try:
        obs = observation_set(observations + targeted)
    except (ValueError, TypeError, ZeroDivisionError) as exc:
        return RecoveryResult(status=RecoveryStatus.INSUFFICIENT, notes=[f"observations unusable: {exc}"])
    return recover_from_set(obs, n_random=len(observations), structure=structure)


@dataclass
class _Run:
    """What the stages found so far."""

    obs: ObservationSet
    n_random: int
    started: float
    notes: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    kind: str = ""                               # "strip" | "non_strip" | "undetermined"
    reels: list[ReelModel] = field(default_factory=list)
    weights: WeightModel | None = None
    q: list[list[Fraction]] = field(default_factory=list)   # per reel, per symbol: cell probability
    fit: LineFit | None = None
    space: LabelSpace | None = None
    know: PayKnowledge | None = None
    sc_dist: dict[int, Fraction] = field(default_factory=dict)
    missing: list[dict] = field(default_factory=list)
    known_rtp: Fraction = Fraction(0)
    definition: dict | None = None
    problems: list[str] = field(default_factory=list)
    game: GameDefinition | None = None
    replay_ok: bool = False

    @property
    def random_sym(self) -> np.ndarray:
        return self.obs.sym[:self.n_random]


def recover_from_set(obs: ObservationSet, *, n_random: int | None = None, structure: Structure | None = None) -> RecoveryResult:
    """:func:`recover_model` on an already normalised :class:`ObservationSet` whose first
    ``n_random`` windows (default: all) are uniform random spins and the rest targeted ones."""
    run = _Run(obs=obs, n_random=obs.n if n_random is None else n_random, started=time.perf_counter())
    run.details = {"spins": run.n_random, "targeted_spins": obs.n - run.n_random,
                   "window": {"rows": obs.rows, "reels": obs.reels}, "alphabet": list(obs.alphabet)}
    if run.n_random < MIN_OBSERVATIONS:
        run.notes.append(f"{run.n_random} observations; at least {MIN_OBSERVATIONS} needed")
        return _result(run, RecoveryStatus.INSUFFICIENT)
    _strips_stage(run)
    if obs.y is None:
        run.notes.append("payouts share no usable common denominator: pays not recovered")
        return _result(run, RecoveryStatus.NON_STRIP if run.kind == "non_strip" else RecoveryStatus.PARTIAL)
    if not (obs.y > 0).any():
        run.notes.append("no paying spin observed yet")
        return _result(run, RecoveryStatus.NON_STRIP if run.kind == "non_strip" else RecoveryStatus.INSUFFICIENT)
    _lines_stage(run, structure)
    _pays_stage(run)
    _model_stage(run)
    _replay_stage(run)
    return _verdict(run)


# -- stage: strips (uniform spins only: targeted windows are not a sample) --------------------------
def _strips_stage(run: _Run) -> None:
    obs, n_symbols = run.obs, len(run.obs.alphabet)
    run.reels = [assemble_reel(cols=run.random_sym[:, :, r], n_symbols=n_symbols, reel=r) for r in range(obs.reels)]
    independence = [independence_pvalue(sym=run.random_sym, reel=r) for r in range(obs.reels)]
    strip_reels = [m for m in run.reels if m.kind == "strip"]
    if len(strip_reels) == obs.reels:
        run.kind = "strip"
    elif not strip_reels and all(p is None or p > INDEPENDENCE_ALPHA for p in independence):
        run.kind = "non_strip"
    else:
        run.kind = "undetermined"
        run.notes += [f"reel {m.reel + 1}: {m.note}" for m in run.reels if m.kind != "strip"]
    run.details["engine_kind"] = run.kind
    if run.kind == "strip":
        run.q = [[Fraction(m.counts.get(s, 0), m.length) for s in range(n_symbols)] for m in run.reels]
        run.details["reels"] = [strip_details(m, obs.alphabet, independence[m.reel]) for m in run.reels]
        return
    run.weights, info = weight_model(sym=run.random_sym, n_symbols=n_symbols)
    run.q = [[Fraction(int(run.weights.grid_weights[r, s]), run.weights.grid) for s in range(n_symbols)]
             for r in range(obs.reels)]
    run.details["reels"] = weight_details(run.weights, info, obs.alphabet, independence)
    if run.kind == "non_strip":
        run.notes.append("no cyclic strip fits: reels draw symbols independently (weights in details)"
                         if obs.rows > 1 else
                         "one row: a strip and independent weighted draws are indistinguishable; reported as weights")
        if not run.weights.pinned:
            run.notes.append(f"weights not pinned to multiples of 1/{run.weights.grid} by the likelihood-ratio test "
                             f"({run.n_random} spins); the maximum-likelihood grid values are used")


# -- stage: lines / wild / scatter -----------------------------------------------------------------
def _lines_stage(run: _Run, structure: Structure | None) -> None:
    obs = run.obs
    fit, tried = _search(obs, structure, run.n_random)
    run.fit, run.space = fit, LabelSpace(len(obs.alphabet), obs.reels)
    run.details["hypotheses_tried"] = tried
    if fit.unidentified or fit.unidentified_scatter:
        # seen, but only together with other unknowns: least squares picked one of many consistent
        # values, so these are unknowns like unobserved pays (targeted probes can isolate them)
        fit.values = {code: v for code, v in fit.values.items() if code not in fit.unidentified}
        fit.scatter_values = {k: v for k, v in fit.scatter_values.items() if k not in fit.unidentified_scatter}
        run.details["labels_seen_but_not_pinned"] = sorted(label_name(run.space, obs.alphabet, code)
                                                           for code in fit.unidentified)
        run.details["scatter_counts_seen_but_not_pinned"] = sorted(fit.unidentified_scatter)
        run.notes.append(f"{len(fit.unidentified)} line label(s) and {len(fit.unidentified_scatter)} scatter count(s) "
                         "were seen only together with other unknowns: their pays are not pinned yet")
    run.details.update(fit_details(fit, obs.alphabet, run.space))
    if not fit.exact:
        shown = fit.unexplained[:20].tolist()
        run.notes.append(f"{fit.unexplained.size} observed payouts are not explained by any line/pay model tried "
                         f"(first indices {shown}); engine inconsistent or outside the line-pay family")
        run.details["inconsistent_observations"] = shown
    run.notes += [f"payline {list(line)} could be {list(alt)}: no observation tells them apart yet"
                  for line, alt in fit.ambiguous_lines[:10]]


def _search(obs: ObservationSet, structure: Structure | None, n_random: int) -> tuple[LineFit, list[dict]]:
    given = None
    if structure is not None:
        index = {name: i for i, name in enumerate(obs.alphabet)}
        given = Hypothesis(wild=index.get(structure.wild, -1), scatter=index.get(structure.scatter, -1),
                           paylines=tuple(tuple(line) for line in structure.paylines))
    outcome = search_structure(obs, n_random=n_random, given=given)
    tried = [{"wild": obs.alphabet[t["wild_id"]] if t["wild_id"] >= 0 else None,
              "scatter": obs.alphabet[t["scatter_id"]] if t["scatter_id"] >= 0 else None,
              **{k: v for k, v in t.items() if k not in ("wild_id", "scatter_id")}} for t in outcome.tried]
    return outcome.fit, tried


# -- stage: pays (what the label values pin, and what is still unknown) ---------------------------
def _pays_stage(run: _Run) -> None:
    obs, fit = run.obs, run.fit
    run.know = know = derive_pays(space=run.space, values=fit.values, wild=fit.wild)
    run.notes += [f"inconsistent pays: {conflict}" for conflict in know.conflicts]
    run.notes += [f"ambiguous: max(pay {obs.alphabet[t]} x{c}, wild x{w}) = {f}, neither side pinned"
                  for t, c, w, f in know.ambiguous]
    run.details["paytable"] = {f"{obs.alphabet[s]}": {} for s, _ in know.pinned}
    for (s, c), v in sorted(know.pinned.items()):
        run.details["paytable"][obs.alphabet[s]][str(c)] = str(v)
    run.details["wild_pay_upper_bounds"] = {f"{obs.alphabet[s]} x{c}": str(v) for (s, c), v in know.upper.items()}
    if fit.scatter >= 0:
        per_reel = per_reel_scatter(
            kmers_or_weights=[m.kmers for m in run.reels] if run.kind == "strip"
            else [run.q[r][fit.scatter] for r in range(obs.reels)], scatter=fit.scatter, rows=obs.rows)
        run.sc_dist = scatter_distribution(per_reel)
    run.missing, run.known_rtp = unknowns(space=run.space, fit=fit, know=know, q=run.q, sc_dist=run.sc_dist,
                                          alphabet=obs.alphabet)
    run.details["unidentified"] = run.missing
    grouped: dict[str, float] = {}
    for item in run.missing:
        if item["kind"] == "line":
            key = f"pay of {item['symbol']} x{item['count']}"
            grouped[key] = grouped.get(key, 0.0) + item["probability_per_line_float"] * max(1, fit.n_lines)
        else:
            key = f"pay of {item['count']} scatters"
            grouped[key] = grouped.get(key, 0.0) + item["probability_per_spin_float"]
    run.details["unidentified_entries"] = {key: {"probability_per_spin": p, "expected_spins_to_observe": 1.0 / p}
                                           for key, p in grouped.items()}
    run.notes += [f"{key} never observed (about 1 in {1 / p:,.0f} spins); RTP depends on it" for key, p in grouped.items()]
    run.details["rtp_identified_part"] = {"exact": str(run.known_rtp), "decimal": float(run.known_rtp)}


# -- stage: model (the definition in the project format) ------------------------------------------
def _model_stage(run: _Run) -> None:
    strips = _strips_for_definition(run)
    if strips is None:
        run.problems = ["reel strips not determined: no definition built"]
    else:
        run.definition, run.problems = build_definition(alphabet=run.obs.alphabet, rows=run.obs.rows, strips=strips,
                                                        fit=run.fit, know=run.know,
                                                        scatter_values=run.fit.scatter_values)
    run.notes += run.problems


def _strips_for_definition(run: _Run) -> list[list[int]] | None:
    if run.kind == "strip":
        return [m.order for m in run.reels]
    if run.weights is not None and run.obs.rows == 1:
        # one row: a strip with the grid weights as stop counts is observationally identical
        strips = []
        for r in range(run.obs.reels):
            counts = [int(v) for v in run.weights.grid_weights[r]]
            g = np.gcd.reduce([c for c in counts if c] or [1])
            strips.append([s for s, c in enumerate(counts) for _ in range(c // g)])
        return strips
    return None


# -- stage: replay (every observed payout through the project's evaluator) ------------------------
def _replay_stage(run: _Run) -> None:
    if run.definition is None:
        return
    obs = run.obs
    run.game = GameDefinition.from_dict(run.definition)
    wrong = _unexcused(replay(definition=run.game, sym=obs.sym, alphabet=obs.alphabet, y=obs.y, den=obs.den), run)
    run.replay_ok = wrong.size == 0
    run.details["replay_mismatches"] = int(wrong.size)
    if not run.replay_ok:
        run.notes.append(f"replaying the observed windows through the recovered definition misses {wrong.size} payouts")
    rtp_model = model_rtp(definition=run.game, q=run.q, sc_dist=run.sc_dist)
    run.details["rtp_model"] = {"exact": str(rtp_model), "decimal": float(rtp_model),
                                "meaning": "RTP of the recovered definition (unobserved pays inherit by the lookup rule)"}


def _unexcused(wrong: np.ndarray, run: _Run) -> np.ndarray:
    """Replay mismatches not explained by a seen label or scatter count whose pay is still unknown
    (the definition can only guess it, and the result is not exact then anyway). A label the fit
    could not pin but whose pay follows from others is not excused: its windows must replay."""
    obs, fit, space = run.obs, run.fit, run.space
    index = {name: i for i, name in enumerate(obs.alphabet)}
    unknown = {space.encode(space.none if item["label"][0] == "wilds-only" else index[item["label"][0]],
                            int(item["label"][1]), int(item["label"][2]))
               for item in run.missing if item["kind"] == "line"}
    unknown_counts = {int(item["count"]) for item in run.missing if item["kind"] == "scatter"}
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


# -- verdict: what counts as exact -----------------------------------------------------------------
def _blockers(run: _Run) -> list[Blocker]:
    fit, know = run.fit, run.know
    return [blocker for blocker, present in (
        (Blocker.LINE_MODEL_INEXACT, not fit.exact), (Blocker.PAYLINES_AMBIGUOUS, bool(fit.ambiguous_lines)),
        (Blocker.UNIDENTIFIED_PAYS, bool(run.missing)), (Blocker.PAY_CONFLICTS, bool(know.conflicts)),
        (Blocker.PAYS_AMBIGUOUS, bool(know.ambiguous)), (Blocker.DEFINITION_PROBLEMS, bool(run.problems)),
        (Blocker.REPLAY_MISMATCH, run.definition is not None and not run.replay_ok),
        (Blocker.STRIP_LENGTH_NOT_PINNED, run.kind == "strip" and any(m.length_candidates for m in run.reels)),
        (Blocker.NOT_A_STRIP_ENGINE, run.kind != "strip")) if present]


def _verdict(run: _Run) -> RecoveryResult:
    """What counts as exact: a strip engine, no blocker at all (every payout explained, paylines
    told apart, every reachable pay pinned, no conflict, a valid definition that replays every
    observation, every strip length pinned), and the PAR sheet's RTP equal to the label algebra's.
    A weight engine gets an exact RTP (status ``non_strip``) when its pays and weights are pinned."""
    blockers = _blockers(run)
    run.details["blockers"] = [str(b) for b in blockers]
    identified = not set(blockers) - {Blocker.REPLAY_MISMATCH, Blocker.STRIP_LENGTH_NOT_PINNED,
                                      Blocker.NOT_A_STRIP_ENGINE}
    par = rtp = None
    if run.kind == "strip":
        _strip_notes(run)
        if not blockers:
            sheet = compute_par_sheet(run.game)
            if sheet.rtp != run.known_rtp:
                run.notes.append(f"internal check: PAR RTP {sheet.rtp} differs from the label algebra {run.known_rtp}")
            else:
                par, rtp = sheet.to_dict(), sheet.rtp
        status = RecoveryStatus.EXACT if rtp is not None else RecoveryStatus.PARTIAL
    elif run.kind == "non_strip":
        status = RecoveryStatus.NON_STRIP
        pinned = identified and run.weights is not None and run.weights.pinned
        if pinned:
            rtp = run.known_rtp
            if run.game is not None and run.replay_ok:
                par = compute_par_sheet(run.game).to_dict()
        elif identified:
            run.details["rtp_estimate"] = {"decimal": float(run.known_rtp),
                                           "meaning": "RTP at the maximum-likelihood grid weights (weights not pinned)"}
        if not pinned and run.obs.rows > 1:
            run.definition = None
    else:
        status = RecoveryStatus.PARTIAL
    if rtp is not None:
        run.details["rtp"] = {"exact": f"{rtp.numerator}/{rtp.denominator}", "decimal": float(rtp)}
    if status != RecoveryStatus.EXACT and run.kind == "strip" and run.definition is not None:
        run.details["best_model_definition"] = run.definition
        run.definition = None
    return _result(run, status, par=par, rtp=rtp, model=_typed_model(run, blockers))


def _strip_notes(run: _Run) -> None:
    run.notes += [f"reel {m.reel + 1}: {m.note}" for m in run.reels if m.length_candidates]
    ambiguous = [m.reel + 1 for m in run.reels if m.ambiguous]
    if ambiguous:
        run.notes.append(f"strip order ambiguous on reel(s) {ambiguous} (counts and every PAR figure are exact; "
                         "the definition uses one consistent order)")


def _result(run: _Run, status: RecoveryStatus, *, par: dict | None = None, rtp: Fraction | None = None,
            model: RecoveredModel | None = None) -> RecoveryResult:
    run.details["seconds"] = round(time.perf_counter() - run.started, 3)
    definition = run.definition if status in (RecoveryStatus.EXACT, RecoveryStatus.NON_STRIP) else None
    return RecoveryResult(status=status, definition=definition, par=par, rtp=rtp, notes=run.notes,
                          details=run.details, model=model)


def _typed_model(run: _Run, blockers: list[Blocker]) -> RecoveredModel:
    obs, fit, space = run.obs, run.fit, run.space
    index = {name: i for i, name in enumerate(obs.alphabet)}

    def label(name: str, c, w) -> tuple[int, int, int]:
        return (space.none if name == "wilds-only" else index[name], int(c), int(w))

    strips = run.reels if run.kind == "strip" else None
    values = {space.decode(code): value for code, value in fit.values.items()}
    return RecoveredModel(
        alphabet=obs.alphabet, rows=obs.rows, reels=obs.reels,
        paylines=tuple(sorted(tuple(line) for line in fit.lines)),
        wild=obs.alphabet[fit.wild] if fit.wild >= 0 else None,
        scatter=obs.alphabet[fit.scatter] if fit.scatter >= 0 else None,
        label_values=values, fitted_labels=frozenset(values), scatter_values=dict(fit.scatter_values),
        unknown_labels=frozenset(label(*item["label"]) for item in run.missing if item["kind"] == "line"),
        unknown_scatter_counts=frozenset(int(item["count"]) for item in run.missing if item["kind"] == "scatter"),
        ambiguous_paylines=tuple((tuple(line), tuple(alt)) for line, alt in fit.ambiguous_lines),
        strip_lengths=tuple(m.length for m in strips) if strips else (None,) * obs.reels,
        strip_counts=tuple({obs.alphabet[s]: c for s, c in sorted(m.counts.items())} for m in strips) if strips
        else ({},) * obs.reels,
        order_ambiguous=tuple(m.ambiguous for m in strips) if strips else (False,) * obs.reels,
        blockers=tuple(blockers))
