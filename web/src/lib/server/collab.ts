/**
 * Server-side changes to live documents go through the collab-server (its
 * internal HTTP API, collab-server/internal-api.ts), acting as the caller with
 * their own token, so open boards see them at once and history attributes
 * them. The collab-server checks access again.
 */
import { AppError, type ErrorCode, errorStatus } from '$common/errors';
import { getEnv } from './context';

export async function collabChange<T>(token: string | null, path: string, body: unknown): Promise<T> {
  if (!token) throw new AppError('AUTHENTICATION_ERROR', 'Sign in or send a valid bearer token');
  const env = getEnv();
  const base = env.COLLAB_INTERNAL_URL ?? `http://127.0.0.1:${env.COLLAB_PORT}`;
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000)
    });
  } catch (err) {
    throw new AppError('SERVICE_UNAVAILABLE', `The collaboration server cannot be reached (${(err as Error).message}); try again`);
  }
  const payload = (await res.json().catch(() => null)) as { data?: T; error?: { code: string; message: string; details?: [] } } | null;
  if (!res.ok || !payload || payload.error) {
    const code = (payload?.error?.code && payload.error.code in errorStatus ? payload.error.code : 'INTEGRATION_ERROR') as ErrorCode;
    throw new AppError(code, payload?.error?.message ?? `The collaboration server answered ${res.status}`, payload?.error?.details ?? []);
  }
  return payload.data as T;
}
