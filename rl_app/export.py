"""Offline-training export of experience steps: JSON Lines, Parquet, Minari (docs/rl.md).

Each writer takes rows one at a time from a streamed queryset (`.iterator(chunk_size=…)`), so memory stays
bounded by one Parquet row group or one Minari flush of episodes, whatever the number of steps.
"""
import json
import os
import warnings
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from django.db.models import Exists, F, OuterRef, QuerySet

from rl_app.encoding import (ACTION_TYPES, OBSERVATION_VECTOR_FIELDS, OBSERVATION_VECTOR_SIZE,
                             OBSERVATION_VECTOR_VERSION, action_code, observation_vector)
from rl_app.models import ExperienceStep

ROW_FIELDS = ("session_id", "index", "observation", "action", "reward", "next_observation", "terminated",
              "truncated", "info", "policy_id", "policy_version", "request_id", "created_at")
DEFAULT_MINARI_DATASET_ID = "agent-royale/traces-v0"


def export_rows(*, game: str | None = None, policy: str | None = None, since: datetime | None = None,
                until: datetime | None = None) -> QuerySet:
    """Steps of the matching episodes as dicts, ordered by (session, index) — the unique index's order.

    Filters select whole episodes (so a Minari episode is never cut): the session's game, a session any of
    whose steps carries `policy`, sessions started at or after `since` and before `until`."""
    queryset = ExperienceStep.objects.all()
    if game:
        queryset = queryset.filter(session__game_version__game__slug=game)
    if since is not None:
        queryset = queryset.filter(session__created_at__gte=since)
    if until is not None:
        queryset = queryset.filter(session__created_at__lt=until)
    if policy:
        queryset = queryset.filter(Exists(ExperienceStep.objects.filter(session_id=OuterRef("session_id"),
                                                                        policy_id=policy)))
    return queryset.order_by("session_id", "index").values(*ROW_FIELDS, game=F("session__game_version__game__slug"))


def _json_row(row: dict) -> dict:
    return {"session": row["session_id"], "game": row["game"], "index": row["index"],
            "observation": row["observation"], "action": row["action"], "reward": row["reward"],
            "next_observation": row["next_observation"], "terminated": row["terminated"],
            "truncated": row["truncated"], "info": row["info"], "policy_id": row["policy_id"],
            "policy_version": row["policy_version"], "request_id": row["request_id"],
            "created_at": row["created_at"].isoformat()}


