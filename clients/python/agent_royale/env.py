"""`AgentRoyaleEnv`: a Gymnasium environment that plays a slot game through the Agent Royale HTTP API.

- reset(): cash out the previous session if still open, create a session, then `initialize` + `place_bet`
  (one v2 batch). Episode = session.
- step(a): with bet levels (b0, …, bk-1), a < k spins at bet level a (sending `place_bet` first, in the same
  batch, when the level changes); a == k cashes out. With the default single level: 0 = spin, 1 = cash_out.
- observation: the float32 vector of agent_royale.spaces (length 16), from the server's trace, so it is exactly
  what the server recorded; reward: the sum of the server-side rewards of the step's actions (the session's
  reward function).
- terminated / truncated: as recorded on the server (max_spins or budget reached → truncated). A spin the
  wallet or budget cannot pay (422) cashes out and ends the episode truncated, with `info["error"]`.
- wallet: `wallet=ID`, or `currency=` to pick the owner's wallet in that currency; without either, the
  owner's only wallet (several → ValueError naming them). `reset()` raises WalletCannotPay when that
  wallet is frozen or cannot pay the first bet plus its fee: episodes of zero reward that never spin
  would otherwise look like training data.

Outcomes come from a server seed the client cannot choose (provably fair), so the environment is registered as
nondeterministic; `seed` only seeds the client seed and `action_space` sampling.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import EnvSpec

from agent_royale.client import ApiError, RoyaleClient
from agent_royale.spaces import observation_space, observation_vector

ENV_ID = "AgentRoyale-v0"
ENTRY_POINT = "agent_royale.env:AgentRoyaleEnv"
OPEN_STATES = ("idle", "initialized", "probing", "playing")


class WalletCannotPay(RuntimeError):
    """The episode's wallet cannot pay a spin (frozen, or balance below bet + fee)."""


class AgentRoyaleEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self, *, game: str, base_url: str | None = None, token: str | None = None, wallet: int | None = None,
                 currency: str | None = None, bet: str = "1", bet_levels: tuple[str, ...] | list[str] | None = None, max_spins: int | None = 100,
                 budget: str | None = None, reward_function: str = "net_payout", policy_id: str = "",
                 policy_version: str = "", client: RoyaleClient | None = None, timeout: float = 10.0):
        self.game, self.wallet, self.max_spins, self.budget = game, wallet, max_spins, budget
        self.currency = currency.upper() if currency else None
        self.reward_function = reward_function
        self.bet_levels = tuple(str(level) for level in (bet_levels or (bet,)))
        self.action_space = gym.spaces.Discrete(len(self.bet_levels) + 1)
        self.observation_space = observation_space()
        self._owns_client = client is None
        self._client = client or RoyaleClient(base_url, token, policy_id=policy_id, policy_version=policy_version,
                                              timeout=timeout)
        self.session_id: int | None = None
        self._last_index = -1
        self._bet: str | None = None
        self._done = True
        if self.spec is None:  # built directly rather than by gymnasium.make: still declare nondeterminism
            self.spec = EnvSpec(id=ENV_ID, entry_point=ENTRY_POINT, nondeterministic=True, kwargs={
                "game": game, "base_url": base_url, "token": token, "wallet": wallet, "currency": currency, "bet": bet,
                "bet_levels": bet_levels, "max_spins": max_spins, "budget": budget,
                "reward_function": reward_function, "policy_id": policy_id, "policy_version": policy_version,
                "client": client, "timeout": timeout})

    # --- helpers ---
    def _wallet_id(self) -> int:
        if self.wallet is None:
            wallets = self._client.wallets()
            candidates = [w for w in wallets if self.currency in (None, str(w["currency"]).upper())]
            if len(candidates) != 1:
                seen = ", ".join(f"{w['id']} ({w['currency']}, balance {w['balance']})" for w in wallets) or "none"
                wanted = f" in {self.currency}" if self.currency else ""
                raise ValueError(f"Pass wallet=ID{'' if self.currency else ' or currency='}: the token's owner has "
                                 f"{len(candidates)} wallet(s){wanted}; its wallets: {seen}.")
            self.wallet = candidates[0]["id"]
        return self.wallet

    def _check_wallet_can_pay(self, wallet_id: int) -> None:
        wallet = self._client.request("GET", f"/api/v1/wallets/{wallet_id}")
        if self.currency and str(wallet["currency"]).upper() != self.currency:
            raise ValueError(f"Wallet {wallet_id} holds {wallet['currency']}, not {self.currency}.")
        needed = Decimal(self.bet_levels[0]) + Decimal(wallet.get("cost_per_spin") or "0")
        if wallet.get("frozen"):
            raise WalletCannotPay(f"Wallet {wallet_id} is frozen: no spin can be paid.")
        if Decimal(wallet["balance"]) < needed:
            raise WalletCannotPay(f"Wallet {wallet_id} holds {wallet['balance']} {wallet['currency']}, less than one "
                                  f"spin ({needed}: bet {self.bet_levels[0]} + fee). Fund it or lower the bet.")

    def _new_steps(self) -> list[dict]:
        steps = list(self._client.trace(self.session_id, after=self._last_index))
        if steps:
            self._last_index = steps[-1]["index"]
        return steps

    def _finish_open_session(self) -> None:
        if self.session_id is None or self._done:
            return
        try:
            self._client.act(self.session_id, {"type": "cash_out"})
        except ApiError as exc:
            if exc.status not in (404, 409):
                raise
        self._done = True

    # --- Gymnasium API ---
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self._finish_open_session()
        client_seed = self.np_random.bytes(16).hex()
        wallet_id = self._wallet_id()
        self._check_wallet_can_pay(wallet_id)
        session = self._client.create_session(game=self.game, wallet=wallet_id, max_spins=self.max_spins,
                                              budget=self.budget, reward_function=self.reward_function,
                                              client_seed=client_seed)
        self.session_id, self._last_index, self._done = session["id"], -1, False
        self._bet = self.bet_levels[0]
        results = self._client.act_batch(self.session_id, [{"type": "initialize"},
                                                           {"type": "place_bet", "amount": self._bet}])
        steps = self._new_steps()
        return observation_vector(steps[-1]["next_observation"]), {
            "session_id": self.session_id, "server_seed_hash": results[0].get("server_seed_hash")}

    def step(self, action):
        if self._done or self.session_id is None:
            raise RuntimeError("The episode is over: call reset().")
        action = int(action)
        if not self.action_space.contains(action):
            raise ValueError(f"Invalid action {action} for {self.action_space}.")
        info: dict[str, Any] = {"session_id": self.session_id}
        if action == len(self.bet_levels):
            self._client.act(self.session_id, {"type": "cash_out"})
        else:
            level = self.bet_levels[action]
            actions = [{"type": "spin"}] if level == self._bet else [{"type": "place_bet", "amount": level},
                                                                     {"type": "spin"}]
            try:
                self._client.act_batch(self.session_id, actions)
                self._bet = level
            except ApiError as exc:
                if exc.status != 422:
                    raise
                info["error"] = exc.code
                self._client.act(self.session_id, {"type": "cash_out"})
        steps = self._new_steps()
        last = steps[-1]
        terminated, truncated = bool(last["terminated"]), bool(last["truncated"])
        if "error" in info:
            terminated, truncated = False, True
        self._done = terminated or truncated
        info.update(state=last["next_observation"].get("state"), step_index=last["index"])
        reward = float(sum(step["reward"] for step in steps))
        return observation_vector(last["next_observation"]), reward, terminated, truncated, info

    def close(self) -> None:
        try:
            self._finish_open_session()
        finally:
            if self._owns_client:
                self._client.close()


if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point=ENTRY_POINT, nondeterministic=True)
