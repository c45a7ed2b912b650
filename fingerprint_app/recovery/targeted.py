"""Targeted probes: pin the pays that uniform sampling leaves unobserved by choosing the draws.

A pay that never occurred is not in a uniform sample (classic-medium's 7 scatters come about once
in 350,000 spins), so passive recovery stops at ``partial``. ``SlotEngine.spin(rng)`` takes its
randomness from the prober, though, and an engine that turns one ``rng.randbelow(n)`` per reel
into that reel's stop can be *steered* — what certification labs call forced-outcome testing:

1. **Scan.** Spin with every reel's draw set to ``v`` for ``v = 0 .. max(n) - 1``: the window
   column each draw value produces on each reel (``n`` <= 256 per reel, or no scan).
2. **Check.** A few spins with random mixed draws must show exactly the columns the scan
   predicts (each reel follows its own draw, deterministically); otherwise the engine is not
   steerable this way and nothing is claimed.
3. **Tell paylines apart.** A chosen payline whose sibling paid the same on every uniform spin:
   spin a window where the two pay differently and keep the one the payout agrees with.
4. **Target.** For every line label / scatter count whose pay is unknown, build from scanned
   columns a window in which that is the *only* unknown (on some payline), spin it, and add the
   (window, payout) pair as a targeted observation: one more linear equation for the pay fit.
5. **Re-fit and replay.** :func:`recover_model` runs again with the uniform spins as the sample
   (strip statistics come from them only), the known paylines, and the targeted spins as extra
   equations; an ``exact`` answer must also replay every scan and check spin. A lying engine
   therefore still ends ``partial``.
6. **Strip order** is read from the scan where the uniform spins left it ambiguous.

Remote engines take part through the optional scripted-draws contract
(:class:`games_app.engine.interface.ScriptedDraws`). Engines that draw raw bytes (the A2A slots),
refuse scripted draws or draw per cell cannot be steered: the result stays what uniform sampling
gives, with the unobserved pays named.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np

from games_app.engine.definition import GameDefinition
from games_app.engine.interface import DrawsNotScriptable, EngineError, ScriptedDraws
from games_app.engine.par_sheet import compute_par_sheet

from . import recover_model
from .lines import LabelSpace, candidate_lines, line_labels
from .model import replays_exactly
from .types import Blocker, RecoveredModel, RecoveryResult, RecoveryStatus, Structure

__all__ = ["ScriptedDraws", "TargetedOutcome", "complete_with_targeted_probes", "targeted_probes_can_finish"]

SCAN_LIMIT = 256
CHECK_SPINS = 3
MAX_ROUNDS = 3
MAX_SPINS = 400
TRIES_PER_TARGET = 3000


class NotSteerable(Exception):
    """The engine cannot be steered: it asked for raw bytes, refused scripted draws, or does not
    follow them."""


class _BudgetSpent(Exception):
    pass


@dataclass
class TargetedOutcome:
    result: RecoveryResult
    spins: int = 0                                   # engine spins the targeted stage used
    observations: list = field(default_factory=list)  # every targeted (window, multiplier)
    equations: list = field(default_factory=list)     # those that entered the fit
    steerable: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class _Context:
    alphabet: tuple[str, ...]
    index: dict[str, int]
    rows: int
    reels: int
    wild: int
    scatter: int
    space: LabelSpace
    cands: np.ndarray
    position: dict[tuple[int, ...], int]   # row pattern -> its index in ``cands``
    line_ids: list[int]            # positions of the fitted paylines in ``cands``
    paylines: list[list[int]]
    missing_labels: dict[int, tuple[int, int, int]]   # label code -> label
    missing_scatter: dict[int, int]
    fitted_labels: set[int]        # labels the least-squares fit already has a column for
    fitted_scatter: set[int]
    label_values: dict[int, Fraction]
    scatter_values: dict[int, Fraction]
    ambiguous: list[tuple[tuple[int, ...], tuple[int, ...]]]   # (chosen payline, sibling no spin told apart)


def complete_with_targeted_probes(*, observations: Sequence, engine, result: RecoveryResult | None = None,
                                  max_spins: int = MAX_SPINS, seed: int = 0) -> TargetedOutcome:
    """Finish a recovery that only lacks unobserved pays by steering ``engine`` (see the module
    docstring). ``observations`` are the uniform spins; ``result`` their recovery, if known.
    Never spins the engine more than ``max_spins`` times. Returns the (possibly exact) result,
    the targeted spins it took and, in ``equations``, those that entered the fit."""
    observations = list(observations)
    result = result if result is not None else recover_model(observations=observations)
    outcome = TargetedOutcome(result=result)
    if not targeted_probes_can_finish(result):
        return outcome
    ctx = _context(result.model)
    if ctx is None:
        outcome.notes.append("targeted probes skipped: the partial model names no payline set")
        return outcome
    needed = _spins_needed(result.model, ctx)
    if needed > max_spins:
        outcome.notes.append(f"targeted probes not run: they need about {needed} spins, {max_spins} allowed")
        return _done(outcome, result, [])
    prober = _Prober(engine, max_spins)
    try:
        table = _scan(prober.spin, ctx)
    except NotSteerable as exc:
        outcome.notes.append(f"targeted probes impossible: {exc}; unobserved pays stay unidentified")
        return _done(outcome, result, prober.spent)
    except _BudgetSpent:
        outcome.notes.append(f"targeted probes stopped: the scan needs more than {max_spins} spins")
        return _done(outcome, result, prober.spent)
    outcome.steerable = True
    state = _Rounds(observations=observations, structure=result.model.structure, table=table, ctx=ctx,
                    rng=np.random.default_rng(seed),
                    clean=[pair for pair in prober.spent if _is_clean(_ids(pair[0], ctx), ctx, target=None)])
    for _ in range(MAX_ROUNDS):
        finished, result = _round(state, prober, outcome, result)
        if finished:
            break
    if result.status == RecoveryStatus.EXACT:
        result = _replay_all(result, prober.spent)
    if result.status == RecoveryStatus.EXACT:
        result = _order_from_scan(result, table, state.ctx)
    return _done(outcome, result, prober.spent)


class _Prober:
    """Spins ``engine`` with scripted draws, at most ``max_spins`` times; keeps every spin."""

    def __init__(self, engine, max_spins: int) -> None:
        self.engine, self.max_spins = engine, max_spins
        self.spent: list[tuple[list[list[str]], Fraction]] = []

    def spin(self, values: Sequence[int]) -> tuple[list[list[str]], Fraction, list[int]]:
        if len(self.spent) >= self.max_spins:
            raise _BudgetSpent
        draws = ScriptedDraws(values)
        try:
            out = self.engine.spin(draws)
        except DrawsNotScriptable as exc:  # raw bytes, or a remote engine without scripted draws
            raise NotSteerable(str(exc)) from exc
        except (AttributeError, TypeError) as exc:  # randomness outside the RandomSource protocol
            raise NotSteerable(f"the engine asked for randomness scripted draws do not provide ({exc})") from exc
        except EngineError as exc:
            raise NotSteerable(f"the engine failed under scripted draws ({exc})") from exc
        window = [list(row) for row in out.window]
        self.spent.append((window, out.total_multiplier))
        return window, out.total_multiplier, draws.calls


@dataclass
class _Rounds:
    """What the rounds of targeted spins share: the scan, the current context and structure, and
    the clean (window, payout) equations gathered so far."""

    observations: list
    structure: Structure
    table: "_Table"
    ctx: _Context
    rng: np.random.Generator
    clean: list
    targeted_ok: set = field(default_factory=set)


def _round(state: _Rounds, prober: _Prober, outcome: TargetedOutcome, result: RecoveryResult
           ) -> tuple[bool, RecoveryResult]:
    """One round: tell ambiguous paylines apart, spin one window per unknown pay, refit.
    Returns ``(finished, result)``."""
    before, out_of_spins = len(state.clean), False
    try:
        if not _spin_targets(state, prober, outcome):
            return True, result
    except _BudgetSpent:
        outcome.notes.append(f"targeted probes stopped at the limit of {prober.max_spins} spins")
        out_of_spins = True
    except NotSteerable as exc:
        outcome.notes.append(f"targeted probes stopped: {exc}")
        return True, result
    if len(state.clean) == before:
        return True, result  # nothing new to fit
    outcome.equations = state.clean
    result = recover_model(observations=state.observations, targeted=state.clean, structure=state.structure)
    if out_of_spins or result.status == RecoveryStatus.EXACT or not targeted_probes_can_finish(result):
        return True, result
    new = _context(result.model)
    if new is None:
        return True, result
    state.ctx = new
    return False, result


def _spin_targets(state: _Rounds, prober: _Prober, outcome: TargetedOutcome) -> bool:
    """The spins of one round; False when the engine contradicted the scan (stop everything)."""
    ctx = state.ctx
    for line, alt in ctx.ambiguous:
        verdict = _tell_apart(state, line, alt, prober.spin)
        if verdict is None:
            outcome.notes.append(f"no scanned window tells payline {list(line)} from {list(alt)} apart")
        elif verdict == "inconsistent":
            outcome.notes.append(f"a spin telling payline {list(line)} from {list(alt)} apart fits neither")
            return False
        else:
            state.clean.append(verdict)
    pending = [("line", code) for code in ctx.missing_labels if ("line", code) not in state.targeted_ok] + \
              [("scatter", k) for k in ctx.missing_scatter if ("scatter", k) not in state.targeted_ok]
    for kind, key in pending:
        values = _find_window(state.rng, state.table, ctx, kind, key)
        state.targeted_ok.add((kind, key))
        if values is None:
            outcome.notes.append(f"no window isolates {_describe(kind, key, ctx)} on the scanned columns")
            continue
        window, multiplier, _ = prober.spin(values)
        if window != _predict(state.table, values, ctx):
            outcome.notes.append("the engine did not show the scanned columns for a scripted draw: stopped")
            return False
        state.clean.append((window, multiplier))
    return True


def _done(outcome: TargetedOutcome, result: RecoveryResult, spent: list) -> TargetedOutcome:
    outcome.result, outcome.spins, outcome.observations = result, len(spent), spent
    result.details["targeted_probe_spins"] = len(spent)
    result.notes = [*result.notes, *(n for n in outcome.notes if n not in result.notes)]
    return outcome


FINISHABLE = frozenset({Blocker.UNIDENTIFIED_PAYS, Blocker.PAYLINES_AMBIGUOUS})


def targeted_probes_can_finish(result: RecoveryResult) -> bool:
    """When targeted probes run: the result is partial only for reasons targeted spins can settle
    (unknown pays, paylines no uniform spin told apart); strips, wild, scatter and every other
    pay are already exact."""
    model = result.model
    return (result.status == RecoveryStatus.PARTIAL and model is not None and model.paylines != ()
            and bool(model.blockers) and set(model.blockers) <= FINISHABLE)


def _tell_apart(state: _Rounds, line, alt, spin):
    """Spin a window on which payline ``line`` and its sibling ``alt`` pay differently (every label
    known), and keep in ``state.structure`` whichever the payout agrees with. Returns the (window,
    multiplier) pair, ``"inconsistent"`` if the payout fits neither, ``None`` if no window found."""
    rng, table, ctx = state.rng, state.table, state.ctx
    lines = list(state.structure.paylines)
    if tuple(line) not in lines:
        return None
    swapped = [tuple(alt) if x == tuple(line) else x for x in lines]
    informative = [code for code, value in ctx.label_values.items() if value > 0]
    if not informative:
        return None
    for _ in range(TRIES_PER_TARGET):
        code = informative[int(rng.integers(0, len(informative)))]
        values = _line_draws(rng, table, ctx, code, line=line if rng.random() < 0.5 else alt)
        if values is None:
            continue
        ids = _window_ids(table, values, ctx)
        with_line, with_alt = _payout(ids, ctx, lines), _payout(ids, ctx, swapped)
        if with_line is None or with_alt is None or with_line == with_alt:
            continue
        window, multiplier, _ = spin(values)
        if window != _predict(table, values, ctx):
            return "inconsistent"
        if multiplier == with_alt:
            state.structure = replace(state.structure, paylines=tuple(sorted(swapped)))
        elif multiplier != with_line:
            return "inconsistent"
        return window, multiplier
    return None


def _payout(ids: np.ndarray, ctx: _Context, lines: list[tuple[int, ...]]) -> Fraction | None:
    """The window's multiplier under payline set ``lines`` with the fitted values; None when it
    shows a label or scatter count without one."""
    codes = line_labels(ids[None].astype(np.int16), ctx.cands, ctx.space, ctx.wild, ctx.scatter)[0]
    total = Fraction(0)
    for line in lines:
        code = int(codes[ctx.position[tuple(line)]])
        if code not in ctx.label_values:
            return None
        total += ctx.label_values[code] / len(lines)
    if ctx.scatter >= 0:
        count = int((ids == ctx.scatter).sum())
        if count and count not in ctx.scatter_values:
            return None
        total += ctx.scatter_values.get(count, Fraction(0))
    return total


def _spins_needed(model: RecoveredModel, ctx: _Context) -> int:
    """The scan (longest recovered strip), the checks and one spin per unknown: spending fewer
    would pay for a scan that cannot finish."""
    longest = max((length or 0 for length in model.strip_lengths), default=0)
    return longest + CHECK_SPINS + len(ctx.missing_labels) + len(ctx.missing_scatter) + len(ctx.ambiguous)


# -- scan ----------------------------------------------------------------------------------------
@dataclass
class _Table:
    lengths: list[int]
    columns: list[list[tuple[int, ...]]]   # per reel, per draw value: the column's symbol ids


def _scan(spin, ctx: _Context) -> _Table:
    window, _, calls = spin([])
    if len(calls) != ctx.reels:
        raise NotSteerable(f"the engine made {len(calls)} draws for {ctx.reels} reels")
    if max(calls) > SCAN_LIMIT:
        raise NotSteerable(f"a draw over {max(calls)} values is too wide to scan")
    lengths = list(calls)
    columns: list[list[tuple[int, ...] | None]] = [[None] * n for n in lengths]
    for v in range(max(lengths)):
        window, _, calls = spin([v] * ctx.reels) if v else (window, None, calls)
        if calls != lengths:
            raise NotSteerable("the number or range of draws changed between spins")
        ids = _ids(window, ctx)
        if ids is None:
            raise NotSteerable("a scanned window shows a symbol the uniform spins never showed")
        for r, n in enumerate(lengths):
            column = tuple(int(s) for s in ids[:, r])
            if v < n:
                columns[r][v] = column
            elif columns[r][v % n] != column:
                raise NotSteerable(f"reel {r + 1} shows different columns for the same draw")
    table = _Table(lengths, columns)
    rng = np.random.default_rng(12345)
    for _ in range(CHECK_SPINS):
        values = [int(rng.integers(0, n)) for n in lengths]
        window, _, _ = spin(values)
        if window != _predict(table, values, ctx):
            raise NotSteerable("each reel does not follow its own draw deterministically")
    return table


def _window_ids(table: _Table, values: Sequence[int], ctx: _Context) -> np.ndarray:
    """The window (symbol ids, rows x reels) the scan says these draws show."""
    return np.array([[table.columns[r][values[r] % table.lengths[r]][row] for r in range(ctx.reels)]
                     for row in range(ctx.rows)])


def _predict(table: _Table, values: Sequence[int], ctx: _Context) -> list[list[str]]:
    return [[ctx.alphabet[s] for s in row] for row in _window_ids(table, values, ctx).tolist()]


# -- window search -------------------------------------------------------------------------------
def _find_window(rng, table: _Table, ctx: _Context, kind: str, key: int) -> list[int] | None:
    for _ in range(TRIES_PER_TARGET):
        values = _line_draws(rng, table, ctx, key) if kind == "line" else _scatter_draws(rng, table, ctx, key)
        if values is None:  # this payline (or this random split of the scatter count) cannot show it
            continue
        ids = _window_ids(table, values, ctx)
        if _is_clean(ids, ctx, target=(kind, key)):
            return values
    return None


def _line_draws(rng, table: _Table, ctx: _Context, code: int, line=None) -> list[int] | None:
    """Draws that put label ``code`` on ``line`` (default: a random payline; other reels random)."""
    t, c, w = ctx.space.decode(code)
    line = line if line is not None else ctx.paylines[int(rng.integers(0, len(ctx.paylines)))]
    values = []
    for r in range(ctx.reels):
        if r < w:
            ok = lambda s: s == ctx.wild  # noqa: E731
        elif t == ctx.space.none:
            ok = (lambda s: s == ctx.scatter) if r == w else None
        elif r < c:
            ok = lambda s: s == t  # noqa: E731
        elif r == c:
            ok = lambda s: s not in (t, ctx.wild)  # noqa: E731
        else:
            ok = None
        options = [v for v, col in enumerate(table.columns[r]) if ok is None or ok(col[line[r]])]
        if not options:
            return None
        values.append(int(rng.choice(options)))
    return values


def _scatter_draws(rng, table: _Table, ctx: _Context, k: int) -> list[int] | None:
    """Draws whose columns hold exactly ``k`` scatters in total."""
    by_count = []
    for r in range(ctx.reels):
        groups: dict[int, list[int]] = {}
        for v, col in enumerate(table.columns[r]):
            groups.setdefault(sum(1 for s in col if s == ctx.scatter), []).append(v)
        by_count.append(groups)
    high = [max(g) for g in by_count]
    low = [min(g) for g in by_count]
    values, left = [], k
    for r in range(ctx.reels):
        rest_high, rest_low = sum(high[r + 1:]), sum(low[r + 1:])
        fits = [n for n in by_count[r] if rest_low <= left - n <= rest_high]
        if not fits:
            return None
        n = int(rng.choice(fits))
        values.append(int(rng.choice(by_count[r][n])))
        left -= n
    return values


def _is_clean(ids: np.ndarray | None, ctx: _Context, *, target) -> bool:
    """The window shows no unknown pay except ``target`` (which it must show)."""
    if ids is None:
        return False
    codes = set(line_labels(ids[None].astype(np.int16), ctx.cands, ctx.space, ctx.wild, ctx.scatter)[0, ctx.line_ids]
                .tolist())
    scatters = int((ids == ctx.scatter).sum()) if ctx.scatter >= 0 else 0
    # a label the uniform spins never showed is a fresh unknown of the fit even when its pay
    # follows from others (max(pay(t, c), pay(wild, w))): it must not share the window
    unknown_lines = codes - ctx.fitted_labels
    unknown_scatter = {scatters} - ctx.fitted_scatter - {0}
    if target is None:
        return not unknown_lines and not unknown_scatter
    kind, key = target
    if kind == "line":
        return unknown_lines == {key} and not unknown_scatter
    return unknown_scatter == {key} and not unknown_lines


# -- helpers -------------------------------------------------------------------------------------
def _context(model: RecoveredModel | None) -> _Context | None:
    if model is None or not model.paylines:
        return None
    index = {name: i for i, name in enumerate(model.alphabet)}
    space = LabelSpace(len(model.alphabet), model.reels)
    cands = candidate_lines(model.rows, model.reels)
    position = {tuple(int(v) for v in line): i for i, line in enumerate(cands.tolist())}
    return _Context(model.alphabet, index, model.rows, model.reels,
                    index[model.wild] if model.wild else -1, index[model.scatter] if model.scatter else -1,
                    space, cands, position, [position[line] for line in model.paylines],
                    [list(line) for line in model.paylines],
                    {space.encode(*label): label for label in model.unknown_labels},
                    {k: k for k in model.unknown_scatter_counts},
                    {space.encode(*label) for label in model.fitted_labels}, set(model.scatter_values),
                    {space.encode(*label): value for label, value in model.label_values.items()},
                    dict(model.scatter_values), list(model.ambiguous_paylines))


def _ids(window: list[list[str]], ctx: _Context) -> np.ndarray | None:
    try:
        ids = np.array([[ctx.index[s] for s in row] for row in window], dtype=np.int64)
    except (KeyError, TypeError):
        return None
    return ids if ids.shape == (ctx.rows, ctx.reels) else None


def _describe(kind: str, key: int, ctx: _Context) -> str:
    if kind == "scatter":
        return f"the pay of {key} scatters"
    t, c, w = ctx.space.decode(key)
    head = "wilds only" if t == ctx.space.none else ctx.alphabet[t]
    return f"the line label ({head}, run {c}, {w} leading wilds)"


def _order_from_scan(result: RecoveryResult, table: _Table, ctx: _Context) -> RecoveryResult:
    """Where the uniform spins leave the strip order open, the scan shows it: if every reel's
    scanned columns are the consecutive windows of one cyclic strip (draw value = stop) with the
    recovered symbol counts, the definition takes that order (its PAR sheet cannot change: it
    depends on the k-mer counts only, and is recomputed to prove it)."""
    model = result.model
    if model is None or not any(model.order_ambiguous):
        return result
    strips = []
    for r, n in enumerate(table.lengths):
        strip = [table.columns[r][v][0] for v in range(n)]
        consecutive = all(table.columns[r][v][row] == strip[(v + row) % n]
                          for v in range(n) for row in range(ctx.rows))
        names = [ctx.alphabet[s] for s in strip]
        if not consecutive or r >= model.reels or dict(Counter(names)) != model.strip_counts[r]:
            return result
        strips.append(names)
    definition = dict(result.definition, reels=strips)
    sheet = compute_par_sheet(GameDefinition.from_dict(definition))
    if sheet.rtp != result.rtp:
        return result
    details = dict(result.details, reels=[dict(reel, order=strip, order_ambiguous=False, order_source="scan")
                                          for reel, strip in zip(result.details.get("reels") or [], strips)])
    notes = [n for n in result.notes if not n.startswith("strip order ambiguous")]
    notes.append("strip order read from the scan of scripted draws (the uniform spins left it ambiguous)")
    return RecoveryResult(status=RecoveryStatus.EXACT, definition=GameDefinition.from_dict(definition).to_dict(),
                          par=sheet.to_dict(), rtp=sheet.rtp, notes=notes, details=details,
                          model=replace(model, order_ambiguous=(False,) * model.reels))


def _replay_all(result: RecoveryResult, spent: list) -> RecoveryResult:
    """An exact answer must also reproduce the scan and check spins (not all of them entered the
    fit: some showed several unknowns at once)."""
    if replays_exactly(definition=result.definition, observations=spent):
        return result
    blockers = (Blocker.TARGETED_REPLAY_MISMATCH,)
    details = dict(result.details, best_model_definition=result.definition, blockers=list(blockers))
    notes = [*result.notes, "some targeted spins are not reproduced by the model: not exact"]
    model = replace(result.model, blockers=blockers) if result.model is not None else None
    return RecoveryResult(status=RecoveryStatus.PARTIAL, notes=notes, details=details, model=model)
