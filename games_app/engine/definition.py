"""Game definitions: parsing, validation, canonical form and content hash.

A definition is validated in two passes: the JSON Schema (``game_definition.schema.json``)
checks the shape, then :func:`GameDefinition.from_dict` checks the cross-field rules.
Either pass raises :class:`GameDefinitionError` naming the offending field path, e.g.
``paylines[3][2]: row index 3 out of range 0..2``.

All multipliers are kept as :class:`fractions.Fraction`; floats are rejected on input.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal
from fractions import Fraction
from functools import cached_property, partial
from operator import itemgetter
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

__all__ = [
    "GameDefinition",
    "GameDefinitionError",
    "SCHEMA_PATH",
    "DEMO_GAMES_DIR",
    "format_decimal",
    "load_definition",
    "load_demo_games",
]

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "game_definition.schema.json"
DEMO_GAMES_DIR = Path(__file__).resolve().parent.parent / "demo_games"
DEFAULT_ROWS = 3


class GameDefinitionError(ValueError):
    """Invalid game definition; ``field`` is the path of the bad value (``paylines[3][2]``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def format_decimal(value: Fraction | int, *, places: int = 18) -> str:
    """Render a non-negative rational as a plain decimal string.

    Exact when the expansion terminates within ``places`` digits; otherwise truncated (rounded
    down) to ``places`` digits. No exponent, no trailing zeros: ``Fraction(5, 2) -> "2.5"``.
    """
    if not isinstance(value, (Fraction, int)):
        value = Fraction(value)
    numerator, denominator = value.numerator, value.denominator  # an int's denominator is 1
    if numerator < 0:
        return "-" + format_decimal(-value, places=places)
    if denominator == 1:  # most spins' multipliers (0, whole pays): no scaling needed
        return str(numerator)
    scaled = numerator * 10**places // denominator
    whole, frac = divmod(scaled, 10**places)
    digits = str(frac).rjust(places, "0").rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)


def _multiplier_json(value: Fraction) -> int | str:
    return value.numerator if value.denominator == 1 else format_decimal(value)


def _money_str(value: Decimal) -> str:
    # normalize() in the default 28-digit context would round a 38-digit NUMERIC(38,18) bet.
    return format(value.normalize(Context(prec=80)), "f")


def _field_path(parts: Iterable[Any]) -> str:
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "<root>"


_VALIDATOR: jsonschema.protocols.Validator | None = None


def _schema_validator() -> jsonschema.protocols.Validator:
    global _VALIDATOR
    if _VALIDATOR is None:
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _VALIDATOR = cls(schema)
    return _VALIDATOR


def _schema_error(data: Any) -> GameDefinitionError | None:
    error = best_match(_schema_validator().iter_errors(data))
    if error is None:
        return None
    parts = list(error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        missing = [name for name in error.validator_value if name not in instance]
        return GameDefinitionError(_field_path(parts + missing[:1]), "is required")
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {})
        extra = sorted(name for name in instance if name not in known)
        return GameDefinitionError(_field_path(parts + extra[:1]), "unknown field")
    if "propertyNames" in error.relative_schema_path:
        return GameDefinitionError(_field_path(parts + [instance]), f"invalid key: {error.message}")
    return GameDefinitionError(_field_path(parts), error.message)


def _parse_pays(raw: Mapping[str, Any], path: str, *, max_count: int, what: str) -> dict[int, Fraction]:
    pays: dict[int, Fraction] = {}
    for key, raw_value in raw.items():
        count = int(key)
        if count > max_count:
            raise GameDefinitionError(f"{path}.{key}", f"count {count} exceeds {what} {max_count}")
        value = Fraction(raw_value) if isinstance(raw_value, int) else Fraction(str(raw_value))
        if value <= 0:
            raise GameDefinitionError(f"{path}.{key}", "multiplier must be positive")
        pays[count] = value
    return dict(sorted(pays.items()))


