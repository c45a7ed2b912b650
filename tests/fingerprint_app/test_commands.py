import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fingerprint_app.models import ProbeCampaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_recovery")]


def test_probe_match_and_export_commands(fruit_version, tmp_path):
    out, err = StringIO(), StringIO()
    call_command("probe", "--game", "fruit-low", "--spins", "50000", "--seed", "cmd", stdout=out, stderr=err)
    assert "RTP" in out.getvalue() and "exact PAR RTP" in out.getvalue()
    assert "50,000/50,000" in err.getvalue() or "50.0k/50.0k" in err.getvalue()  # tqdm or the plain bar
    library = ProbeCampaign.objects.get(seed="cmd")
    out = StringIO()
    call_command("probe", "--game", "fruit-low", "--spins", "5000", "--seed", "cmd2", "--fresh", "--json",
                 stdout=out, stderr=StringIO())
    sample = ProbeCampaign.objects.get(seed="cmd2")
    report = json.loads(out.getvalue())
    assert report["signature"]["spins"] == 5000 and report["recovery"]["exact"] is False  # hook switched off here
    out = StringIO()
    call_command("match_fingerprint", str(sample.pk), stdout=out)
    assert "match: fruit-low v1" in out.getvalue() and f"profile {library.profile_id}" in out.getvalue()
    target = tmp_path / "profiles.json"
    call_command("export_profiles", "--out", str(target), stderr=StringIO())
    exported = json.loads(target.read_text())
    assert exported["format"] == "agent-royale-fingerprints/1"
    assert [p["spins"] for p in exported["profiles"]] == [5000]  # newest version per engine by default
    call_command("export_profiles", "--out", str(target), "--all-versions", stderr=StringIO())
    assert sorted(p["spins"] for p in json.loads(target.read_text())["profiles"]) == [5000, 50000]


def test_run_campaign_command_and_errors(fruit_version):
    from fingerprint_app.services import campaign_create

    campaign = campaign_create(game_version=fruit_version, target_spins=3000, seed="rc", chunk_size=1000,
                               enqueue=False)
    out = StringIO()
    call_command("run_campaign", str(campaign.pk), "--max-chunks", "2", "--quiet", stdout=out)
    assert "2,000/3,000" in out.getvalue()
    call_command("run_campaign", str(campaign.pk), "--quiet", stdout=out)
    assert "completed, 3,000/3,000" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("run_campaign", "999999")
    with pytest.raises(CommandError):
        call_command("probe", "--game", "nope", "--spins", "10", stderr=StringIO())
    with pytest.raises(CommandError):
        call_command("probe", "--spins", "10", stderr=StringIO())
    with pytest.raises(CommandError):
        call_command("match_fingerprint", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("match_fingerprint", "999999", stdout=StringIO())


def test_probe_reports_the_exact_model_and_its_targeted_spins(fruit_version, with_recovery, tmp_path):
    """fruit-low's first 1,000 spins leave only its rarest pays unknown: targeted probes finish it."""
    out = StringIO()
    call_command("probe", "--game", "fruit-low", "--spins", "2000", "--chunk-size", "1000", "--seed", "cm",
                 stdout=out, stderr=StringIO())
    campaign = ProbeCampaign.objects.select_related("profile").get(seed="cm")
    assert campaign.profile.exact and campaign.targeted_spins > 0
    assert f"exact model recovered: {campaign.profile.spins_until_exact_summary()} spins" in out.getvalue()
    assert f"+ {campaign.targeted_spins} targeted" in out.getvalue()
    # the recovered definition loads with load_game and its PAR sheet is the true one
    from games_app.models import GameVersion

    target = tmp_path / "recovered.json"
    target.write_text(json.dumps(campaign.profile.recovered_definition))
    call_command("load_game", str(target), stdout=StringIO())
    recovered = GameVersion.objects.get(game__slug=campaign.profile.recovered_definition["slug"])
    true = GameVersion.objects.get(game__slug="fruit-low")
    assert recovered.rtp == true.rtp and recovered.par_sheet["rtp"] == true.par_sheet["rtp"]
    assert recovered.par_sheet["hit_frequency"] == true.par_sheet["hit_frequency"]
