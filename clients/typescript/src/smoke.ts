/**
 * Smoke test against a live server: plays a gameplay session through the typed v1 client and
 * one A2A coinflip (open_channel, coinflip_commit, coinflip_reveal, close_channel), checking
 * the results the way an agent would (state machine, balances, commit-reveal proof).
 *
 *   ROYALE_URL=http://127.0.0.1:8000 ROYALE_TOKEN=<agent token with a funded wallet> npm run smoke
 */
import { createHash, randomBytes } from "node:crypto";

import { CasinoClient, type ChannelContent, type CloseContent, type CoinflipRevealContent,
  type CommitContent } from "./a2a.js";
import { createRoyaleClient, RoyaleApiError, unwrap, type ActionResult, type GameplayAction } from "./client.js";

const SCALE = 18;

/** A decimal string as an integer count of 1e-18 units: exact, no floats near money. */
function units(amount: string): bigint {
  const [whole = "0", fraction = ""] = amount.split(".");
  return BigInt(whole + fraction.padEnd(SCALE, "0").slice(0, SCALE));
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`smoke check failed: ${message}`);
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function playSession(baseUrl: string, token: string): Promise<void> {
  const api = createRoyaleClient(baseUrl, token);
  const wallets = unwrap(await api.GET("/api/v1/wallets", {})).results;
  const wallet = wallets.find((w) => w.balance !== null && units(w.balance) > 0n);
  check(wallet !== undefined, "the token's owner has a funded wallet");
  const games = unwrap(await api.GET("/api/v1/games", {}));
  const game = games[0];
  check(game !== undefined, "at least one game is loaded");

  const session = unwrap(await api.POST("/api/v1/sessions", {
    body: { game: game.slug, wallet: wallet.id, max_spins: 5, reward_function: "net_payout" },
  }));
  check(session.state === "idle", `new session is idle (got ${session.state})`);
  const path = { params: { path: { session_id: String(session.id) } } };
  const act = async (body: GameplayAction): Promise<ActionResult> =>
    unwrap(await api.POST("/api/v1/sessions/{session_id}/action", { ...path, body }));

  check((await act({ type: "initialize", client_seed: "ts-smoke" })).state === "initialized", "initialize");
  check((await act({ type: "place_bet", amount: game.min_bet })).state === "playing", "place_bet");
  let spins = 0;
  let last: ActionResult | undefined;
  while (spins < 5) {
    last = await act({ type: "spin" });
    spins += 1;
    if (last.state !== "playing") break;
  }
  check(last !== undefined && last.state === "completed", `max_spins ends the session (got ${last?.state})`);
  const shown = unwrap(await api.GET("/api/v1/sessions/{session_id}", path));
  check(shown.state === "completed" && shown.summary !== null, "completed session has a summary");

  // The error contract, typed: an illegal action is a 409 with a stable code and a request id.
  try {
    await act({ type: "spin" });
    check(false, "spinning a completed session must fail");
  } catch (error) {
    check(error instanceof RoyaleApiError, `expected RoyaleApiError, got ${String(error)}`);
    check(error.status === 409 && error.code === "INVALID_STATE_TRANSITION" && error.requestId.length > 0,
      `409 INVALID_STATE_TRANSITION with request id (got ${error.message})`);
  }
  console.log(`session ${session.id} on ${game.slug}: ${spins} spins, state ${shown.state}, `
    + `payout ${JSON.stringify(shown.summary?.["payout"] ?? null)}`);
}

async function playCoinflip(baseUrl: string, token: string): Promise<void> {
  const casino = new CasinoClient(baseUrl, token);
  const stealthAddress = `0x${randomBytes(20).toString("hex")}`;
  // Binary-exact amounts: on SQLite the channel conservation CHECK is evaluated in floating point,
  // so amounts like 0.01 / 0.1 are refused there (reported; Postgres NUMERIC is exact).
  const agentDeposit = "2";
  const casinoDeposit = "8";
  const opened = await casino.send<ChannelContent>("open_channel", { stealthAddress, agentDeposit, casinoDeposit });
  check(units(opened.agentBalance) === units(agentDeposit), "channel opens with the agent deposit");

  const commit = await casino.send<CommitContent>("coinflip_commit",
    { stealthAddress, betAmount: "0.5", choice: "heads" });
  const agentSeed = randomBytes(16).toString("hex");
  const reveal = await casino.send<CoinflipRevealContent>("coinflip_reveal", { stealthAddress, agentSeed });
  const seedHash = createHash("sha256").update(reveal.proof.casinoSeed).digest("hex");
  check(seedHash === commit.commitment, "the revealed casino seed matches the commitment");
  check(reveal.nonce === 1 && (reveal.result === "heads" || reveal.result === "tails"), "one round resolved");
  check(units(reveal.agentBalance) + units(reveal.casinoBalance) === units(agentDeposit) + units(casinoDeposit),
    "channel balances are conserved");

  const closed = await casino.send<CloseContent>("close_channel", { stealthAddress });
  check(closed.totalGames === 1 && closed.signature.length > 0, "close reports one game and a signature");
  console.log(`coinflip on ${stealthAddress}: ${reveal.result} (${reveal.won ? "won" : "lost"}), `
    + `payout ${reveal.payout}, final agent balance ${closed.agentBalance}`);
}

async function main(): Promise<void> {
  const baseUrl = env("ROYALE_URL");
  const token = env("ROYALE_TOKEN");
  await playSession(baseUrl, token);
  await playCoinflip(baseUrl, token);
  console.log("ts smoke: OK");
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
