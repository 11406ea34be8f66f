import { json } from '@sveltejs/kit';
import { sql } from 'drizzle-orm';
import { getDb, getRedis } from '$lib/server/context';

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))]);

/** Liveness and dependencies: 200 when every check passes, 503 naming the failing one. */
export const GET = async () => {
  const checks: Record<string, 'ok' | 'fail'> = {};
  const errors: Record<string, string> = {};
  await Promise.all([
    withTimeout(getDb().execute(sql`select 1`), 2000)
      .then(() => (checks.database = 'ok'))
      .catch((e: Error) => ((checks.database = 'fail'), (errors.database = e.message))),
    withTimeout(getRedis().ping(), 2000)
      .then(() => (checks.redis = 'ok'))
      .catch((e: Error) => ((checks.redis = 'fail'), (errors.redis = e.message)))
  ]);
  const failing = Object.keys(errors);
  if (failing.length) {
    return json(
      {
        error: {
          code: 'SERVICE_UNAVAILABLE',
          message: `Unhealthy: ${failing.join(', ')}`,
          details: failing.map((field) => ({ field, message: errors[field] })),
          checks
        }
      },
      { status: 503, headers: { 'Cache-Control': 'no-store' } }
    );
  }
  return json({ data: { status: 'ok', checks } }, { headers: { 'Cache-Control': 'no-store' } });
};
