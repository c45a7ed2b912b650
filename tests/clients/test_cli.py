"""The `royale` CLI, run in-process with typer's CliRunner against a live test server."""
import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from agent_royale.cli import app
from games_app.services import game_load
from sessions_app.models import SessionSpin
from tests.casino.conftest import ADDRESS
from tests.sessions_app.conftest import TEST_GAME
from wallet_app import services as wallet_services
from wallet_app.models import Wallet

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(live_server, settings, make_token):
    """A live server with a game, a funded agent wallet and the house bankroll; returns a runner."""
    settings.RATELIMIT_ENABLE = False
    game_load(data=TEST_GAME)
    agent, agent_raw = make_token("agent", name="cli-agent")
    _, admin_raw = make_token("admin", name="cli-admin")
    wallet = wallet_services.wallet_create(owner=agent.owner)
    wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("20"), reference="test:fund")
    wallet_services.deposit(wallet_id=wallet_services.house_wallet().pk, amount=Decimal("100"), reference="test")

    class Server:
        url = live_server.url
        wallet_id = wallet.pk

        @staticmethod
        def run(*args: str, token: str | None = agent_raw):
            env = {"ROYALE_URL": live_server.url, "ROYALE_TOKEN": token or ""}
            return CliRunner().invoke(app, list(args), env=env)

        @staticmethod
        def json(*args: str, token: str | None = agent_raw):
            result = Server.run("--json", *args, token=token)
            assert result.exit_code == 0, (result.stdout, result.stderr)
            return json.loads(result.stdout)

    Server.admin_token = admin_raw
    return Server


def test_cli_games_prints_a_table_and_json(server):
    result = server.run("games")
    assert result.exit_code == 0, result.stderr
    assert "test-fruit" in result.stdout and "Games" in result.stdout
    games = server.json("games")
    assert [game["slug"] for game in (games["results"] if isinstance(games, dict) else games)] == ["test-fruit"]


def test_cli_session_create_act_spin_and_show(server):
    session = server.json("sessions", "create", "--game", "test-fruit", "--wallet", str(server.wallet_id))
    assert session["state"] == "idle"
    sid = str(session["id"])
    assert server.json("sessions", "act", sid, "initialize")["state"] == "initialized"
    assert server.json("sessions", "act", sid, "place_bet", "--amount", "0.5")["state"] == "playing"
    summary = server.json("spin", "--session", sid, "--n", "5")
    assert summary["spins"] == 5 and summary["state"] == "playing"
    assert SessionSpin.objects.filter(session_id=session["id"]).count() == 5
    wallet = Wallet.objects.get(pk=server.wallet_id)
    assert Decimal(summary["balance_after"]) == wallet.balance
    shown = server.run("sessions", "show", sid)
    assert shown.exit_code == 0 and "playing" in shown.stdout and "Transitions" in shown.stdout
    # Human output of spin shows the summary table (the progress bar goes to stderr).
    human = server.run("spin", "--session", sid, "--n", "2")
    assert human.exit_code == 0 and "2 spin(s) on session" in human.stdout


def test_cli_invalid_state_transition_prints_the_error_contract(server):
    session = server.json("sessions", "create", "--game", "test-fruit", "--wallet", str(server.wallet_id))
    result = server.run("sessions", "act", str(session["id"]), "spin")
    assert result.exit_code == 1
    assert "error 409 INVALID_STATE_TRANSITION" in result.stderr and "request_id:" in result.stderr
    assert result.stdout == ""
    as_json = server.run("--json", "sessions", "act", str(session["id"]), "spin")
    error = json.loads(as_json.stderr)["error"]
    assert as_json.exit_code == 1 and error["code"] == "INVALID_STATE_TRANSITION" and error["status"] == 409
    assert error["request_id"] and error["details"]["state"] == "idle"


def test_cli_wallet_show_deposit_withdraw_and_refusals(server):
    wid = str(server.wallet_id)
    assert server.json("wallet", "show", wid)["balance"].startswith("20")
    assert "Wallet" in server.run("wallet", "show", wid).stdout
    server.json("wallet", "deposit", wid, "5", "--reference", "cli test", token=server.admin_token)
    server.json("wallet", "withdraw", wid, "1.5")
    assert Wallet.objects.get(pk=server.wallet_id).balance == Decimal("23.5")
    too_much = server.run("wallet", "withdraw", wid, "1000")
    assert too_much.exit_code == 1 and "INSUFFICIENT_BALANCE" in too_much.stderr
    forbidden = server.run("wallet", "deposit", wid, "5")
    assert forbidden.exit_code == 1 and "error 403" in forbidden.stderr
    assert Wallet.objects.get(pk=server.wallet_id).balance == Decimal("23.5")


def test_cli_a2a_coinflip_round_trip(server):
    params = {"stealthAddress": ADDRESS}
    opened = server.json("a2a", "open_channel", "--json", json.dumps({**params, "agentDeposit": "1",
                                                                      "casinoDeposit": "5"}))
    assert opened["agentBalance"].startswith("1")
    commit = server.json("a2a", "coinflip_commit", "--json", json.dumps({**params, "betAmount": "0.01",
                                                                         "choice": "heads"}))
    assert len(commit["commitment"]) == 64
    reveal = server.json("a2a", "coinflip_reveal", "--json", json.dumps({**params, "agentSeed": "cli-seed"}))
    assert reveal["result"] in ("heads", "tails") and reveal["nonce"] == 1
    closed = server.json("a2a", "close_channel", "--json", json.dumps(params))
    assert closed["totalGames"] == 1
    again = server.run("a2a", "coinflip_reveal", "--json", json.dumps({**params, "agentSeed": "x"}))
    assert again.exit_code == 1 and "error 4" in again.stderr


def test_cli_fingerprints_lists_profiles(server):
    result = server.run("fingerprints")
    assert result.exit_code == 0, result.stderr
    assert "Fingerprint profiles" in result.stdout


def test_cli_usage_errors_exit_2_and_unreachable_server_exits_1(server):
    assert server.run("games", token=None).exit_code == 2
    bad_amount = server.run("wallet", "withdraw", str(server.wallet_id), "1e3")
    assert bad_amount.exit_code == 2 and "exponent" in bad_amount.stderr
    assert server.run("a2a", "info", "--json", "[1,").exit_code == 2
    missing = server.run("sessions", "show", "999999")
    assert missing.exit_code == 1 and "404" in missing.stderr
    unreachable = CliRunner().invoke(app, ["--url", "http://127.0.0.1:9", "games"], env={"ROYALE_TOKEN": "x"})
    assert unreachable.exit_code == 1 and "cannot reach" in unreachable.stderr


def test_python_client_registers_and_rotates_a_hook_secret(server, settings, make_token):
    from agent_royale.client import ApiError, RoyaleClient

    settings.RL_WEBHOOKS_ALLOW_PRIVATE = True
    _, raw = make_token("agent", name="hook-agent")
    with RoyaleClient(base_url=server.url, token=raw) as client:
        hook = client.register_hook(url="http://127.0.0.1:9/hook", events=["step"])
        rotated = client.rotate_hook_secret(hook["id"], grace_seconds=60, idempotency_key="rot-1")
        assert rotated["secret"] != hook["secret"] and rotated["previous_secret_expires_at"]
        assert client.rotate_hook_secret(hook["id"], grace_seconds=60, idempotency_key="rot-1") == rotated
        with pytest.raises(ApiError) as refused:
            client.rotate_hook_secret(hook["id"], grace_seconds=-5)
    assert refused.value.status == 400 and refused.value.code == "VALIDATION_ERROR"
