/**
 * Calling the REST API from load functions and actions with SvelteKit's
 * `event.fetch` (same process, cookies forwarded), and from the browser with
 * `fetch`. Errors keep the API's message so pages can show it as it is.
 */
import { error } from '@sveltejs/kit';
import type { ApiErrorBody, Meta } from './types';

type Fetch = typeof fetch;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { field?: string; message: string }[] = []
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const fallbackMessage = (status: number) =>
  status === 401
    ? 'Your session has ended; sign in again'
    : status === 403
      ? 'You do not have permission to do this'
      : status === 404
        ? 'Not found'
        : status === 413
          ? 'The file is too large'
          : status >= 500
            ? 'The server could not answer; try again in a moment'
            : `The request failed (HTTP ${status})`;

/** Read the error envelope of a failed response (tolerating a non-JSON body). */
export async function readApiError(res: Response): Promise<ApiError> {
  let body: Partial<ApiErrorBody> | null = null;
  try {
    body = (await res.json()) as Partial<ApiErrorBody>;
  } catch {
    body = null;
  }
  const e = body?.error;
  return new ApiError(res.status, e?.code ?? 'HTTP_' + res.status, e?.message || fallbackMessage(res.status), e?.details ?? []);
}

/** Parse an XHR/Response JSON error body that has already been read as text. */
export function apiErrorFromText(status: number, text: string): ApiError {
  try {
    const e = (JSON.parse(text) as Partial<ApiErrorBody>).error;
    if (e) return new ApiError(status, e.code, e.message || fallbackMessage(status), e.details ?? []);
  } catch {
    /* not JSON */
  }
  return new ApiError(status, 'HTTP_' + status, fallbackMessage(status));
}

/** fetch + JSON envelope; throws ApiError on a non-2xx answer or a network failure. */
export async function api<T>(f: Fetch, path: string, init?: RequestInit): Promise<{ data: T; meta?: Meta; status: number }> {
  let res: Response;
  try {
    res = await f(path, { ...init, headers: { accept: 'application/json', ...(init?.headers ?? {}) } });
  } catch {
    throw new ApiError(503, 'NETWORK_ERROR', 'The server could not be reached; check your connection and try again');
  }
  if (!res.ok) throw await readApiError(res);
  const body = (await res.json()) as { data: T; meta?: Meta };
  return { data: body.data, meta: body.meta, status: res.status };
}

/** For load functions: an API failure becomes the page's error (same status and message). */
export async function apiOrError<T>(f: Fetch, path: string, init?: RequestInit): Promise<{ data: T; meta?: Meta }> {
  try {
    return await api<T>(f, path, init);
  } catch (err) {
    throw toHttpError(err);
  }
}

export function toHttpError(err: unknown) {
  if (err instanceof ApiError) {
    const status = err.status >= 400 && err.status <= 599 ? err.status : 502;
    return error(status, { message: err.message, code: err.code });
  }
  return err;
}

/** JSON POST helper for actions and the browser. */
export const postJson = <T>(f: Fetch, path: string, body?: unknown) =>
  api<T>(f, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
