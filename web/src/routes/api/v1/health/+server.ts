import { json } from '@sveltejs/kit';
import { sql } from 'drizzle-orm';
import { getDb, getLog, getRedis } from '$lib/server/context';
import { RETRY_AFTER_SECONDS } from '$lib/server/unavailable';

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))]);

type Check = 'ok' | 'fail';

/**
 * Liveness and dependencies: 200 when every check passes, 503 naming the
 * failing ones. Anyone may call it (load balancers do), so a failing check
 * says only its name and status: the dependency's own error (host names,
 * ports, users) goes to the log, not to the caller.
 */
export const GET = async () => {
  const probes: Record<string, () => Promise<unknown>> = {
    database: () => getDb().execute(sql`select 1`),
    redis: () => getRedis().ping()
  };
  const checks: Record<string, Check> = {};
  await Promise.all(
    Object.entries(probes).map(([name, probe]) =>
      withTimeout(probe(), 2000).then(
        () => void (checks[name] = 'ok'),
        (err: Error) => {
          checks[name] = 'fail';
          getLog('health').warn(`${name} failed:`, err);
        }
      )
    )
  );
  const failing = Object.keys(checks).filter((name) => checks[name] === 'fail');
  if (failing.length) {
    return json(
      {
        error: {
          code: 'SERVICE_UNAVAILABLE',
          message: `Unhealthy: ${failing.join(', ')}`,
          details: failing.map((field) => ({ field, message: 'unavailable' })),
          checks
        }
      },
      { status: 503, headers: { 'Cache-Control': 'no-store', 'Retry-After': String(RETRY_AFTER_SECONDS) } }
    );
  }
  return json({ data: { status: 'ok', checks } }, { headers: { 'Cache-Control': 'no-store' } });
};
