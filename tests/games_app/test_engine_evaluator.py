"""Scalar evaluator rules, SpinOutcome serialisation and the engine interface."""
import hashlib
import hmac
import json
import threading
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from core.rng import FairRNG
from games_app.engine.definition import GameDefinition, load_demo_games
from games_app.engine.evaluator import LineWin, SpinOutcome, evaluate_spin, evaluate_window
from games_app.engine.interface import (
    EngineError,
    LocalSlotEngine,
    RemoteSlotEngine,
    SlotEngine,
    spin_from_seed,
)
from tests.games_app import small_game

STRIP = ["A", "B", "C", "W", "S"]


@pytest.fixture(scope="module")
def game() -> GameDefinition:
    return GameDefinition.from_dict({
        "slug": "rules", "name": "Rules",
        "reels": [STRIP] * 5, "rows": 3,
        "paylines": [[0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [2, 2, 2, 2, 2]],
        "paytable": {"A": {"3": 5, "4": 10, "5": 50}, "B": {"3": 2, "4": 4, "5": 20},
                     "W": {"2": 1, "3": 20, "5": 100}},
        "wild": "W", "scatter": "S", "scatter_pays": {"3": 2, "4": "10.5"},
        "min_bet": "1", "max_bet": "10",
    })


def middle(*symbols: str) -> list[list[str]]:
    """Window whose middle row (payline 1) is ``symbols``; other rows never pay."""
    return [["C"] * 5, list(symbols), ["C"] * 5]


@pytest.mark.parametrize(("line", "expected"), [
    (("A", "B", "A", "B", "A"), None),
    (("A", "A", "A", "C", "C"), ("A", 3, 5)),
    (("A", "W", "A", "B", "C"), ("A", 3, 5)),                 # wild substitutes
    (("W", "W", "A", "A", "A"), ("A", 5, 50)),                # leading wilds join the symbol's run
    (("W", "W", "W", "B", "C"), ("W", 3, 20)),                # wild run pays more than B x4
    (("W", "W", "W", "B", "B"), ("B", 5, 20)),                # tie: the substituted symbol is reported
    (("W", "W", "W", "W", "W"), ("W", 5, 100)),               # wild-only line
    (("W", "W", "S", "A", "A"), ("W", 2, 1)),                 # wilds then scatter: wild run only
    (("S", "A", "A", "A", "A"), None),                        # scatter first: no line
    (("A", "A", "S", "A", "A"), None),                        # scatter breaks the run at 2
    (("C", "C", "C", "C", "C"), None),                        # symbol without pays
    (("B", "B", "B", "B", "A"), ("B", 4, 4)),
])
def test_evaluator_line_rules(game, line, expected):
    outcome = evaluate_window(game, middle(*line))
    if expected is None:
        assert outcome.line_wins == []
        assert outcome.total_multiplier == outcome.scatter_win
    else:
        symbol, count, pay = expected
        assert outcome.line_wins == [LineWin(1, symbol, count, Fraction(pay))]
        assert outcome.total_multiplier == Fraction(pay, 3) + outcome.scatter_win


def test_evaluator_scatter_pays_anywhere_times_total_bet(game):
    window = [["S", "C", "C", "C", "C"], ["C", "C", "C", "C", "S"], ["C", "C", "C", "S", "C"]]
    outcome = evaluate_window(game, window)
    assert outcome.line_wins == []
    assert outcome.scatter_win == 2
    assert outcome.total_multiplier == 2
    window[0][2] = "S"
    assert evaluate_window(game, window).scatter_win == Fraction(21, 2)


def test_evaluator_sums_several_lines_over_line_count(game):
    window = [["A"] * 5, ["B", "B", "B", "C", "C"], ["W"] * 5]
    outcome = evaluate_window(game, window)
    assert outcome.line_wins == [LineWin(0, "A", 5, Fraction(50)), LineWin(1, "B", 3, Fraction(2)),
                                 LineWin(2, "W", 5, Fraction(100))]
    assert outcome.scatter_win == 0
    assert outcome.total_multiplier == Fraction(50 + 2 + 100, 3)


def test_evaluator_without_wild_reads_symbols_literally():
    data = small_game()
    del data["wild"]
    data["paytable"].pop("W")
    definition = GameDefinition.from_dict(data)
    outcome = evaluate_window(definition, [["W", "W", "A", "C", "C"], ["A", "A", "A", "W", "B"], ["B", "C"] * 2 + ["B"]])
    assert outcome.line_wins == [LineWin(0, "A", 3, Fraction(2))]


def test_evaluate_spin_uses_stops_and_rejects_out_of_range():
    definition = GameDefinition.from_dict(small_game())
    outcome = evaluate_spin(definition, [6, 5, 0, 0, 6])
    assert outcome.window == definition.window([6, 5, 0, 0, 6])
    assert outcome.stops == [6, 5, 0, 0, 6]
    with pytest.raises(ValueError):
        evaluate_spin(definition, [7, 0, 0, 0, 0])


def test_spin_outcome_to_dict_uses_exact_decimal_strings(game):
    outcome = evaluate_window(game, middle("A", "A", "A", "C", "C"), stops=[0, 1, 2, 3, 4])
    data = outcome.to_dict()
    assert data == {
        "window": middle("A", "A", "A", "C", "C"),
        "line_wins": [{"line": 1, "symbol": "A", "count": 3, "multiplier": "5"}],
        "scatter_win": "0",
        "total_multiplier": "1.666666666666666666",  # 5/3 does not terminate: truncated
        "stops": [0, 1, 2, 3, 4],
    }
    assert json.loads(json.dumps(data)) == data


def test_spin_outcome_from_dict_round_trips_terminating_values():
    definition = load_demo_games()["classic-medium"]  # 20 lines: every total terminates
    for stops in ([0, 0, 0, 0, 0], [1, 2, 3, 4, 5], [6, 5, 6, 5, 6], [40, 30, 20, 10, 0]):
        outcome = evaluate_spin(definition, stops)
        assert SpinOutcome.from_dict(json.loads(json.dumps(outcome.to_dict()))) == outcome
    no_stops = evaluate_spin(definition, [1, 1, 1, 1, 1]).to_dict()
    del no_stops["stops"]
    assert SpinOutcome.from_dict(no_stops).stops is None


def test_spin_outcome_from_dict_accepts_exact_fraction_strings():
    data = {"window": [["A"]], "line_wins": [{"line": 0, "symbol": "A", "count": 1, "multiplier": "5"}],
            "scatter_win": "0", "total_multiplier": "17/12"}
    assert SpinOutcome.from_dict(data).total_multiplier == Fraction(17, 12)


@pytest.mark.parametrize("broken", [
    {"window": [], "line_wins": [], "scatter_win": "0", "total_multiplier": "0"},
    {"window": [["A", "B"], ["A"]], "line_wins": [], "scatter_win": "0", "total_multiplier": "0"},
    {"window": [["A"]], "line_wins": [{"line": 0}], "scatter_win": "0", "total_multiplier": "0"},
    {"window": [["A"]], "line_wins": [], "scatter_win": 0.5, "total_multiplier": "0"},
    {"window": [["A"]], "line_wins": [], "scatter_win": "1e3", "total_multiplier": "0"},
    {"window": [["A"]], "line_wins": [], "scatter_win": "nan", "total_multiplier": "0"},
    {"window": [["A"]], "line_wins": [], "scatter_win": "0", "total_multiplier": "-1"},
    {"window": [["A"]], "line_wins": [], "scatter_win": "0"},
    {"window": [["A"]], "line_wins": [], "scatter_win": "0", "total_multiplier": "0", "stops": ["x"]},
    ["not", "an", "object"],
])
def test_spin_outcome_from_dict_rejects_malformed_input(broken):
    with pytest.raises(ValueError):
        SpinOutcome.from_dict(broken)


class ScriptedRNG:
    def __init__(self, values):
        self.values, self.calls = list(values), []

    def randbelow(self, n):
        self.calls.append(n)
        return self.values.pop(0)

    def random_bytes(self, k):
        return bytes(k)


def test_local_engine_draws_one_stop_per_reel_in_order():
    definition = GameDefinition.from_dict(small_game())
    rng = ScriptedRNG([6, 5, 0, 0, 6])
    outcome = LocalSlotEngine(definition).spin(rng)
    assert rng.calls == [7, 6, 7, 6, 7]
    assert outcome == evaluate_spin(definition, [6, 5, 0, 0, 6])
    assert isinstance(LocalSlotEngine(definition), SlotEngine)


def test_spin_from_seed_is_the_local_engine_with_the_remote_client_seed():
    definition = GameDefinition.from_dict(small_game())
    seed = "ab" * 32
    expected = LocalSlotEngine(definition).spin(FairRNG(seed, "remote-engine", 0))
    assert spin_from_seed(definition, seed) == expected
    other_seeds = [spin_from_seed(definition, f"{k:02x}" * 32).stops for k in range(5)]
    assert len({tuple(stops) for stops in other_seeds}) > 1


def documented_client_stops(server_seed, client_seed, nonce, reel_lengths):
    """The client-side verification snippet from docs/games.md, verbatim."""
    words, cursor, stops = [], 0, []
    for n in reel_lengths:
        while True:
            if not words:
                block = hmac.new(server_seed.encode(), f"{client_seed}:{nonce}:{cursor}".encode(),
                                 hashlib.sha256).digest()
                words, cursor = [int.from_bytes(block[i:i + 4], "big") for i in range(0, 32, 4)], cursor + 1
            word = words.pop(0)
            if word < 2**32 - 2**32 % n:
                stops.append(word % n)
                break
    return stops


def test_documented_client_snippet_reproduces_local_engine_stops():
    for slug, definition in load_demo_games().items():
        lengths = [len(strip) for strip in definition.reels]
        for nonce in range(25):
            outcome = LocalSlotEngine(definition).spin(FairRNG("server", slug, nonce))
            assert documented_client_stops("server", slug, nonce, lengths) == outcome.stops


@pytest.mark.parametrize("seed", ["", "zz", "a" * 130, None])
def test_spin_from_seed_rejects_non_hex_seed(seed):
    with pytest.raises(ValueError):
        spin_from_seed(GameDefinition.from_dict(small_game()), seed)


@pytest.fixture
def remote_server():
    """Local HTTP server; ``state['mode']`` picks its behaviour, requests are recorded."""
    definition = GameDefinition.from_dict(small_game())
    state = {"mode": "ok", "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server API)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state["requests"].append(body)
            if state["mode"] == "error":
                self.send_response(500)
                self.end_headers()
                return
            payload = {"ok": spin_from_seed(definition, body["seed"]).to_dict(),
                       "garbage": "not json",
                       "wrong-shape": {"window": "nope"}}[state["mode"]]
            raw = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/spin", state, definition
    server.shutdown()
    server.server_close()


def test_remote_engine_round_trips_the_documented_contract(remote_server):
    url, state, definition = remote_server
    outcome = RemoteSlotEngine(url, allow_private=True).spin(FairRNG("s", "c", 1))
    sent_seed = FairRNG("s", "c", 1).random_bytes(32).hex()
    assert state["requests"] == [{"seed": sent_seed}]
    # compared on the wire form: a 6-line total such as 17/12 travels truncated to 18 places
    assert outcome.to_dict() == spin_from_seed(definition, sent_seed).to_dict()


@pytest.mark.parametrize("mode", ["error", "garbage", "wrong-shape"])
def test_remote_engine_raises_engine_error_on_bad_responses(remote_server, mode):
    url, state, _ = remote_server
    state["mode"] = mode
    with pytest.raises(EngineError):
        RemoteSlotEngine(url, allow_private=True).spin(FairRNG("s", "c", 1))


def test_remote_engine_raises_engine_error_when_unreachable():
    with pytest.raises(EngineError):
        RemoteSlotEngine("http://127.0.0.1:9/spin", timeout=1.0, allow_private=True).spin(FairRNG("s", "c", 1))