@dataclass(frozen=True, eq=False)
class GameDefinition:
    """A validated, immutable slot game definition. Build it with :meth:`from_dict`.

    Pay lookup rule (``pay``/``scatter_pay``): a run or scatter count of ``n`` pays the entry
    with the largest defined count ``<= n`` (so ``{"3": 5}`` also pays 5 for four or five).
    """

    slug: str
    name: str
    reels: tuple[tuple[str, ...], ...]
    rows: int
    paylines: tuple[tuple[int, ...], ...]
    paytable: Mapping[str, Mapping[int, Fraction]]
    min_bet: Decimal
    max_bet: Decimal
    wild: str | None = None
    scatter: str | None = None
    scatter_pays: Mapping[int, Fraction] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any) -> GameDefinition:
        """Validate ``data`` (parsed JSON) and return the definition.

        Raises :class:`GameDefinitionError` for the first problem found (schema, then semantics).
        """
        error = _schema_error(data)
        if error is not None:
            raise error
        reels = tuple(tuple(strip) for strip in data["reels"])
        n_reels = len(reels)
        rows = int(data.get("rows", DEFAULT_ROWS))
        on_strips = {symbol for strip in reels for symbol in strip}

        paylines = tuple(tuple(line) for line in data["paylines"])
        seen: dict[tuple[int, ...], int] = {}
        for i, line in enumerate(paylines):
            if len(line) != n_reels:
                raise GameDefinitionError(
                    f"paylines[{i}]", f"has {len(line)} entries, expected {n_reels} (one per reel)")
            for r, row in enumerate(line):
                if row >= rows:
                    raise GameDefinitionError(
                        f"paylines[{i}][{r}]", f"row index {row} out of range 0..{rows - 1}")
            if line in seen:
                raise GameDefinitionError(f"paylines[{i}]", f"duplicate of paylines[{seen[line]}]")
            seen[line] = i

        wild = data.get("wild")
        scatter = data.get("scatter")
        for name, symbol in (("wild", wild), ("scatter", scatter)):
            if symbol is not None and symbol not in on_strips:
                raise GameDefinitionError(name, f"symbol {symbol!r} does not appear on any reel strip")
        if scatter is not None and scatter == wild:
            raise GameDefinitionError("scatter", "must differ from the wild symbol")
        if scatter is not None and "scatter_pays" not in data:
            raise GameDefinitionError("scatter_pays", "is required when a scatter symbol is defined")
        if scatter is None and "scatter_pays" in data:
            raise GameDefinitionError("scatter_pays", "given but no scatter symbol is defined")
        scatter_pays = _parse_pays(data.get("scatter_pays", {}), "scatter_pays",
                                   max_count=rows * n_reels, what="window size")

        paytable: dict[str, Mapping[int, Fraction]] = {}
        for symbol in sorted(data["paytable"]):
            path = f"paytable.{symbol}"
            if symbol not in on_strips:
                raise GameDefinitionError(path, f"symbol {symbol!r} does not appear on any reel strip")
            if symbol == scatter:
                raise GameDefinitionError(path, "the scatter symbol pays through scatter_pays, not the paytable")
            pays = _parse_pays(data["paytable"][symbol], path, max_count=n_reels, what="reel count")
            paytable[symbol] = MappingProxyType(pays)
        if not paytable and not scatter_pays:
            raise GameDefinitionError("paytable", "the game has no paying combination")

        min_bet, max_bet = Decimal(data["min_bet"]), Decimal(data["max_bet"])
        if min_bet <= 0:
            raise GameDefinitionError("min_bet", "must be positive")
        if min_bet > max_bet:
            raise GameDefinitionError("min_bet", f"{data['min_bet']} exceeds max_bet {data['max_bet']}")

        return cls(
            slug=data["slug"], name=data["name"], reels=reels, rows=rows, paylines=paylines,
            paytable=MappingProxyType(paytable), min_bet=min_bet, max_bet=max_bet, wild=wild,
            scatter=scatter, scatter_pays=MappingProxyType(scatter_pays),
            description=data.get("description", ""),
        )

    # -- canonical form -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Canonical JSON-ready dict: defaults explicit, keys sorted, numbers normalised.

        ``GameDefinition.from_dict(d.to_dict())`` equals ``d``.
        """
        data: dict[str, Any] = {"slug": self.slug, "name": self.name}
        if self.description:
            data["description"] = self.description
        data["reels"] = [list(strip) for strip in self.reels]
        data["rows"] = self.rows
        data["paylines"] = [list(line) for line in self.paylines]
        data["paytable"] = {
            symbol: {str(count): _multiplier_json(value) for count, value in pays.items()}
            for symbol, pays in self.paytable.items()
        }
        if self.wild is not None:
            data["wild"] = self.wild
        if self.scatter is not None:
            data["scatter"] = self.scatter
            data["scatter_pays"] = {str(c): _multiplier_json(v) for c, v in self.scatter_pays.items()}
        data["min_bet"] = _money_str(self.min_bet)
        data["max_bet"] = _money_str(self.max_bet)
        return data

    def canonical_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @cached_property
    def _hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def content_hash(self) -> str:
        """sha256 hex of :meth:`canonical_json`; any change of the maths or metadata changes it."""
        return self._hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GameDefinition):
            return NotImplemented
        return self.content_hash() == other.content_hash()

    def __hash__(self) -> int:
        return hash(self.content_hash())

    # -- derived values -----------------------------------------------------------------------
    @property
    def n_reels(self) -> int:
        return len(self.reels)

    @property
    def n_lines(self) -> int:
        return len(self.paylines)

    @cached_property
    def symbols(self) -> tuple[str, ...]:
        """Every symbol on the strips, sorted; a symbol's index here is its id in numpy arrays."""
        return tuple(sorted({symbol for strip in self.reels for symbol in strip}))

    @property
    def total_combinations(self) -> int:
        """Number of equally likely stop combinations (product of strip lengths)."""
        total = 1
        for strip in self.reels:
            total *= len(strip)
        return total

    def pay(self, symbol: str, count: int) -> Fraction:
        """Line pay (multiple of the line bet) of ``count`` consecutive ``symbol``; 0 if none."""
        found = self._line_pays.get((symbol, count))
        return found if found is not None else _lookup(self.paytable.get(symbol), count)

    @cached_property
    def _line_pays(self) -> dict[tuple[str, int], Fraction]:
        # Every (symbol, run length) a line can show, looked up once: spins call pay() ~10 times each.
        return {(symbol, count): _lookup(pays, count)
                for symbol, pays in self.paytable.items() for count in range(self.n_reels + 1)}

    @cached_property
    def line_cells(self) -> tuple[Any, ...]:
        """Per payline, a C callable taking the window's cells flattened row-major (``row * n_reels + reel``)
        to the line's symbols as a tuple, reel 1 first."""
        n_reels = self.n_reels
        getters = []
        for line in self.paylines:
            indices = [row * n_reels + reel for reel, row in enumerate(line)]
            getters.append(itemgetter(*indices) if len(indices) > 1 else partial(_one_cell, indices[0]))
        return tuple(getters)

    @cached_property
    def line_results(self) -> dict[tuple[str, ...], Any]:
        """evaluate_line's answers by line symbols, filled as spins meet them (bounded by the caller)."""
        return {}

    def scatter_pay(self, count: int) -> Fraction:
        """Scatter pay (multiple of the TOTAL bet) for ``count`` scatters in the window."""
        return _lookup(self.scatter_pays, count)

    def window(self, stops: Iterable[int]) -> list[list[str]]:
        """Row-major window (rows x reels) for the given stop positions."""
        stops = list(stops)
        if len(stops) != self.n_reels:
            raise ValueError(f"expected {self.n_reels} stops, got {len(stops)}")
        return [[strip[(stop + row) % len(strip)] for strip, stop in zip(self.reels, stops)]
                for row in range(self.rows)]

    def columns(self, stops: list[int]) -> list[list[str]]:
        """Each reel's visible cells, top row first: :meth:`window`'s columns, for stops already checked to be
        within their strips (``0 <= stop < len(strip)``)."""
        rows = self.rows
        return [strip[stop:stop + rows] for strip, stop in zip(self._wrapped_reels, stops)]

    @cached_property
    def _wrapped_reels(self) -> tuple[list[str], ...]:
        # Each strip followed by its first rows - 1 symbols again: a reel's window is one slice, no modulo.
        return tuple(list(strip) + [strip[row % len(strip)] for row in range(self.rows - 1)] for strip in self.reels)


_ZERO = Fraction(0)


def _one_cell(index: int, cells: list[str]) -> tuple[str]:
    return (cells[index],)


def _lookup(pays: Mapping[int, Fraction] | None, count: int) -> Fraction:
    best = _ZERO
    for defined, value in (pays or {}).items():
        if defined <= count:
            best = value  # pays are sorted by count, so the last qualifying entry wins
    return best


def load_definition(path: str | Path) -> GameDefinition:
    """Read and validate one JSON definition file."""
    with open(path, encoding="utf-8") as handle:
        try:
            data = json.load(handle)
        except json.JSONDecodeError as exc:
            raise GameDefinitionError("<root>", f"invalid JSON: {exc}") from exc
    return GameDefinition.from_dict(data)


def load_demo_games() -> dict[str, GameDefinition]:
    """All definitions in ``games_app/demo_games``, keyed by slug."""
    games = {}
    for path in sorted(DEMO_GAMES_DIR.glob("*.json")):
        definition = load_definition(path)
        games[definition.slug] = definition
    return games
