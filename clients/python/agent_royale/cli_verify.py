"""`royale verify`: check a spin offline from the revealed server seed (no request is made)."""
from __future__ import annotations

import typer

from agent_royale.cli import _cfg, _fail_usage, _out, _print_json, app
from agent_royale.fairness import recompute_stops, verify_spin


def _ints(text: str, *, option: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        _fail_usage(f"{option} must be comma-separated integers, e.g. 32,32,32,32,32")
    if not values or any(v < 0 for v in values):
        _fail_usage(f"{option} must be comma-separated non-negative integers")
    return values


@app.command()
def verify(ctx: typer.Context,
           server_seed: str = typer.Option(..., "--server-seed", help="revealed when the session completes (proof)"),
           client_seed: str = typer.Option(..., "--client-seed"),
           nonce: int = typer.Option(..., "--nonce", min=0),
           reel_lengths: str = typer.Option(..., "--reel-lengths",
                                            help="stops per reel, e.g. 32,32,32,32,32 (the game's PAR sheet)"),
           stops: str = typer.Option(..., "--stops", help="the spin result's stops, e.g. 3,17,8,0,21"),
           commitment: str = typer.Option(None, "--commitment", help="server_seed_hash published before play")) -> None:
    """Verify a spin offline: the seed against its commitment, the stops against the seed."""
    lengths = _ints(reel_lengths, option="--reel-lengths")
    if 0 in lengths:
        _fail_usage("--reel-lengths must be positive")
    reported = _ints(stops, option="--stops")
    problems = verify_spin(server_seed=server_seed, client_seed=client_seed, nonce=nonce, reel_lengths=lengths,
                           stops=reported, commitment=commitment)
    expected = recompute_stops(server_seed=server_seed, client_seed=client_seed, nonce=nonce, reel_lengths=lengths)
    if _cfg(ctx).as_json:
        _print_json({"verified": not problems, "problems": problems, "expected_stops": expected})
    elif problems:
        for problem in problems:
            _out().print(f"[red]FAILED[/red] {problem}", highlight=False)
    else:
        checked = "seed matches its commitment, " if commitment else ""
        _out().print(f"[green]verified[/green]: {checked}stops {expected} come from the seed", highlight=False)
    if problems:
        raise typer.Exit(1)
