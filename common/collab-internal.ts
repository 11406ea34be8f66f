/**
 * The contract of the collab-server's internal API (collab-server/internal-api.ts):
 * server-side changes to live documents, asked for by the web app (REST API:
 * add/remove cards, restore a version) and the workers (an import into a
 * library). One definition of each route's body and answer, and the one client
 * both callers use (`callCollabInternal`).
 *
 * The API listens on its own port (COLLAB_INTERNAL_HOST/PORT, loopback by
 * default), never on the public WebSocket port. A caller proves it is a
 * Crosslink service with `Authorization: Bearer <COLLAB_SERVICE_SECRET>` and
 * names the person the change is made for (`on_behalf_of`); the collab-server
 * loads that person's membership and checks their access to the document with
 * the rule WebSocket connections get, and history credits the change to them.
 * No user credential (session, API token) is sent or minted for this.
 */
import { z } from 'zod';
import { AppError, errorStatus, type ErrorCode, type ErrorDetail } from './errors';

/** One call adds or removes at most this many cards (callers batch above it). */
export const MAX_CARDS_PER_CALL = 20_000;

/**
 * Who the change is made for. `organization_id` is the organisation they act
 * in, and they must still be a member there. `scope` says which memberships
 * count for access, mirroring the credential the person used:
 *   - `organization`: only that one (API tokens, which are bound to one
 *     organisation, and workers acting for an import in its organisation);
 *   - `user`: every membership they hold, `organization_id` being the active
 *     one (browser sessions, which may reach a partner's library).
 */
export const onBehalfOf = z.object({
  user_id: z.uuid(),
  organization_id: z.uuid(),
  scope: z.enum(['organization', 'user'])
});
export type OnBehalfOf = z.infer<typeof onBehalfOf>;

export const cardsChangeBody = z.object({
  on_behalf_of: onBehalfOf,
  add: z.array(z.uuid()).max(MAX_CARDS_PER_CALL).default([]),
  remove: z.array(z.uuid()).max(MAX_CARDS_PER_CALL).default([]),
  lane_id: z.string().max(100).nullish()
});
export const cardsChangeResult = z.object({
  added: z.number().int(),
  already_present: z.number().int(),
  removed: z.number().int()
});

export const restoreBody = z.object({
  on_behalf_of: onBehalfOf,
  change_id: z.number().int().positive()
});
export const restoreResult = z.object({ restored_from: z.number().int() });

/** Every route: POST `path(documentId)` with `body`, answered `{ data: result }` or the error envelope. */
export const collabInternalRoutes = {
  /** Add molecules to a library's board as cards (into `lane_id`, else the first lane) and/or take cards off. */
  libraryCards: {
    pattern: /^\/internal\/v1\/libraries\/([^/]+)\/cards$/,
    path: (libraryId: string) => `/internal/v1/libraries/${encodeURIComponent(libraryId)}/cards`,
    body: cardsChangeBody,
    result: cardsChangeResult
  },
  /** Make the live board equal to how it was after `change_id`, as one new change. */
  libraryRestore: {
    pattern: /^\/internal\/v1\/libraries\/([^/]+)\/restore$/,
    path: (libraryId: string) => `/internal/v1/libraries/${encodeURIComponent(libraryId)}/restore`,
    body: restoreBody,
    result: restoreResult
  }
} as const;
export type CollabInternalRoute = keyof typeof collabInternalRoutes;
type Route<K extends CollabInternalRoute> = (typeof collabInternalRoutes)[K];
/** What a caller sends to `K` (defaults not yet applied). */
export type CollabInternalBody<K extends CollabInternalRoute> = z.input<Route<K>['body']>;
export type CollabInternalResult<K extends CollabInternalRoute> = z.output<Route<K>['result']>;

/** Where the internal API is and the credential it wants. */
export interface CollabInternalTarget {
  url: string;
  secret: string;
}

/** Defaults of the settings below (common/env.ts restates none of them). */
export const DEFAULT_COLLAB_INTERNAL_PORT = 1235;

/**
 * The target from a process's parsed environment (web, workers), or an
 * AppError saying what is missing: without the secret the collab-server
 * refuses every call, so say so before trying.
 */
export function collabInternalTarget(env: {
  COLLAB_INTERNAL_URL?: string;
  COLLAB_INTERNAL_PORT?: number;
  COLLAB_SERVICE_SECRET?: string;
}): CollabInternalTarget {
  if (!env.COLLAB_SERVICE_SECRET) {
    throw new AppError('SERVICE_UNAVAILABLE', 'Server-side board changes are not configured (COLLAB_SERVICE_SECRET is not set)');
  }
  return {
    url: env.COLLAB_INTERNAL_URL ?? `http://127.0.0.1:${env.COLLAB_INTERNAL_PORT ?? DEFAULT_COLLAB_INTERNAL_PORT}`,
    secret: env.COLLAB_SERVICE_SECRET
  };
}

/**
 * Call one route. Answers the route's result; throws AppError with the
 * collab-server's code and message when it refuses (401, 403, 404, 400, …),
 * SERVICE_UNAVAILABLE when it cannot be reached, INTEGRATION_ERROR when its
 * answer is not the contract's.
 */
export async function callCollabInternal<K extends CollabInternalRoute>(
  target: CollabInternalTarget,
  route: K,
  documentId: string,
  body: CollabInternalBody<K>,
  options: { timeoutMs?: number } = {}
): Promise<CollabInternalResult<K>> {
  const spec: Route<K> = collabInternalRoutes[route];
  let res: Response;
  try {
    res = await fetch(new URL(spec.path(documentId), target.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.secret}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000)
    });
  } catch (err) {
    throw new AppError('SERVICE_UNAVAILABLE', `The collaboration server cannot be reached (${(err as Error).message}); try again`);
  }
  const payload = (await res.json().catch(() => null)) as { data?: unknown; error?: { code: string; message: string; details?: ErrorDetail[] } } | null;
  if (!res.ok || !payload || payload.error) {
    const code = (payload?.error?.code && payload.error.code in errorStatus ? payload.error.code : 'INTEGRATION_ERROR') as ErrorCode;
    throw new AppError(code, payload?.error?.message ?? `The collaboration server answered ${res.status}`, payload?.error?.details ?? []);
  }
  const result = spec.result.safeParse(payload.data);
  if (!result.success) throw new AppError('INTEGRATION_ERROR', 'The collaboration server’s answer does not match the contract');
  return result.data as CollabInternalResult<K>;
}
