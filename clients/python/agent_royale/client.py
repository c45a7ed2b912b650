"""A small synchronous client for the Agent Royale HTTP API (v1 paths, v2 for batches).

Errors come back as `ApiError` carrying the API's stable `code`, the HTTP status and `details`.
Money stays a decimal string on the wire and in the returned dicts: never convert it to float for accounting.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx

DEFAULT_TIMEOUT = 10.0


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: dict | None = None, request_id: str = ""):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.details, self.request_id = details or {}, request_id


def _error_of(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if isinstance(body.get("error"), dict):  # v1 envelope
        error = body["error"]
        return ApiError(response.status_code, error.get("code", "UNKNOWN"), error.get("message", ""),
                        error.get("details"), error.get("request_id", ""))
    if "code" in body:  # v2 problem+json
        return ApiError(response.status_code, body["code"], body.get("detail", ""), body.get("details"),
                        body.get("request_id", ""))
    return ApiError(response.status_code, "HTTP_ERROR", response.text[:200])


class RoyaleClient:
    """`RoyaleClient(base_url="http://127.0.0.1:8000", token="...")`; both default to ROYALE_URL / ROYALE_TOKEN.

    `policy_id` / `policy_version` are sent as X-Policy-Id / X-Policy-Version on every request, so the
    server records them on each experience step."""

    def __init__(self, base_url: str | None = None, token: str | None = None, *, policy_id: str = "",
                 policy_version: str = "", timeout: float = DEFAULT_TIMEOUT, transport: httpx.BaseTransport | None = None):
        base_url = (base_url or os.environ.get("ROYALE_URL") or "http://127.0.0.1:8000").rstrip("/")
        token = token or os.environ.get("ROYALE_TOKEN")
        if not token:
            raise ValueError("An API token is required (argument or ROYALE_TOKEN).")
        headers = {"Authorization": f"Bearer {token}", "User-Agent": "agent-royale-client/0.1"}
        if policy_id:
            headers["X-Policy-Id"] = policy_id
        if policy_version:
            headers["X-Policy-Version"] = policy_version
        self.base_url = base_url
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout, transport=transport)

    # --- plumbing ---
    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                headers: dict | None = None) -> Any:
        response = self._http.request(method, path, json=json, params=params, headers=headers)
        if response.status_code >= 400:
            raise _error_of(response)
        return response.json() if response.content else None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RoyaleClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _pages(self, path: str, params: dict | None = None) -> Iterator[dict]:
        page = self.request("GET", path, params=params)
        while True:
            yield from page["results"]
            if not page.get("next"):
                return
            page = self.request("GET", page["next"])  # absolute URL: httpx keeps it as is

    # --- wallets and sessions ---
    def wallets(self) -> list[dict]:
        return list(self._pages("/api/v1/wallets"))

    def create_session(self, *, game: str, wallet: int, max_spins: int | None = None, budget: str | None = None,
                       reward_function: str = "net_payout", client_seed: str | None = None) -> dict:
        body: dict[str, Any] = {"game": game, "wallet": wallet, "reward_function": reward_function}
        for name, value in (("max_spins", max_spins), ("budget", budget), ("client_seed", client_seed)):
            if value is not None:
                body[name] = value
        return self.request("POST", "/api/v1/sessions", json=body)

    def session(self, session_id: int) -> dict:
        return self.request("GET", f"/api/v1/sessions/{session_id}")

    def act(self, session_id: int, action: dict, *, idempotency_key: str | None = None) -> dict:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.request("POST", f"/api/v1/sessions/{session_id}/action", json=action, headers=headers)

    def act_batch(self, session_id: int, actions: list[dict], *, idempotency_key: str | None = None) -> list[dict]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.request("POST", f"/api/v2/sessions/{session_id}/actions", json={"actions": actions},
                            headers=headers)["results"]

    # --- RL ---
    def trace(self, session_id: int, *, after: int | None = None, limit: int = 1000) -> Iterator[dict]:
        params: dict[str, Any] = {"limit": limit}
        if after is not None:
            params["after"] = after
        return self._pages(f"/api/v1/sessions/{session_id}/trace", params)

    def episodes(self, **filters: Any) -> Iterator[dict]:
        return self._pages("/api/v1/rl/episodes", {k: v for k, v in filters.items() if v is not None})

    def feedback(self, *, session: int, policy_id: str, policy_version: str = "", step: int | None = None,
                 value_estimates: dict | None = None, data: Any = None) -> dict:
        body = {"session": session, "policy_id": policy_id, "policy_version": policy_version, "step": step,
                "value_estimates": value_estimates or {}, "data": data if data is not None else {}}
        return self.request("POST", "/api/v1/rl/feedback", json=body)

    def register_hook(self, *, url: str, events: list[str], reward_threshold: float | None = None) -> dict:
        return self.request("POST", "/api/v1/rl/hooks", json={"url": url, "events": events,
                                                              "reward_threshold": reward_threshold})

    def rotate_hook_secret(self, hook_id: int, *, grace_seconds: int = 0, idempotency_key: str | None = None) -> dict:
        """New signing secret (shown only in this answer); the old one also signs for ``grace_seconds``."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.request("POST", f"/api/v1/rl/hooks/{hook_id}/rotate-secret",
                            json={"grace_seconds": grace_seconds}, headers=headers)
