"""`royale`: the Agent Royale command line.

Configuration comes from the environment (`ROYALE_URL`, default http://127.0.0.1:8000, and
`ROYALE_TOKEN`) or from `--url` / `--token`. Output is a human table by default; `--output json`
(`-o json`, or the older `--json`, before the command) prints the API's JSON unchanged, for
scripts. An API error prints its code, message and request id on stderr and exits with status 1
(2 for bad command-line usage, as usual).

    royale games
    royale wallet show 1
    royale sessions create --game fruit-low --wallet 1
    royale sessions act 7 place_bet --amount 0.5
    royale spin --session 7 --n 100
    royale a2a open_channel '{"stealthAddress": "0x…", "agentDeposit": "1", "casinoDeposit": "5"}'
    royale campaigns start --game fruit-low --spins 100000 --wait
    royale match --campaign 3
    royale export traces --out traces.jsonl
    royale verify --server-seed S --client-seed C --nonce 3 --reel-lengths 32,32,32,32,32 --stops 3,17,8,0,21
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from enum import Enum
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agent_royale.client import ApiError, RoyaleClient

DEFAULT_URL = "http://127.0.0.1:8000"
A2A_PATH = "/api/a2a/casino"
A2A_VERSION = "0.3.0"

app = typer.Typer(help="Agent Royale command line client.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
sessions_app = typer.Typer(help="Gameplay sessions.", no_args_is_help=True)
wallet_app = typer.Typer(help="Wallets.", no_args_is_help=True)
app.add_typer(sessions_app, name="sessions")
app.add_typer(wallet_app, name="wallet")


class Output(str, Enum):
    TABLE = "table"
    JSON = "json"


@dataclass
class Config:
    url: str
    token: str | None
    as_json: bool
    timeout: float

    def client(self) -> RoyaleClient:
        if not self.token:
            _fail_usage("No API token: set ROYALE_TOKEN or pass --token.")
        return RoyaleClient(self.url, self.token, timeout=self.timeout)


def _out() -> Console:
    # Built per call so a test runner's redirected stdout is honoured.
    return Console(file=sys.stdout, soft_wrap=True)


def _err() -> Console:
    return Console(file=sys.stderr, soft_wrap=True)


def _fail_usage(message: str) -> NoReturn:
    _err().print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def _fail_api(cfg: Config, exc: ApiError) -> NoReturn:
    if cfg.as_json:
        print(json.dumps({"error": {"status": exc.status, "code": exc.code, "message": exc.message,
                                    "details": exc.details, "request_id": exc.request_id}}), file=sys.stderr)
    else:
        err = _err()
        err.print(f"[red]error {exc.status} {exc.code}[/red]: {exc.message}", markup=True, highlight=False)
        if exc.details:
            err.print(f"  details: {json.dumps(exc.details, sort_keys=True)}", markup=False, highlight=False)
        if exc.request_id:
            err.print(f"  request_id: {exc.request_id}", markup=False, highlight=False)
    raise typer.Exit(1)


def _call(cfg: Config, method: str, path: str, **kwargs: Any) -> Any:
    """One API request; errors become a clear message and exit status 1."""
    with cfg.client() as client:
        return _request(cfg, client, method, path, **kwargs)


def _request(cfg: Config, client: RoyaleClient, method: str, path: str, **kwargs: Any) -> Any:
    try:
        return client.request(method, path, **kwargs)
    except ApiError as exc:
        _fail_api(cfg, exc)
    except httpx.HTTPError as exc:
        _err().print(f"[red]error[/red]: cannot reach {cfg.url}: {exc}", highlight=False)
        raise typer.Exit(1) from None


def _results(payload: Any) -> list[dict]:
    if isinstance(payload, dict) and isinstance(payload.get("results"), list):
        return payload["results"]
    return payload if isinstance(payload, list) else [payload]


def _print_json(payload: Any) -> None:
    print(json.dumps(payload, indent=2, sort_keys=True))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _table(title: str, rows: list[dict], columns: list[str]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(row.get(column)) for column in columns))
    _out().print(table)


def _record(title: str, data: dict, keys: list[str] | None = None) -> None:
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key in keys or list(data):
        if key in data:
            table.add_row(key, _cell(data[key]))
    _out().print(table)


def _amount(value: str, *, field: str = "amount") -> str:
    """Money stays a decimal string; reject what the server would reject, before sending."""
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        _fail_usage(f"{field} must be a decimal string like 1.5 (got {value!r})")
    if not parsed.is_finite() or parsed <= 0 or "e" in value.lower():
        _fail_usage(f"{field} must be a positive decimal without an exponent (got {value!r})")
    return value


# --- global options ---------------------------------------------------------------------------

@app.callback()
def main(ctx: typer.Context,
         url: str = typer.Option(None, "--url", envvar="ROYALE_URL", help=f"API base URL [default: {DEFAULT_URL}]"),
         token: str = typer.Option(None, "--token", envvar="ROYALE_TOKEN", help="Bearer token", show_default=False),
         output: Output = typer.Option(Output.TABLE, "--output", "-o", help="table (for people) or json (for scripts)"),
         as_json: bool = typer.Option(False, "--json", help="Same as --output json"),
         timeout: float = typer.Option(10.0, "--timeout", help="Seconds per request")) -> None:
    ctx.obj = Config(url=(url or DEFAULT_URL).rstrip("/"), token=token, as_json=as_json or output is Output.JSON,
                     timeout=timeout)


def _cfg(ctx: typer.Context) -> Config:
    return ctx.find_root().obj


# --- games, fingerprints ----------------------------------------------------------------------

@app.command()
def games(ctx: typer.Context) -> None:
    """List the slot games (public shape: no paytable or RTP)."""
    cfg = _cfg(ctx)
    payload = _call(cfg, "GET", "/api/v1/games")
    if cfg.as_json:
        return _print_json(payload)
    rows = [{**game, "window": "{rows}x{reels}, {lines} lines".format(**{"rows": "?", "reels": "?", "lines": "?",
                                                                          **(game.get("window") or {})})}
            for game in _results(payload)]
    _table("Games", rows, ["slug", "name", "version", "min_bet", "max_bet", "window"])


@app.command()
def fingerprints(ctx: typer.Context,
                 engine: str = typer.Option(None, help="engine_key, e.g. local:fruit-low:v1"),
                 latest: bool = typer.Option(False, "--latest", help="Only the newest version per engine")) -> None:
    """List the fingerprint profile library."""
    cfg = _cfg(ctx)
    params = {key: value for key, value in (("engine", engine), ("latest", "true" if latest else None)) if value}
    with cfg.client() as client:
        try:
            payload = client.request("GET", "/api/v1/fingerprints/profiles", params=params or None)
        except ApiError as exc:
            if exc.status == 404 and exc.code == "NOT_FOUND" and not exc.details:
                _err().print("This server has no fingerprint API.")
                raise typer.Exit(0) from None
            _fail_api(cfg, exc)
        except httpx.HTTPError as exc:
            _err().print(f"[red]error[/red]: cannot reach {cfg.url}: {exc}", highlight=False)
            raise typer.Exit(1) from None
    if cfg.as_json:
        return _print_json(payload)
    rows = [{**profile, "rtp": (profile.get("rtp") or {}).get("estimate")} for profile in _results(payload)]
    _table("Fingerprint profiles", rows, ["id", "engine_key", "version", "spins", "rtp", "par_rtp", "volatility",
                                          "exact"])


# --- wallets ----------------------------------------------------------------------------------

WALLET_FIELDS = ["id", "owner", "currency", "balance", "frozen", "daily_limit", "spent_today", "remaining_today",
                 "cost_per_spin", "cost_per_query", "updated_at"]


@wallet_app.command("show")
def wallet_show(ctx: typer.Context, wallet_id: int = typer.Argument(None, help="Wallet id (default: list yours)")) -> None:
    """Show one wallet, or list the wallets you can see."""
    cfg = _cfg(ctx)
    if wallet_id is None:
        payload = _call(cfg, "GET", "/api/v1/wallets")
        if cfg.as_json:
            return _print_json(payload)
        return _table("Wallets", _results(payload), ["id", "owner", "currency", "balance", "frozen", "daily_limit"])
    payload = _call(cfg, "GET", f"/api/v1/wallets/{wallet_id}")
    if cfg.as_json:
        return _print_json(payload)
    _record(f"Wallet {wallet_id}", payload, WALLET_FIELDS)


def _wallet_operation(ctx: typer.Context, operation: str, wallet_id: int, amount: str, reference: str,
                      idempotency_key: str | None) -> None:
    cfg = _cfg(ctx)
    body = {"type": operation, "amount": _amount(amount), "reference": reference}
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    payload = _call(cfg, "POST", f"/api/v1/wallets/{wallet_id}/operations", json=body, headers=headers)
    if cfg.as_json:
        return _print_json(payload)
    wallet = payload.get("wallet", payload) if isinstance(payload, dict) else {}
    _out().print(f"{operation} of {amount} on wallet {wallet_id}: balance now {wallet.get('balance', '?')} "
                 f"{wallet.get('currency', '')}".rstrip(), highlight=False)


_REFERENCE = typer.Option("", "--reference", help="Free text stored on the ledger entry")
_IDEMPOTENCY_KEY = typer.Option(None, "--idempotency-key", help="Makes a retry of this exact call safe")


@wallet_app.command("deposit")
def wallet_deposit(ctx: typer.Context, wallet_id: int, amount: str, reference: str = _REFERENCE,
                   idempotency_key: str = _IDEMPOTENCY_KEY) -> None:
    """Credit AMOUNT (admin token)."""
    _wallet_operation(ctx, "deposit", wallet_id, amount, reference, idempotency_key)


@wallet_app.command("withdraw")
def wallet_withdraw(ctx: typer.Context, wallet_id: int, amount: str, reference: str = _REFERENCE,
                    idempotency_key: str = _IDEMPOTENCY_KEY) -> None:
    """Debit AMOUNT (the wallet's owner, or admin)."""
    _wallet_operation(ctx, "withdraw", wallet_id, amount, reference, idempotency_key)


# --- sessions ---------------------------------------------------------------------------------

def _print_session(cfg: Config, session: dict) -> None:
    if cfg.as_json:
        return _print_json(session)
    metrics = session.get("metrics") or {}
    _record(f"Session {session.get('id')}", {**session, **{f"metrics.{k}": v for k, v in metrics.items()}},
            ["id", "owner", "game", "game_version", "wallet", "state", "allowed_actions", "bet", "budget", "max_spins",
             *[f"metrics.{k}" for k in metrics], "created_at", "completed_at"])
    transitions = session.get("transitions") or []
    if transitions:
        _table("Transitions", transitions, [k for k in ("from_state", "to_state", "action", "cause", "at")
                                            if any(k in t for t in transitions)])


@sessions_app.command("create")
def sessions_create(ctx: typer.Context,
                    game: str = typer.Option(..., "--game", help="Game slug (see `royale games`)"),
                    wallet: int = typer.Option(..., "--wallet", help="Your wallet id"),
                    budget: str = typer.Option(None, help="Most the session may spend (decimal string)"),
                    max_spins: int = typer.Option(None, "--max-spins", min=1),
                    client_seed: str = typer.Option(None, "--client-seed"),
                    reward_function: str = typer.Option("net_payout", "--reward-function")) -> None:
    """Create a session (state idle)."""
    cfg = _cfg(ctx)
    body: dict[str, Any] = {"game": game, "wallet": wallet, "reward_function": reward_function}
    if budget is not None:
        body["budget"] = _amount(budget, field="budget")
    if max_spins is not None:
        body["max_spins"] = max_spins
    if client_seed is not None:
        body["client_seed"] = client_seed
    _print_session(cfg, _call(cfg, "POST", "/api/v1/sessions", json=body))


@sessions_app.command("show")
def sessions_show(ctx: typer.Context, session_id: int) -> None:
    """Show a session: state, allowed actions, metrics, recent transitions."""
    cfg = _cfg(ctx)
    _print_session(cfg, _call(cfg, "GET", f"/api/v1/sessions/{session_id}"))


def _print_result(cfg: Config, result: dict) -> None:
    if cfg.as_json:
        return _print_json(result)
    _record(f"{result.get('action')} → {result.get('state')}", result,
            [k for k in ("action", "state", "symbols", "payout", "balance_after", "nonce", "reward", "auto_evaluated",
                         "summary", "proof") if k in result])


@sessions_app.command("act")
def sessions_act(ctx: typer.Context, session_id: int,
                 action: str = typer.Argument(..., help="initialize | probe | place_bet | spin | cash_out | abort"),
                 amount: str = typer.Option(None, help="place_bet: stake per spin"),
                 count: int = typer.Option(None, help="probe: how many probes", min=1),
                 client_seed: str = typer.Option(None, "--client-seed", help="initialize: your seed"),
                 idempotency_key: str = _IDEMPOTENCY_KEY) -> None:
    """Apply one gameplay action."""
    cfg = _cfg(ctx)
    body: dict[str, Any] = {"type": action}
    if amount is not None:
        body["amount"] = _amount(amount)
    if count is not None:
        body["count"] = count
    if client_seed is not None:
        body["client_seed"] = client_seed
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    _print_result(cfg, _call(cfg, "POST", f"/api/v1/sessions/{session_id}/action", json=body, headers=headers))


@app.command()
def spin(ctx: typer.Context,
         session: int = typer.Option(..., "--session", help="Session id (initialized, or playing)"),
         n: int = typer.Option(1, "--n", min=1, max=100_000, help="How many spins"),
         bet: str = typer.Option(None, "--bet", help="place_bet first with this stake")) -> None:
    """Spin N times with a progress bar; stops early when the session leaves `playing`."""
    cfg = _cfg(ctx)
    spins, total_payout, wins, last = 0, Decimal(0), 0, {}
    with cfg.client() as client:
        if bet is not None:
            _request(cfg, client, "POST", f"/api/v1/sessions/{session}/action",
                     json={"type": "place_bet", "amount": _amount(bet, field="bet")})
        progress = Progress(TextColumn("spinning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("{task.fields[status]}"), console=_err(), transient=cfg.as_json,
                            disable=cfg.as_json)
        with progress:
            task = progress.add_task("spin", total=n, status="")
            for _ in range(n):
                last = _request(cfg, client, "POST", f"/api/v1/sessions/{session}/action", json={"type": "spin"})
                spins += 1
                payout = Decimal(last.get("payout") or 0)
                total_payout += payout
                wins += payout > 0
                progress.update(task, advance=1, status=f"balance {last.get('balance_after', '?')}")
                if last.get("state") != "playing":
                    break
    summary = {"session": session, "spins": spins, "wins": wins, "total_payout": str(total_payout),
               "balance_after": last.get("balance_after"), "state": last.get("state")}
    if last.get("auto_evaluated"):
        summary["stopped"] = last["auto_evaluated"]
    if cfg.as_json:
        return _print_json(summary)
    _record(f"{spins} spin(s) on session {session}", summary)


# --- A2A casino -------------------------------------------------------------------------------

@app.command()
def a2a(ctx: typer.Context,
        action: str = typer.Argument(..., help="open_channel, channel_status, close_channel, slots_commit, "
                                               "slots_reveal, coinflip_commit, coinflip_reveal, lotto_buy, "
                                               "lotto_status, info, stats"),
        params: str = typer.Argument(None, metavar="[PARAMS]", help="Parameters as a JSON object"),
        legacy_params: str = typer.Option(None, "--json", "-j", hidden=True,
                                          help="Old spelling of PARAMS (kept for existing scripts)"),
        idempotency_key: str = typer.Option(None, "--idempotency-key", help="Sent as X-Idempotency-Key")) -> None:
    """Send one A2A casino action in the A2A envelope and print the reply's content.

    PARAMS is a JSON object, e.g. royale a2a coinflip_commit '{"stealthAddress": "0x…", "betAmount": "0.01",
    "choice": "heads"}'. Raw JSON output is the global -o json, as for every command."""
    cfg = _cfg(ctx)
    if params is not None and legacy_params is not None:
        _fail_usage("give the parameters once: as PARAMS (or the old --json), not both")
    params = params if params is not None else (legacy_params if legacy_params is not None else "{}")
    try:
        content = json.loads(params)
    except ValueError as exc:
        _fail_usage(f"PARAMS is not valid JSON: {exc}")
    if not isinstance(content, dict):
        _fail_usage("PARAMS must be a JSON object")
    envelope = {"version": A2A_VERSION, "from": {"name": "royale-cli"},
                "message": {"contentType": "application/json", "content": {"action": action, **content}}}
    headers = {"Authorization": f"Bearer {cfg.token}"} if cfg.token else {}
    if idempotency_key:
        headers["X-Idempotency-Key"] = idempotency_key
    try:
        response = httpx.post(f"{cfg.url}{A2A_PATH}", json=envelope, headers=headers, timeout=cfg.timeout)
    except httpx.HTTPError as exc:
        _err().print(f"[red]error[/red]: cannot reach {cfg.url}: {exc}", highlight=False)
        raise typer.Exit(1) from None
    try:
        reply = response.json()["message"]["content"]
    except (ValueError, KeyError, TypeError):
        _fail_api(cfg, ApiError(response.status_code, "HTTP_ERROR", response.text[:200],
                                request_id=response.headers.get("X-Request-ID", "")))
    if not isinstance(reply, dict):
        reply = {"content": reply}
    if response.status_code >= 400 or reply.get("error") is True:
        _fail_api(cfg, ApiError(response.status_code, str(reply.get("code", "HTTP_ERROR")),
                                str(reply.get("message", "")), request_id=response.headers.get("X-Request-ID", "")))
    if cfg.as_json:
        return _print_json(reply)
    _record(f"a2a {action}", reply)


# Campaigns, matching and exports live in their own module; importing it registers the commands.
from agent_royale import cli_fingerprint  # noqa: E402,F401
from agent_royale import cli_verify  # noqa: E402,F401

if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
