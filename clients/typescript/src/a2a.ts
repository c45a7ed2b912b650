/**
 * The A2A casino endpoint (`POST /api/a2a/casino`). It is not part of the OpenAPI schema (it has
 * its own envelope and error shape, PHASE2_A2A_CASINO.md), so its types are written here.
 */
export const A2A_VERSION = "0.3.0";

export type CasinoAction =
  | "open_channel" | "channel_status" | "close_channel" | "slots_commit" | "slots_reveal"
  | "coinflip_commit" | "coinflip_reveal" | "lotto_buy" | "lotto_status" | "info" | "stats";

export interface Envelope<C> {
  version: string;
  from: { name: string };
  message: { contentType: "application/json"; content: C };
}

export interface CasinoError { error: true; code: string; message: string }

export interface ChannelContent {
  agentBalance: string;
  casinoBalance: string;
  nonce: number;
  [key: string]: unknown;
}

export interface CommitContent { game: string; commitment: string; betAmount: string; choice?: string; expiresAt: number }

export interface CoinflipRevealContent {
  game: "coinflip";
  choice: "heads" | "tails";
  result: "heads" | "tails";
  won: boolean;
  betAmount: string;
  payout: string;
  agentBalance: string;
  casinoBalance: string;
  nonce: number;
  commitment: string;
  proof: { casinoSeed: string; agentSeed: string; resultHash: string };
}

export interface CloseContent extends ChannelContent { totalGames: number; signature: string }

export class CasinoApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly requestId: string) {
    super(`${status} ${code}: ${message} (request_id ${requestId})`);
    this.name = "CasinoApiError";
  }
}

function isCasinoError(content: unknown): content is CasinoError {
  return typeof content === "object" && content !== null && (content as { error?: unknown }).error === true;
}

export class CasinoClient {
  constructor(private readonly baseUrl: string, private readonly token?: string) {}

  /** Send one action; resolves to the reply's `message.content`, rejects with CasinoApiError. */
  async send<R>(action: CasinoAction, params: Record<string, unknown> = {}): Promise<R> {
    const body: Envelope<Record<string, unknown>> = {
      version: A2A_VERSION,
      from: { name: "ts-smoke" },
      message: { contentType: "application/json", content: { action, ...params } },
    };
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (this.token) headers["Authorization"] = `Bearer ${this.token}`;
    const response = await fetch(`${this.baseUrl.replace(/\/+$/, "")}/api/a2a/casino`, {
      method: "POST", headers, body: JSON.stringify(body),
    });
    const requestId = response.headers.get("X-Request-ID") ?? "";
    const reply = (await response.json()) as Envelope<unknown>;
    const content = reply.message.content;
    if (!response.ok || isCasinoError(content)) {
      const error = isCasinoError(content) ? content : { code: "HTTP_ERROR", message: JSON.stringify(content) };
      throw new CasinoApiError(response.status, error.code, error.message, requestId);
    }
    return content as R;
  }
}
