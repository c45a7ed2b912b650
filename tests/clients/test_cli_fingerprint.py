"""`royale campaigns`, `royale match`, `royale export traces` and the -o json / a2a PARAMS split,
run in-process with typer's CliRunner against a live test server."""
import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from agent_royale.cli import app
from fingerprint_app.models import ProbeCampaign
from fingerprint_app.services import campaign_create
from games_app.engine import load_demo_games
from games_app.services import game_load
from rl_app.models import ExperienceStep
from tests.casino.conftest import ADDRESS
from wallet_app import services as wallet_services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def royale(live_server, settings, make_token, monkeypatch):
    """run(*args, token="operator"|"agent") -> click Result, against a live server with fruit-low."""
    settings.FINGERPRINT_RECOVERY = False  # the recovery has its own tests; keep this quick
    settings.RATELIMIT_ENABLE = False
    version, _ = game_load(data=load_demo_games()["fruit-low"].to_dict())
    operator, operator_raw = make_token("operator", name="cli-operator")
    agent, agent_raw = make_token("agent", name="cli-agent")
    for owner, amount in ((operator.owner, "5"), (agent.owner, "50")):
        wallet = wallet_services.wallet_create(owner=owner)
        wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal(amount), reference="test:fund")
    wallet_services.deposit(wallet_id=wallet_services.house_wallet().pk, amount=Decimal("100"), reference="test")
    tokens = {"operator": operator_raw, "agent": agent_raw}

    def run(*args: str, token: str = "operator"):
        return CliRunner().invoke(app, list(args), env={"ROYALE_URL": live_server.url, "ROYALE_TOKEN": tokens[token],
                                                      "COLUMNS": "200"})

    run.version = version
    return run


def _ok_json(result) -> dict:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def test_campaigns_start_wait_status_and_list(royale):
    started = royale("campaigns", "start", "--game", "fruit-low", "--spins", "2000", "--chunk-size", "1000",
                     "--seed", "cli", "--wait", "--interval", "0.2")
    assert started.exit_code == 0, started.stderr
    campaign = ProbeCampaign.objects.get(seed="cli")
    assert campaign.status == "completed" and campaign.spins_done == 2000
    assert f"Campaign {campaign.pk}" in started.stdout and "2,000/2,000" in started.stdout
    assert "completed" in started.stdout and "100.0%" in started.stdout
    status = _ok_json(royale("-o", "json", "campaigns", "status", str(campaign.pk)))
    assert status["id"] == campaign.pk and status["spins_done"] == 2000 and status["status"] == "completed"
    listed = royale("campaigns", "list")
    assert listed.exit_code == 0 and "Campaigns" in listed.stdout and "fruit-low v1" in listed.stdout
    assert [c["id"] for c in _ok_json(royale("--json", "campaigns", "list"))["results"]] == [campaign.pk]


def test_campaigns_status_watch_is_bounded_and_shows_the_bar(royale):
    queued = campaign_create(game_version=royale.version, target_spins=5000, seed="q", enqueue=False)
    result = royale("campaigns", "status", str(queued.pk), "--watch", "--interval", "0.2", "--max-wait", "1")
    assert result.exit_code == 0, result.stderr
    assert "still queued after 1 s" in result.stderr and f"campaign {queued.pk}" in result.stderr
    assert "0/5,000" in result.stdout and "queued" in result.stdout


def test_campaigns_refusals(royale):
    both = royale("campaigns", "start", "--game", "fruit-low", "--url", "https://x.invalid/spin", "--spins", "10")
    assert both.exit_code == 2 and "exactly one of --game or --url" in both.stderr
    agent = royale("campaigns", "start", "--game", "fruit-low", "--spins", "10", token="agent")
    assert agent.exit_code == 1 and "error 403" in agent.stderr
    unknown = royale("campaigns", "status", "999999")
    assert unknown.exit_code == 1 and "404" in unknown.stderr
    assert ProbeCampaign.objects.count() == 0


def test_match_ranks_the_library_against_a_campaign(royale):
    royale("campaigns", "start", "--game", "fruit-low", "--spins", "3000", "--chunk-size", "1000", "--seed", "lib")
    probe = royale("campaigns", "start", "--game", "fruit-low", "--spins", "3000", "--chunk-size", "1000",
                   "--seed", "probe", "--fresh")
    assert probe.exit_code == 0, probe.stderr
    campaign = ProbeCampaign.objects.get(seed="probe")
    human = royale("match", "--campaign", str(campaign.pk))
    assert human.exit_code == 0, human.stderr
    assert "Match" in human.stdout and "Ranking" in human.stdout and "verdict" in human.stdout
    result = _ok_json(royale("-o", "json", "match", "--campaign", str(campaign.pk)))
    assert result["sample_spins"] == 3000 and result["verdict"] and "ranking" in result
    neither = royale("match")
    assert neither.exit_code == 2 and "exactly one of --campaign or --session" in neither.stderr


def test_export_traces_writes_every_step_once(royale, tmp_path):
    session = _ok_json(royale("-o", "json", "sessions", "create", "--game", "fruit-low", "--wallet",
                              str(_agent_wallet_id()), token="agent"))
    sid = str(session["id"])
    royale("sessions", "act", sid, "initialize", token="agent")
    royale("sessions", "act", sid, "place_bet", "--amount", "0.1", token="agent")
    assert royale("spin", "--session", sid, "--n", "7", token="agent").exit_code == 0
    out = tmp_path / "traces.jsonl"
    result = royale("export", "traces", "--out", str(out), token="agent")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    steps = ExperienceStep.objects.filter(session_id=session["id"])
    assert len(lines) == steps.count() >= 9 and {line["session_id"] for line in lines} == {session["id"]}
    assert sorted(line["index"] for line in lines) == sorted(steps.values_list("index", flat=True))
    assert f"wrote {len(lines):,} steps of 1 episode(s)" in result.stdout
    assert not (tmp_path / "traces.jsonl.partial").exists()
    summary = _ok_json(royale("-o", "json", "export", "traces", "--out", str(out), "--game", "no-such-game",
                              token="agent"))
    assert summary == {"out": str(out), "episodes": 0, "steps": 0} and out.read_text() == ""
    assert royale("export", "traces", "--out", str(tmp_path), token="agent").exit_code == 2


def _agent_wallet_id() -> int:
    from wallet_app.models import Wallet

    return Wallet.objects.get(owner__username="cli-agent").pk


def test_a2a_params_are_positional_and_the_old_flag_still_works(royale):
    opened = _ok_json(royale("-o", "json", "a2a", "open_channel",
                             json.dumps({"stealthAddress": ADDRESS, "agentDeposit": "1", "casinoDeposit": "5"}),
                             token="agent"))
    assert opened["agentBalance"].startswith("1")
    # Global --json (output) and a2a's old --json (parameters) in one line: each means its own thing.
    status = _ok_json(royale("--json", "a2a", "channel_status", "--json", json.dumps({"stealthAddress": ADDRESS}),
                             token="agent"))
    assert status["agentBalance"].startswith("1")
    twice = royale("a2a", "channel_status", "{}", "--json", "{}", token="agent")
    assert twice.exit_code == 2 and "not both" in twice.stderr
    bad = royale("a2a", "info", "[1,", token="agent")
    assert bad.exit_code == 2 and "PARAMS is not valid JSON" in bad.stderr