def _partial(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


def write_jsonl(rows: Iterable[dict], path: Path) -> int:
    """One JSON object per step and line. Written to `<path>.partial`, renamed when complete."""
    count = 0
    with open(_partial(path), "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(_json_row(row), separators=(",", ":")) + "\n")
            count += 1
    os.replace(_partial(path), path)
    return count


def parquet_schema():
    import pyarrow as pa

    vector = pa.list_(pa.float32(), OBSERVATION_VECTOR_SIZE)
    metadata = {"agent_royale.observation_vector_version": str(OBSERVATION_VECTOR_VERSION),
                "agent_royale.observation_vector_fields": json.dumps(OBSERVATION_VECTOR_FIELDS),
                "agent_royale.action_types": json.dumps(ACTION_TYPES)}
    return pa.schema([
        ("session_id", pa.int64()), ("game", pa.string()), ("index", pa.int64()),
        ("observation", pa.string()), ("observation_vector", vector),
        ("action", pa.string()), ("action_type", pa.string()), ("action_code", pa.int8()),
        ("reward", pa.float64()),
        ("next_observation", pa.string()), ("next_observation_vector", vector),
        ("terminated", pa.bool_()), ("truncated", pa.bool_()), ("info", pa.string()),
        ("policy_id", pa.string()), ("policy_version", pa.string()), ("request_id", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
    ], metadata=metadata)


def write_parquet(rows: Iterable[dict], path: Path, *, row_group_size: int = 50_000) -> int:
    """Parquet via ParquetWriter, one row group per `row_group_size` steps. JSON columns hold the raw dicts;
    the `*_vector` and `action_code` columns are the numeric encodings of rl_app.encoding."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    columns: dict[str, list] = {name: [] for name in schema.names}
    count = 0

    def flush(writer) -> None:
        if columns["session_id"]:
            writer.write_table(pa.Table.from_pydict(columns, schema=schema))
            for values in columns.values():
                values.clear()

    with pq.ParquetWriter(_partial(path), schema, compression="zstd") as writer:
        for row in rows:
            values = {
                "session_id": row["session_id"], "game": row["game"], "index": row["index"],
                "observation": json.dumps(row["observation"]), "observation_vector": observation_vector(row["observation"]),
                "action": json.dumps(row["action"]), "action_type": str(row["action"].get("type", "")),
                "action_code": action_code(row["action"]), "reward": row["reward"],
                "next_observation": json.dumps(row["next_observation"]),
                "next_observation_vector": observation_vector(row["next_observation"]),
                "terminated": row["terminated"], "truncated": row["truncated"], "info": json.dumps(row["info"]),
                "policy_id": row["policy_id"], "policy_version": row["policy_version"],
                "request_id": row["request_id"], "created_at": row["created_at"],
            }
            for name, value in values.items():
                columns[name].append(value)
            count += 1
            if len(columns["session_id"]) >= row_group_size:
                flush(writer)
        flush(writer)
    os.replace(_partial(path), path)
    return count


def _episodes(rows: Iterable[dict]) -> Iterator[list[dict]]:
    """Group the (session, index)-ordered rows into one list per session."""
    current: list[dict] = []
    for row in rows:
        if current and row["session_id"] != current[0]["session_id"]:
            yield current
            current = []
        current.append(row)
    if current:
        yield current


def minari_spaces():
    import gymnasium as gym
    import numpy as np

    high = np.finfo(np.float32).max  # same bounds as the client's env (agent_royale.spaces)
    observation_space = gym.spaces.Box(low=0.0, high=high, shape=(OBSERVATION_VECTOR_SIZE,), dtype=np.float32)
    return observation_space, gym.spaces.Discrete(len(ACTION_TYPES))


def _episode_buffer(steps: list[dict]):
    import numpy as np
    from minari.data_collector import EpisodeBuffer

    observations = [observation_vector(step["observation"]) for step in steps]
    observations.append(observation_vector(steps[-1]["next_observation"]))
    terminations = [bool(step["terminated"]) for step in steps]
    truncations = [bool(step["truncated"]) for step in steps]
    if not (terminations[-1] or truncations[-1]):
        truncations[-1] = True  # a session still open is cut here: Minari episodes must end
    return EpisodeBuffer(
        observations=np.asarray(observations, dtype=np.float32),
        actions=np.asarray([action_code(step["action"]) for step in steps], dtype=np.int64),
        rewards=[float(step["reward"]) for step in steps], terminations=terminations, truncations=truncations,
        # A plain list: minari 0.5.4 cannot read back a 1-D ndarray info (it stores an empty shape).
        infos={"session_id": [steps[0]["session_id"]] * (len(steps) + 1)})


MINARI_DESCRIPTION = (
    "Agent Royale experience traces: one episode per gameplay session. Observations are the v1 float32 vector "
    f"{list(OBSERVATION_VECTOR_FIELDS)}; actions are indexes into {list(ACTION_TYPES)}; rewards are the "
    "session's reward function (net_payout, log_wealth or risk_adjusted). infos.session_id maps episodes back "
    "to sessions. An episode exported while its session was still open ends truncated.")


def write_minari(rows: Iterable[dict], root: Path, *, dataset_id: str = DEFAULT_MINARI_DATASET_ID,
                 episodes_per_flush: int = 64) -> int:
    """A Minari dataset under `root` (its MINARI_DATASETS_PATH), `minari.load_dataset(dataset_id)` reads it.

    Episodes are flushed every `episodes_per_flush`; only one flush of episodes is held in memory."""
    import minari

    observation_space, action_space = minari_spaces()
    dataset = None
    pending: list = []
    count = 0

    def flush() -> None:
        nonlocal dataset
        if dataset is None:
            dataset = minari.create_dataset_from_buffers(
                dataset_id=dataset_id, buffer=pending, observation_space=observation_space,
                action_space=action_space, algorithm_name="agent-royale-export", description=MINARI_DESCRIPTION,
                data_format="arrow")
        elif pending:
            dataset.update_dataset_from_buffer(pending)
        pending.clear()

    previous_root = os.environ.get("MINARI_DATASETS_PATH")
    # Minari resolves dataset paths from it at call time, and a relative root ends up joined twice.
    os.environ["MINARI_DATASETS_PATH"] = str(root.resolve())
    try:
        with warnings.catch_warnings():
            # Advisories about optional metadata (author, code permalink, env spec) this export does not have.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"minari\.")
            for steps in _episodes(rows):
                pending.append(_episode_buffer(steps))
                count += len(steps)
                if len(pending) >= episodes_per_flush:
                    flush()
            flush()
        return count
    finally:
        if previous_root is None:
            os.environ.pop("MINARI_DATASETS_PATH", None)
        else:
            os.environ["MINARI_DATASETS_PATH"] = previous_root
