#!/usr/bin/env python3
"""Screenshots of the operator console with real data, by headless Chromium, into docs/img/:
dashboard.png, campaign.png, profile.png, swagger.png and admin-index.png.

    .venv/bin/python scripts/screenshots.py [--out docs/img] [--spins 1500]

Uses the configured database (DATABASE_URL, or the embedded PostgreSQL by default): migrates,
seeds the demo, plays some sessions and A2A coinflips through the API when there is little play
yet, probes fruit-low once (20,000 spins) and runs both audits, then starts a local server on a
free port of 127.0.0.1 and drives Chromium over its DevTools pipe (no extra Python package): the
admin pages are opened with a session cookie for a `screenshots` admin login made here, so no
password is typed or stored.

Needs Chromium: Debian's package (`apt-get install -y chromium`) is installed when the script runs
as root with apt-get; otherwise it says what to install and exits 2. CHROMIUM=/path overrides.
Not part of CI: tests/operator_console/test_pages_render.py checks the same pages render with
data, without a browser.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                  "--remote-debugging-pipe"]
VIEWPORT = (1280, 900)
MAX_PAGE_HEIGHT = 3200
SERVER_START_SECONDS = 60
PAGE_SECONDS = 30


def log(message: str) -> None:
    print(f"[screenshots] {message}", file=sys.stderr, flush=True)


# --- Chromium ----------------------------------------------------------------------------------

def find_chromium() -> str:
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("Chromium is missing: installing Debian's package (apt-get install -y chromium) ...")
        subprocess.run(["apt-get", "install", "-y", "chromium"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        path = shutil.which("chromium")
        if path:
            return path
    sys.exit("Chromium is needed for the screenshots: install it (Debian/Ubuntu: `apt-get install -y chromium`) "
             "or point CHROMIUM at a Chrome/Chromium binary, then run this again.")


class Browser:
    """Chromium's DevTools protocol over --remote-debugging-pipe: JSON messages ending in NUL, our
    commands on the child's fd 3, its replies and events on fd 4."""

    def __init__(self, executable: str, profile_dir: str):
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # The child must see our pipe ends as fds 3 and 4, whatever numbers they have here.
        def child_fds() -> None:  # via fresh numbers first, so neither end overwrites the other
            inbound, outbound = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(inbound, 3)
            os.dup2(outbound, 4)

        # close_fds=False keeps the dup2'd 3 and 4 (inheritable); os.pipe's own ends close on exec.
        self._process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
            close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=child_fds)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.session = ""

    def call(self, method: str, params: dict | None = None, *, session: bool = True, timeout: float = PAGE_SECONDS):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
        raise TimeoutError(f"{method}: no answer in {timeout:g} s")

    def _read(self, deadline: float) -> dict:
        import select

        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_child], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium exited")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open_tab(self) -> None:
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        self.session = self.call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True},
                                 session=False)["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride", {"width": VIEWPORT[0], "height": VIEWPORT[1],
                                                         "deviceScaleFactor": 1, "mobile": False})

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})["result"].get("value")

    def screenshot(self, url: str, path: Path, *, ready: str = "document.readyState === 'complete'") -> None:
        self.call("Page.navigate", {"url": url})
        deadline = time.monotonic() + PAGE_SECONDS
        time.sleep(0.3)
        while not self.evaluate(f"Boolean({ready})"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url}: not ready after {PAGE_SECONDS} s ({ready})")
            time.sleep(0.25)
        height = min(int(self.evaluate("document.documentElement.scrollHeight") or VIEWPORT[1]), MAX_PAGE_HEIGHT)
        self.call("Emulation.setDeviceMetricsOverride", {"width": VIEWPORT[0], "height": max(height, VIEWPORT[1]),
                                                         "deviceScaleFactor": 1, "mobile": False})
        time.sleep(0.3)
        shot = self.call("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(shot["data"]))
        self.call("Emulation.setDeviceMetricsOverride", {"width": VIEWPORT[0], "height": VIEWPORT[1],
                                                         "deviceScaleFactor": 1, "mobile": False})
        log(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({height}px high)")

    def close(self) -> None:
        try:
            self.call("Browser.close", session=False, timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._to_child, self._from_child):
            os.close(fd)


# --- data and server ---------------------------------------------------------------------------

def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casino_project.settings")
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("RATELIMIT_ENABLE", "false")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    import django

    django.setup()


def prepare_data() -> dict:
    """Migrate, seed, and make sure there is something to look at. Returns ids and the login."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from core.services import token_create
    from fingerprint_app.models import ProbeCampaign
    from operator_console.services import channel_audit_run_by, ledger_audit_run_by, operator_login_upsert

    log("database: migrate and seed_demo")
    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    from decimal import Decimal

    from wallet_app import services as wallet_services
    from wallet_app.models import Wallet

    admin, _ = operator_login_upsert(username="screenshots", role="admin", password=os.urandom(24).hex())
    agent_wallet = Wallet.objects.filter(owner__username="demo-agent").order_by("pk").first()
    if agent_wallet is not None and agent_wallet.balance < Decimal("500"):
        wallet_services.deposit(wallet_id=agent_wallet.pk, amount=Decimal("1000"), reference="screenshots:top-up")
    _, agent_token = token_create(name=f"screenshots-{int(time.time())}", role="agent", owner_username="demo-agent")
    campaign = ProbeCampaign.objects.filter(status__in=["completed", "completed_exact"]).order_by("-id").first()
    if campaign is None:
        log("probing fruit-low (20,000 spins) for the campaign and profile pages")
        call_command("probe", "--game", "fruit-low", "--spins", "20000", "--chunk-size", "2000", "--seed",
                     "screenshots", stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))
        campaign = ProbeCampaign.objects.order_by("-id").first()
    return {"admin": get_user_model().objects.get(pk=admin.pk), "agent_token": agent_token,
            "campaign": campaign.pk, "profile": campaign.profile_id,
            "audit": lambda: (ledger_audit_run_by(actor=admin), channel_audit_run_by(actor=admin))}


def play(base: str, token: str, *, spins: int) -> None:
    """Sessions on every demo game and a few A2A coinflips, through the public API."""
    sys.path.insert(0, str(ROOT / "clients" / "python"))
    from agent_royale.client import ApiError, RoyaleClient
    from sessions_app.models import SessionSpin

    if SessionSpin.objects.count() >= spins:
        log("enough play already; not adding more")
        return
    log(f"playing {spins:,} spins on each demo game and 3 A2A channels")
    with RoyaleClient(base, token, timeout=300) as client:
        wallet = client.wallets()[0]
        for game in ("classic-medium", "dragon-high", "fruit-low"):
            session = client.create_session(game=game, wallet=wallet["id"])
            client.act(session["id"], {"type": "initialize"})
            client.act(session["id"], {"type": "place_bet", "amount": "0.2"})
            try:
                for _ in range(0, spins, 500):
                    results = client.act_batch(session["id"], [{"type": "spin"}] * min(500, spins))
                    if results and results[-1].get("state") != "playing":
                        break
            except ApiError as exc:  # a wallet that ran dry ends this game's play, not the script
                log(f"{game}: stopped early ({exc.code})")
        for n in range(3):
            address = f"0x{int(time.time()) % 10**6:034x}{n:06x}"
            a2a = lambda action, **params: client.request(  # noqa: E731
                "POST", "/api/a2a/casino", json={"version": "0.3.0", "from": {"name": "screenshots"},
                                                 "message": {"contentType": "application/json",
                                                             "content": {"action": action, "stealthAddress": address,
                                                                         **params}}})
            try:
                a2a("open_channel", agentDeposit="1", casinoDeposit="2")
                for round_ in range(12):
                    a2a("coinflip_commit", betAmount="0.01", choice="heads")
                    a2a("coinflip_reveal", agentSeed=f"s{round_}")
                if n < 2:
                    a2a("close_channel")
            except ApiError as exc:
                log(f"A2A channel {address}: stopped early ({exc.code}: {exc.message})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, log_file) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload",
                               "--skip-checks"], cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"the server exited; see {log_file.name}")
            time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"the server did not answer /health in {SERVER_START_SECONDS} s; see {log_file.name}")


def session_cookie(user) -> tuple[str, str]:
    """A logged-in admin session for `user`, as the login form would make it."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return settings.SESSION_COOKIE_NAME, store.session_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--spins", type=int, default=1500, help="spins per demo game when adding play")
    parser.add_argument("--skip-play", action="store_true", help="only screenshot what the database holds")
    args = parser.parse_args()
    chromium = find_chromium()
    args.out.mkdir(parents=True, exist_ok=True)
    django_setup()
    data = prepare_data()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="royale-screenshots-") as tmp:
        with open(Path(tmp) / "server.log", "w") as server_log:
            log(f"server on {base}")
            server = start_server(port, server_log)
            browser = None
            try:
                if not args.skip_play:
                    play(base, data["agent_token"], spins=args.spins)
                data["audit"]()
                name, value = session_cookie(data["admin"])
                browser = Browser(chromium, str(Path(tmp) / "profile"))
                browser.open_tab()
                browser.call("Network.enable")
                browser.call("Network.setCookie", {"name": name, "value": value, "url": base, "httpOnly": True})
                shots = [("/admin/console/", "dashboard.png", "document.querySelector('#operator-dashboard')"),
                         (f"/admin/fingerprint_app/probecampaign/{data['campaign']}/change/", "campaign.png",
                          "document.querySelector('figure svg')"),
                         (f"/admin/fingerprint_app/fingerprintprofile/{data['profile']}/change/", "profile.png",
                          "document.querySelectorAll('figure svg').length === 3"),
                         ("/api/docs/", "swagger.png", "document.querySelectorAll('.opblock').length > 0"),
                         ("/admin/", "admin-index.png", "document.querySelector('#operator-console-link')")]
                for path, filename, ready in shots:
                    try:
                        browser.screenshot(base + path, args.out / filename, ready=ready)
                    except TimeoutError as exc:  # e.g. Swagger UI whose scripts did not load: no blank image
                        failures.append(str(exc))
                        log(f"skipped {filename}: {exc}")
            finally:
                if browser is not None:
                    browser.close()
                server.terminate()
                server.wait(timeout=30)
    if failures:
        sys.exit("some pages did not render:\n  " + "\n  ".join(failures))


if __name__ == "__main__":
    main()
