/**
 * isDependencyDown against the errors the real clients raise: pg and Drizzle with nothing
 * listening, ioredis with nothing listening, and, for contrast, real query errors from a
 * live Postgres, which must stay 500s.
 */
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { closeDb, createDb } from '$db/client';
import { AppError } from '$common/errors';
import { errorResponse } from '$lib/server/api/respond';
import { isDependencyDown } from '$lib/server/unavailable';
import { freePort } from '../../scripts/services';

const failure = (p: Promise<unknown>) => p.then(() => expect.fail('expected a failure'), (err: unknown) => err);

describe('isDependencyDown', async () => {
  // Free now and nothing of ours listens on it: a dependency out of reach.
  const port = await freePort();
  const deadDb = createDb(`postgres://postgres@127.0.0.1:${port}/nothing`, { applicationName: 'unavailable-test' });
  const liveDb = createDb(process.env.DATABASE_URL!, { applicationName: 'unavailable-test' });
  afterAll(async () => {
    await closeDb(deadDb).catch(() => {});
    await closeDb(liveDb).catch(() => {});
  });

  it('recognises Postgres out of reach, through Drizzle, and answers 503 with Retry-After', async () => {
    const err = await failure(deadDb.execute(sql`select 1`));
    expect(isDependencyDown(err)).toBe(true);
    const res = errorResponse(err);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await res.json()).error.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('recognises Redis out of reach', async () => {
    const redis = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 1, connectTimeout: 500, retryStrategy: () => 100 });
    redis.on('error', () => {});
    try {
      const err = await failure(redis.get('anything'));
      expect(isDependencyDown(err)).toBe(true);
    } finally {
      redis.disconnect();
    }
  });

  it('leaves real errors alone: they stay 500', async () => {
    const syntax = await failure(liveDb.execute(sql`select from where`));
    expect(isDependencyDown(syntax)).toBe(false);
    expect(errorResponse(syntax).status).toBe(500);
    const missing = await failure(liveDb.execute(sql`select * from no_such_table_here`));
    expect(isDependencyDown(missing)).toBe(false);
    expect(isDependencyDown(new TypeError("Cannot read properties of null (reading 'user')"))).toBe(false);
    expect(isDependencyDown(new AppError('NOT_FOUND', 'x'))).toBe(false);
  });
});
