import json
from datetime import datetime, timezone
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from rl_app.encoding import ACTION_TYPES, OBSERVATION_VECTOR_SIZE, action_code, observation_vector
from rl_app.models import ExperienceStep

pytestmark = pytest.mark.django_db


@pytest.fixture
def traces(agent_client, new_session, second_game):
    """Three episodes: finished (ppo, test-fruit), open (dqn, test-fruit-two, later), aborted (no policy)."""
    def play(session_id, actions, policy=""):
        for action in actions:
            response = agent_client.post(f"/api/v1/sessions/{session_id}/action", action, format="json",
                                         HTTP_X_POLICY_ID=policy, HTTP_X_POLICY_VERSION="1")
            assert response.status_code == 200, response.content

    with time_machine.travel(datetime(2026, 3, 1, tzinfo=timezone.utc), tick=True):
        finished = new_session(agent_client, amount="500")
        play(finished, [{"type": "initialize"}, {"type": "place_bet", "amount": "0.5"}] + [{"type": "spin"}] * 6
             + [{"type": "cash_out"}], policy="ppo")
        aborted = agent_client.post("/api/v1/sessions", {"game": "test-fruit", "wallet": agent_client.wallet.pk},
                                    format="json").json()["id"]
        play(aborted, [{"type": "initialize"}, {"type": "abort"}])
    with time_machine.travel(datetime(2026, 3, 10, tzinfo=timezone.utc), tick=True):
        open_ = agent_client.post("/api/v1/sessions", {"game": second_game.game.slug, "wallet": agent_client.wallet.pk,
                                                       "reward_function": "log_wealth"}, format="json").json()["id"]
        play(open_, [{"type": "initialize"}, {"type": "place_bet", "amount": "1"}, {"type": "spin"}, {"type": "spin"}],
             policy="dqn")
    return {"finished": finished, "aborted": aborted, "open": open_}


def _db_steps(*session_ids):
    return list(ExperienceStep.objects.filter(session_id__in=session_ids).order_by("session_id", "index"))


def test_export_jsonl_round_trip(traces, tmp_path):
    out = tmp_path / "steps.jsonl"
    call_command("export_traces", "--format", "jsonl", "--out", str(out), "--chunk-size", "3")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    steps = _db_steps(*traces.values())
    assert len(rows) == len(steps) == 9 + 2 + 4
    for row, step in zip(rows, steps):
        assert (row["session"], row["index"], row["reward"]) == (step.session_id, step.index, step.reward)
        assert row["observation"] == step.observation and row["next_observation"] == step.next_observation
        assert row["action"] == step.action and row["terminated"] == step.terminated
        assert row["policy_id"] == step.policy_id and row["request_id"] == step.request_id
    assert {row["game"] for row in rows} == {"test-fruit", "test-fruit-two"}
    assert not (tmp_path / "steps.jsonl.partial").exists()


def test_export_filters_select_whole_episodes(traces, tmp_path):
    def sessions(*args):
        out = tmp_path / "f.jsonl"
        call_command("export_traces", "--format", "jsonl", "--out", str(out), "--no-progress", *args)
        return {json.loads(line)["session"] for line in out.read_text().splitlines()}

    assert sessions("--game", "test-fruit-two") == {traces["open"]}
    assert sessions("--policy", "ppo") == {traces["finished"]}
    assert sessions("--since", "2026-03-05") == {traces["open"]}
    assert sessions("--since", "2026-03-01T00:00:00+00:00") == set(traces.values())
    assert sessions("--until", "2026-03-05") == set(traces.values()) - {traces["open"]}
    assert sessions("--since", "2026-03-01", "--until", "2026-03-05") == set(traces.values()) - {traces["open"]}
    assert sessions("--until", "2026-03-01") == set()
    assert sessions("--game", "nope") == set()
    with pytest.raises(CommandError):
        sessions("--since", "last tuesday")
    with pytest.raises(CommandError, match="--until must be an ISO 8601"):
        sessions("--until", "tomorrow")
    with pytest.raises(CommandError, match="later than --since"):
        sessions("--since", "2026-03-05", "--until", "2026-03-05")


