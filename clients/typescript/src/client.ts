/**
 * A typed client for the Agent Royale v1 API.
 *
 * Paths, bodies and responses are typed from the OpenAPI schema (`npm run generate` writes
 * src/generated/schema.ts from `manage.py spectacular --api-version v1`), so a renamed field or
 * path fails `tsc --strict`, not a player. Money stays a decimal string end to end.
 */
import createClient, { type Client, type Middleware } from "openapi-fetch";

import type { components, paths } from "./generated/schema.js";

export type Schemas = components["schemas"];
export type Session = Schemas["SessionOutput"];
export type ActionResult = Schemas["ActionResult"];
export type GameplayAction = Schemas["GameplayActionRequest"];
export type Wallet = Schemas["WalletOutput"];
export type Game = Schemas["GamePublic"];
export type ApiErrorBody = Schemas["Error"];

/** The v1 error contract: a stable code, a message, details and the request id to quote. */
export class RoyaleApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown>,
    readonly requestId: string,
  ) {
    super(`${status} ${code}: ${message} (request_id ${requestId})`);
    this.name = "RoyaleApiError";
  }
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === "object" && error !== null && "code" in error;
}

/** Return `data`, or throw the API's error as a RoyaleApiError. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    const body = result.error;
    if (isErrorBody(body)) {
      const { code, message, details, request_id } = body.error;
      throw new RoyaleApiError(result.response.status, code, message, details, request_id);
    }
    throw new RoyaleApiError(result.response.status, "HTTP_ERROR", JSON.stringify(body ?? null), {},
      result.response.headers.get("X-Request-ID") ?? "");
  }
  return result.data;
}

export type RoyaleClient = Client<paths>;

export function createRoyaleClient(baseUrl: string, token: string): RoyaleClient {
  const client = createClient<paths>({ baseUrl: baseUrl.replace(/\/+$/, "") });
  const auth: Middleware = {
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  };
  client.use(auth);
  return client;
}
