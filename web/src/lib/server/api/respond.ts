/**
 * The API envelope: `{ data, meta? }` on success, `{ error: { code, message,
 * details? } }` on failure. Route handlers are wrapped in `endpoint()` so any
 * thrown AppError becomes the right status and body, and anything else a 500
 * without leaking internals.
 */
import { json, type RequestEvent, type RequestHandler } from '@sveltejs/kit';
import { z } from 'zod';
import { AppError, validationError } from '$common/errors';
import { getLog } from '../context';
import { isDependencyDown, serviceUnavailable } from '../unavailable';

export type Meta = {
  page: number;
  page_size: number;
  total: number;
  /** Set where a list may count approximately: true when `total` is the planner's estimate (GET /molecules). */
  total_is_estimate?: boolean;
};

export const ok = (data: unknown, init: { status?: number; meta?: Meta; headers?: Record<string, string> } = {}) =>
  json(init.meta ? { data, meta: init.meta } : { data }, { status: init.status ?? 200, headers: init.headers });

export function errorResponse(err: unknown): Response {
  if (err instanceof AppError) {
    return json(err.toJSON(), { status: err.status, headers: err.headers });
  }
  if (err instanceof z.ZodError) {
    const e = validationError(err.issues);
    return json(e.toJSON(), { status: 400 });
  }
  if (isBodyTooLarge(err)) return errorResponse(payloadTooLarge());
  if (isDependencyDown(err)) {
    getLog('api').warn('dependency unavailable:', err);
    return errorResponse(serviceUnavailable());
  }
  getLog('api').error('unhandled error in API:', err);
  return json({ error: { code: 'INTERNAL_ERROR', message: 'Something went wrong on our side; it has been logged' } }, { status: 500 });
}

/**
 * Reading a body past the limit fails inside adapter-node with its own error
 * class (status 413), or with the one web/server.ts raises for chunked bodies:
 * either way it is the client's too-large body, not our fault.
 */
function isBodyTooLarge(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { status?: unknown }).status === 413;
}

export const payloadTooLarge = () =>
  new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large for this route');

export function endpoint<E extends RequestEvent>(fn: (event: E) => Promise<Response> | Response): (event: E) => Promise<Response> {
  return async (event) => {
    try {
      const res = await fn(event);
      if (import.meta.env.DEV) void warnOnContractDrift(event, res).catch(() => {});
      return res;
    } catch (err) {
      return errorResponse(err);
    }
  };
}

/**
 * Development only (`vite dev`): a JSON success body that its operation's
 * response schema (openapi.ts) does not accept is logged, so a presenter that
 * drifts from its schema shows at once. Never in production: the body is not
 * read twice there. web/test/api-contract.test.ts checks the same strictly.
 */
export async function warnOnContractDrift(event: RequestEvent, res: Response) {
  const routeId = event.route?.id;
  if (!routeId?.startsWith('/api/v1/') || !res.ok || !res.headers.get('content-type')?.includes('application/json')) return;
  // Cloned only here: a streamed download's unread copy would be buffered whole.
  const body = res.clone().json().catch(() => undefined);
  const { operations } = await import('./openapi');
  const path = routeId.slice('/api/v1'.length).replace(/\[(\w+)\]/g, '{$1}');
  const op = operations.find((o) => o.path === path && o.method === event.request.method.toLowerCase());
  if (!op?.ok.schema) return;
  const result = op.ok.schema.safeParse(await body);
  if (!result.success) console.warn(`[web] ${event.request.method} ${routeId}: the body does not match its OpenAPI schema:`, z.prettifyError(result.error));
}

/** Parse a JSON body against a schema; malformed JSON and bad fields are 400 VALIDATION_ERROR. */
export async function readJson<S extends z.ZodType>(request: Request, schema: S): Promise<z.infer<S>> {
  let body: unknown;
  const text = await request.text();
  try {
    body = text.length ? JSON.parse(text) : undefined;
  } catch {
    throw new AppError('VALIDATION_ERROR', 'The request body is not valid JSON', [{ message: 'expected a JSON object' }]);
  }
  if (body === undefined) throw new AppError('VALIDATION_ERROR', 'A JSON body is required', [{ message: 'expected a JSON object' }]);
  const result = schema.safeParse(body);
  if (!result.success) throw validationError(result.error.issues);
  return result.data;
}

export function parseParam<S extends z.ZodType>(schema: S, value: string | undefined, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  // A malformed id cannot name anything that exists: 404, as for an unknown id.
  if (!result.success) throw new AppError('NOT_FOUND', `${what} not found`);
  return result.data;
}

export type Handler = RequestHandler;
