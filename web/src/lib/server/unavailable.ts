/**
 * Postgres or Redis out of reach is not a bug in a request: it is a 503 the
 * client can retry (pages and API alike), and the app recovers by itself when
 * the service is back (pg's pool and ioredis reconnect). This tells those
 * connection failures apart from real errors, which stay 500.
 */
import { AppError } from '$common/errors';

/** Seconds a client is told to wait before trying again. */
export const RETRY_AFTER_SECONDS = 10;

/** Socket-level failures: nothing listens, the peer went away, or it does not answer. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Postgres SQLSTATEs of a server that is going away or not accepting connections yet. */
const PG_UNAVAILABLE = /^(08|57P0[1-3]|53300)/;

/** pg and ioredis say it in words when there is no code. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Connection is closed',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
  'connect ETIMEDOUT'
];

function isUnavailableCause(err: object): boolean {
  const { code, name, message } = err as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || PG_UNAVAILABLE.test(code))) return true;
  if (name === 'MaxRetriesPerRequestError') return true;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m));
}

/**
 * True when `err`, or what it wraps (Drizzle's query error keeps pg's as `cause`;
 * a failed connect to `localhost` is an AggregateError of the IPv4 and IPv6 tries),
 * says a dependency cannot be reached.
 */
export function isDependencyDown(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  if (err instanceof AppError) return err.code === 'SERVICE_UNAVAILABLE';
  if (isUnavailableCause(err)) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isDependencyDown(e, depth + 1))) return true;
  return isDependencyDown((err as { cause?: unknown }).cause, depth + 1);
}

export const serviceUnavailable = (what = 'Crosslink') =>
  new AppError('SERVICE_UNAVAILABLE', `${what} is temporarily unavailable; please try again in a moment`, [], {
    'Retry-After': String(RETRY_AFTER_SECONDS)
  });

/** Requests (by their `locals`, one object per request) that met an unreachable dependency. */
const unavailableRequests = new WeakSet<object>();

/** Remember that this request could not reach a dependency: the hooks answer 503, not 500. */
export function markUnavailable(locals: object): void {
  unavailableRequests.add(locals);
}

export function wasUnavailable(locals: object): boolean {
  return unavailableRequests.has(locals);
}
