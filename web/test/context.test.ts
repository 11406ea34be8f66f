/** The web process's shared connections (web/src/lib/server/context.ts). */
import { afterAll, expect, it } from 'vitest';
import { closeContext, getRedis } from '$lib/server/context';

afterAll(closeContext);

it('gives one Redis connection with one error listener, however often it is asked for (health asks on every call)', async () => {
  const redis = getRedis();
  for (let i = 0; i < 20; i++) expect(getRedis()).toBe(redis);
  expect(redis.listenerCount('error')).toBe(1);
  expect(await redis.ping()).toBe('PONG');
});
