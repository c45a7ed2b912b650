"""`royale campaigns`, `royale match` and `royale export`: probing campaigns with a live progress
bar, matching a sample against the profile library, and trace exports to JSON Lines.

Campaigns and matching need an operator (or admin) token; exports see what the token may see
(an agent its own episodes). Progress bars are drawn on stderr and never in `-o json` mode, so
stdout stays the result alone."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import typer
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

from agent_royale.cli import (Config, _call, _cfg, _err, _fail_usage, _out, _print_json, _record, _request, _results,
                              _table, app)

CAMPAIGNS = "/api/v1/fingerprints/campaigns"
FINISHED = {"completed", "completed_exact", "failed"}
STOPPED = FINISHED | {"paused"}          # a paused campaign waits for `royale campaigns resume`
MAX_WAIT_SECONDS = 24 * 3600

campaigns_app = typer.Typer(help="Probing campaigns (operator token).", no_args_is_help=True)
export_app = typer.Typer(help="Exports for offline work.", no_args_is_help=True)
app.add_typer(campaigns_app, name="campaigns")
app.add_typer(export_app, name="export")


def _progress(cfg: Config, *columns) -> Progress:
    return Progress(*columns, console=_err(), disable=cfg.as_json, transient=False)


def _bar_text(done: int, total: int, width: int = 30) -> str:
    filled = round(width * done / total) if total else 0
    return f"{'━' * filled}{'╺' if filled < width else ''}{' ' * max(width - filled - 1, 0)} {done:,}/{total:,}"


def _campaign_row(campaign: dict) -> dict:
    engine = campaign.get("engine") or {}
    label = (f"{engine.get('game')} v{engine.get('game_version')}" if engine.get("game")
             else engine.get("remote_url", "-"))
    return {**campaign, "engine": label, "progress": f"{campaign.get('progress', 0):.1%}",
            "spins": f"{campaign.get('spins_done', 0):,}/{campaign.get('target_spins', 0):,}",
            "queries_used": f"{campaign.get('queries_used', 0):,}"}


def _print_campaign(cfg: Config, campaign: dict) -> None:
    if cfg.as_json:
        return _print_json(campaign)
    row = _campaign_row(campaign)
    row["progress"] = f"{_bar_text(campaign.get('spins_done', 0), campaign.get('target_spins', 0))} spins " \
                      f"({campaign.get('progress', 0):.1%})"
    rtp = ((campaign.get("signature") or {}).get("rtp") or {})
    if rtp.get("estimate") is not None:
        row["rtp_estimate"] = f"{float(rtp['estimate']):.4%}"
    _record(f"Campaign {campaign.get('id')}", row,
            ["id", "engine", "status", "status_reason", "progress", "chunks_done", "queries_used", "query_budget",
             "targeted_spins", "fees_charged", "rtp_estimate", "profile_id", "seed", "error", "created_at",
             "finished_at"])
    if campaign.get("status") == "completed_exact":
        _out().print("exact model recovered: see `royale fingerprints` and the profile page", highlight=False)


def _watch(cfg: Config, campaign_id: int, *, interval: float, max_wait: float) -> dict:
    """Poll until the campaign stops (finished or paused), drawing its progress; bounded by max_wait."""
    deadline = time.monotonic() + max_wait
    with cfg.client() as client:
        campaign = _request(cfg, client, "GET", f"{CAMPAIGNS}/{campaign_id}")
        progress = _progress(cfg, TextColumn(f"campaign {campaign_id}"), BarColumn(), MofNCompleteColumn(),
                             TaskProgressColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                             TextColumn("{task.fields[status]}"))
        with progress:
            task = progress.add_task("probe", total=campaign["target_spins"], completed=campaign["spins_done"],
                                     status=campaign["status"])
            while campaign["status"] not in STOPPED and time.monotonic() < deadline:
                time.sleep(interval)
                campaign = _request(cfg, client, "GET", f"{CAMPAIGNS}/{campaign_id}")
                progress.update(task, completed=campaign["spins_done"], status=campaign["status"])
    if campaign["status"] not in STOPPED:
        _err().print(f"still {campaign['status']} after {max_wait:g} s; check again with "
                     f"`royale campaigns status {campaign_id} --watch`", highlight=False)
    return campaign


_INTERVAL = typer.Option(1.0, "--interval", min=0.1, max=60, help="Seconds between progress checks")
_MAX_WAIT = typer.Option(3600.0, "--max-wait", min=1, max=MAX_WAIT_SECONDS, help="Give up watching after this long")


@campaigns_app.command("start")
def campaigns_start(ctx: typer.Context,
                    game: str = typer.Option(None, "--game", help="Slug of a local game"),
                    game_version: int = typer.Option(None, "--game-version", min=1, help="Default: latest"),
                    url: str = typer.Option(None, "--url", help="A remote engine instead of --game"),
                    spins: int = typer.Option(..., "--spins", min=1, help="Target spins"),
                    budget: int = typer.Option(None, "--budget", min=1, help="Cap on engine queries"),
                    wallet: int = typer.Option(None, "--wallet", min=1, help="Wallet charged per query"),
                    seed: str = typer.Option(None, "--seed", help="Same seed, same spins (default: random)"),
                    chunk_size: int = typer.Option(None, "--chunk-size", min=1),
                    fresh: bool = typer.Option(False, "--fresh", help="Do not extend the engine's latest profile"),
                    keep_going: bool = typer.Option(False, "--keep-going",
                                                    help="Probe every spin even once the model is exact"),
                    wait: bool = typer.Option(False, "--wait", help="Follow it with a progress bar until it stops"),
                    interval: float = _INTERVAL, max_wait: float = _MAX_WAIT) -> None:
    """Start a probing campaign (answers at once; it runs on the server's workers)."""
    cfg = _cfg(ctx)
    if bool(game) == bool(url):
        _fail_usage("give exactly one of --game or --url")
    body: dict[str, Any] = {"target_spins": spins, "extend_profile": not fresh, "stop_when_exact": not keep_going}
    for key, value in (("game", game), ("game_version", game_version), ("remote_url", url), ("query_budget", budget),
                       ("wallet_id", wallet), ("seed", seed), ("chunk_size", chunk_size)):
        if value is not None:
            body[key] = value
    campaign = _call(cfg, "POST", CAMPAIGNS, json=body)
    if wait:
        if not cfg.as_json:
            _err().print(f"campaign {campaign['id']} started", highlight=False)
        campaign = _watch(cfg, campaign["id"], interval=interval, max_wait=max_wait)
    _print_campaign(cfg, campaign)


@campaigns_app.command("status")
def campaigns_status(ctx: typer.Context, campaign_id: int,
                     watch: bool = typer.Option(False, "--watch", "--wait",
                                                help="Follow it with a progress bar until it stops"),
                     interval: float = _INTERVAL, max_wait: float = _MAX_WAIT) -> None:
    """One campaign: status, a progress bar of spins done, queries, fees, RTP estimate."""
    cfg = _cfg(ctx)
    campaign = (_watch(cfg, campaign_id, interval=interval, max_wait=max_wait) if watch
                else _call(cfg, "GET", f"{CAMPAIGNS}/{campaign_id}"))
    _print_campaign(cfg, campaign)


@campaigns_app.command("list")
def campaigns_list(ctx: typer.Context, limit: int = typer.Option(20, "--limit", min=1, max=200)) -> None:
    """The newest campaigns, with their progress."""
    cfg = _cfg(ctx)
    payload = _call(cfg, "GET", CAMPAIGNS, params={"limit": limit})
    if cfg.as_json:
        return _print_json(payload)
    _table("Campaigns", [_campaign_row(c) for c in _results(payload)],
           ["id", "engine", "status", "spins", "progress", "queries_used", "profile_id"])


@campaigns_app.command("resume")
def campaigns_resume(ctx: typer.Context, campaign_id: int,
                     wait: bool = typer.Option(False, "--wait", help="Follow it with a progress bar until it stops"),
                     interval: float = _INTERVAL, max_wait: float = _MAX_WAIT) -> None:
    """Resume a paused campaign (say after raising the wallet's daily limit)."""
    cfg = _cfg(ctx)
    campaign = _call(cfg, "POST", f"{CAMPAIGNS}/{campaign_id}/resume")
    if wait:
        campaign = _watch(cfg, campaign_id, interval=interval, max_wait=max_wait)
    _print_campaign(cfg, campaign)


@app.command()
def match(ctx: typer.Context,
          campaign: int = typer.Option(None, "--campaign", min=1, help="Match this campaign's sample"),
          session: int = typer.Option(None, "--session", min=1, help="Match this session's spins")) -> None:
    """Rank the profile library against a campaign's or a session's sample (operator token)."""
    cfg = _cfg(ctx)
    if (campaign is None) == (session is None):
        _fail_usage("give exactly one of --campaign or --session")
    body = {"campaign_id": campaign} if campaign is not None else {"session_id": session}
    progress = _progress(cfg, SpinnerColumn(), TextColumn("matching against the profile library"),
                         TimeElapsedColumn())
    with progress:
        progress.add_task("match", total=None)
        result = _call(cfg, "POST", "/api/v1/fingerprints/match", json=body)
    if cfg.as_json:
        return _print_json(result)
    best = result.get("best") or {}
    summary = {key: value for key, value in result.items() if key not in ("ranking", "best")}
    if best:
        summary["best"] = f"profile {best.get('profile_id')} ({best.get('label')}), p = {best.get('p_value'):.4g}"
    _record("Match", summary)
    _table("Ranking", result.get("ranking") or [], ["profile_id", "label", "p_value", "log10_p", "conflicts"])


@export_app.command("traces")
def export_traces(ctx: typer.Context,
                  out: Path = typer.Option(..., "--out", help="JSON Lines file: one step per line"),
                  game: str = typer.Option(None, "--game", help="Only episodes of this game"),
                  policy: str = typer.Option(None, "--policy", help="Only episodes with a step by this policy id"),
                  since: str = typer.Option(None, "--since", help="ISO date or datetime, inclusive"),
                  until: str = typer.Option(None, "--until", help="ISO date or datetime, exclusive"),
                  owner: str = typer.Option(None, "--owner", help="Operators only: one owner's episodes")) -> None:
    """Download experience steps over the API (episodes first, then each one's trace) with a progress
    bar in steps. Written to OUT.partial and renamed when complete, so OUT is never half a file."""
    cfg = _cfg(ctx)
    if out.is_dir():
        _fail_usage(f"--out {out} is a directory; give a file path")
    filters = {k: v for k, v in (("game", game), ("policy", policy), ("since", since), ("until", until),
                                 ("owner", owner)) if v is not None}
    partial = out.with_name(out.name + ".partial")
    try:
        episodes, steps = _download_traces(cfg, filters, partial)
    except BaseException:
        partial.unlink(missing_ok=True)   # an API error or ^C leaves no half file behind
        raise
    os.replace(partial, out)
    summary = {"out": str(out), "episodes": len(episodes), "steps": steps}
    if cfg.as_json:
        return _print_json(summary)
    _out().print(f"wrote {steps:,} steps of {len(episodes):,} episode(s) to {out}", highlight=False)


def _download_traces(cfg: Config, filters: dict, partial: Path) -> tuple[list[dict], int]:
    episodes, steps = [], 0
    with cfg.client() as client:
        page = _request(cfg, client, "GET", "/api/v1/rl/episodes", params={**filters, "limit": 200})
        while True:
            episodes += page["results"]
            if not page.get("next"):
                break
            page = _request(cfg, client, "GET", page["next"])
        total = sum(episode.get("steps", 0) for episode in episodes)
        progress = _progress(cfg, TextColumn("export"), BarColumn(), MofNCompleteColumn(), TextColumn("steps"),
                             TimeElapsedColumn(), TimeRemainingColumn())
        with progress, open(partial, "w", encoding="utf-8") as handle:
            task = progress.add_task("export", total=total)
            for episode in episodes:
                path = f"/api/v1/sessions/{episode['session']}/trace"
                page = _request(cfg, client, "GET", path, params={"limit": 1000})
                while True:
                    for step in page["results"]:
                        handle.write(json.dumps({"session_id": episode["session"], "game": episode["game"], **step},
                                                separators=(",", ":")) + "\n")
                        steps += 1
                    progress.update(task, completed=steps)
                    if not page.get("next"):
                        break
                    page = _request(cfg, client, "GET", page["next"])
    return episodes, steps