def test_export_parquet_round_trip_in_row_groups(traces, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "steps.parquet"
    call_command("export_traces", "--format", "parquet", "--out", str(out), "--row-group-size", "4", "--chunk-size", "5")
    parquet = pq.ParquetFile(out)
    assert parquet.metadata.num_row_groups == 4  # 15 rows in groups of 4
    table = parquet.read()
    steps = _db_steps(*traces.values())
    assert table.num_rows == len(steps)
    assert table.column("session_id").to_pylist() == [step.session_id for step in steps]
    assert table.column("reward").to_pylist() == [step.reward for step in steps]
    assert table.column("action_type").to_pylist() == [step.action["type"] for step in steps]
    assert table.column("action_code").to_pylist() == [action_code(step.action) for step in steps]
    vectors = table.column("next_observation_vector").to_pylist()
    assert all(len(vector) == OBSERVATION_VECTOR_SIZE for vector in vectors)
    assert vectors[3] == pytest.approx(observation_vector(steps[3].next_observation))
    assert [json.loads(value) for value in table.column("observation").to_pylist()] == [s.observation for s in steps]
    assert table.column("created_at").to_pylist()[0] == steps[0].created_at
    assert json.loads(table.schema.metadata[b"agent_royale.action_types"]) == list(ACTION_TYPES)


def test_export_minari_round_trip(traces, tmp_path, monkeypatch):
    import minari
    import numpy as np

    root = tmp_path / "minari"
    call_command("export_traces", "--format", "minari", "--out", str(root), "--dataset-id", "royale/test-v0")
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(root))
    dataset = minari.load_dataset("royale/test-v0")
    assert dataset.total_episodes == 3 and dataset.total_steps == 15
    assert dataset.observation_space.shape == (OBSERVATION_VECTOR_SIZE,)
    assert dataset.action_space.n == len(ACTION_TYPES)
    episodes = {int(episode.infos["session_id"][0]): episode for episode in dataset.iterate_episodes()}
    assert set(episodes) == set(traces.values())
    finished = episodes[traces["finished"]]
    steps = _db_steps(traces["finished"])
    assert finished.observations.shape == (len(steps) + 1, OBSERVATION_VECTOR_SIZE)
    assert np.allclose(finished.rewards, [step.reward for step in steps])
    assert list(finished.actions) == [action_code(step.action) for step in steps]
    assert finished.terminations[-1] and not finished.truncations[-1]
    assert np.allclose(finished.observations[-1], observation_vector(steps[-1].next_observation))
    still_open = episodes[traces["open"]]
    assert still_open.truncations[-1] and not still_open.terminations.any()  # cut because the session is open
    with pytest.raises(CommandError):  # the id exists now: never overwritten
        call_command("export_traces", "--format", "minari", "--out", str(root), "--dataset-id", "royale/test-v0")


def test_export_minari_appends_in_flushes(traces, tmp_path, monkeypatch):
    import minari

    from rl_app import export

    written = export.write_minari(export.export_rows().iterator(chunk_size=2), tmp_path, dataset_id="royale/flush-v0",
                                  episodes_per_flush=1)
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    dataset = minari.load_dataset("royale/flush-v0")
    assert written == dataset.total_steps == 15 and dataset.total_episodes == 3
    assert sorted(int(episode.infos["session_id"][0]) for episode in dataset.iterate_episodes()) == sorted(traces.values())


def test_export_minari_to_a_relative_directory(traces, tmp_path, monkeypatch):
    import minari

    monkeypatch.chdir(tmp_path)  # README: --out ./datasets (minari once joined a relative root twice)
    call_command("export_traces", "--format", "minari", "--out", "./datasets", stdout=StringIO())
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "datasets"))
    assert minari.load_dataset("agent-royale/traces-v0").total_episodes == 3


def test_export_minari_with_no_steps_is_an_error(db, tmp_path):
    with pytest.raises(CommandError):
        call_command("export_traces", "--format", "minari", "--out", str(tmp_path / "m"))


def test_export_streams_with_a_server_side_iterator(traces, tmp_path, django_assert_max_num_queries):
    # count + the cursor's fetches: a handful of queries, never one per step or per episode.
    with django_assert_max_num_queries(4):
        call_command("export_traces", "--format", "jsonl", "--out", str(tmp_path / "s.jsonl"), "--chunk-size", "2")
