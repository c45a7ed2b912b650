"""From fitted label values to paytable entries, what they pin down, and exact RTP algebra."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import prod

from .lines import LabelSpace

__all__ = ["PayKnowledge", "derive_pays", "scatter_distribution", "triples"]


@dataclass
class PayKnowledge:
    """``pinned[(symbol, count)]`` = a paytable value the data fix; ``upper`` = known bounds;
    ``ambiguous`` = observed ``max(pay(t, c), pay(wild, w)) = f`` with neither side known."""

    pinned: dict[tuple[int, int], Fraction] = field(default_factory=dict)
    upper: dict[tuple[int, int], Fraction] = field(default_factory=dict)
    ambiguous: list[tuple[int, int, int, Fraction]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def pin(self, key: tuple[int, int], value: Fraction) -> bool:
        old = self.pinned.get(key)
        if old is None:
            self.pinned[key] = value
            return True
        if old != value:
            self.conflicts.append(f"pay{key} observed as both {old} and {value}")
        return False

    def bound(self, key: tuple[int, int], value: Fraction) -> None:
        self.upper[key] = min(self.upper.get(key, value), value)


def derive_pays(*, space: LabelSpace, values: dict[int, Fraction], wild: int) -> PayKnowledge:
    """Pin paytable entries from observed label values ``f(t, c, w) = max(pay(t,c), pay(W,w))``."""
    know = PayKnowledge()
    pending = []
    for code, f in values.items():
        t, c, w = space.decode(code)
        if t == space.none:
            if w >= 1:
                know.pin((wild, w), f)
        elif w == 0:
            know.pin((t, c), f)
        else:
            pending.append((t, c, w, f))
    changed = True
    while changed:
        changed = False
        rest = []
        for t, c, w, f in pending:
            a, b = know.pinned.get((t, c)), know.pinned.get((wild, w))
            if f == 0:
                changed |= know.pin((t, c), f) | know.pin((wild, w), f)
            elif a is not None and b is not None:
                if max(a, b) != f:
                    know.conflicts.append(f"max(pay{(t, c)}, wild pay {w}) = {max(a, b)} but {f} observed")
            elif a is not None:
                if a < f:
                    changed |= know.pin((wild, w), f)
                elif a == f:
                    know.bound((wild, w), f)
                else:
                    know.conflicts.append(f"pay{(t, c)} = {a} exceeds an observed line value {f}")
            elif b is not None:
                if b < f:
                    changed |= know.pin((t, c), f)
                elif b == f:
                    know.bound((t, c), f)
                else:
                    know.conflicts.append(f"wild pay {w} = {b} exceeds an observed line value {f}")
            else:
                rest.append((t, c, w, f))
        pending = rest
    know.ambiguous = pending
    return know


def line_value(know: PayKnowledge, values: dict[int, Fraction], space: LabelSpace, wild: int,
               t: int, c: int, w: int) -> Fraction | None:
    """The pay of label (t, c, w) if the data determine it, else None."""
    code = space.encode(t, c, w)
    if code in values:
        return values[code]
    if t == space.none:
        return know.pinned.get((wild, w)) if w >= 1 else Fraction(0)
    a = know.pinned.get((t, c))
    if w == 0:
        return a
    b = know.pinned.get((wild, w))
    if a is not None and b is not None:
        return max(a, b)
    if a is not None and (wild, w) in know.upper and know.upper[(wild, w)] <= a:
        return a
    if b is not None and (t, c) in know.upper and know.upper[(t, c)] <= b:
        return b
    return None


def triples(*, q: list[list[Fraction]], wild: int, scatter: int, none: int):
    """Every line label with positive probability under per-reel cell probabilities ``q[r][s]``:
    yields ``(t, c, w, probability)`` (reels independent; one cell per reel on a line)."""
    n_reels = len(q)
    n_symbols = len(q[0])
    line_symbols = [s for s in range(n_symbols) if s not in (wild, scatter)]

    def qw(r: int) -> Fraction:
        return q[r][wild] if wild >= 0 else Fraction(0)

    max_w = n_reels if wild >= 0 else 0
    for w in range(0, max_w + 1):
        lead = prod((qw(r) for r in range(w)), start=Fraction(1))
        if lead == 0:
            break
        if w == n_reels:
            yield none, w, w, lead
            break
        if scatter >= 0 and q[w][scatter] > 0:
            yield none, w, w, lead * q[w][scatter]
        for t in line_symbols:
            head = lead * q[w][t]
            if head == 0:
                continue
            run = head
            for c in range(w + 1, n_reels + 1):
                if c < n_reels:
                    breaker = 1 - q[c][t] - qw(c)
                    if breaker > 0:
                        yield t, c, w, run * breaker
                    run = run * (q[c][t] + qw(c))
                    if run == 0:
                        break
                else:
                    yield t, c, w, run


def scatter_distribution(per_reel: list[dict[int, Fraction]]) -> dict[int, Fraction]:
    """Distribution of the window's scatter count from per-reel count distributions."""
    dist = {0: Fraction(1)}
    for reel in per_reel:
        nxt: dict[int, Fraction] = {}
        for a, pa in dist.items():
            for b, pb in reel.items():
                if pb:
                    nxt[a + b] = nxt.get(a + b, Fraction(0)) + pa * pb
        dist = nxt
    return dist
