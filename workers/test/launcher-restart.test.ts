/**
 * `npm start`'s launcher (scripts/start.ts startStack with restart on): a
 * SIGKILLed workers process is started again with a log line saying so (after
 * 1 s, then 2 s when it crashes again), while web keeps answering; nothing else
 * is stopped. Real entries (web/server.ts,
 * collab-server, workers), so it needs the web build (build/handler.js).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, localAuditCheckpointKey } from '../../scripts/services';
import { repoRoot, startStack, type Stack } from '../../scripts/start';
import { testEnv } from './helpers';

const built = fs.existsSync(path.join(repoRoot, 'build', 'handler.js'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

let stack: Stack | null = null;
afterAll(async () => {
  await stack?.stop(5000);
});

describe('launcher', () => {
  it.skipIf(!built)('restarts a SIGKILLed workers process, waiting longer each time, while web keeps answering', { timeout: 120_000 }, async () => {
    const env = testEnv();
    const port = await freePort();
    const collabPort = await freePort();
    const collabInternalPort = await freePort();
    const logLines: string[] = [];
    const workersOut: string[] = [];
    stack = startStack({
      port,
      collabPort,
      collabInternalPort,
      env: { DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, REDIS_PREFIX: env.prefix, LOG_LEVEL: 'info' },
      restart: true,
      log: (s) => logLines.push(s),
      onOutput: (name, line) => {
        if (name === 'workers') workersOut.push(line);
      }
    });
    await stack.ready(90_000);
    await until('the workers to take jobs', () => workersOut.some((l) => l.includes('processing queues')), 60_000);
    const first = stack.pid('web');
    const killed = stack.pid('workers')!;
    const linesBefore = workersOut.length;

    // Health of web, asked every 200 ms from the kill until workers are back.
    const health: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
        health.push(res?.status ?? 0);
        await res?.body?.cancel();
        await sleep(200);
      }
    })();

    process.kill(killed, 'SIGKILL');
    await until('the restart line', () => logLines.some((l) => l === 'workers exited (SIGKILL); restarting in 1 s'), 10_000);
    await until('a new workers process', () => !!stack!.pid('workers') && stack!.pid('workers') !== killed, 10_000);
    await until('the new workers to take jobs', () => workersOut.slice(linesBefore).some((l) => l.includes('processing queues')), 60_000);

    // Crashing again within a minute: the wait doubles.
    const again = stack.pid('workers')!;
    const linesAgain = workersOut.length;
    process.kill(again, 'SIGKILL');
    await until('the second restart line', () => logLines.some((l) => l === 'workers exited (SIGKILL); restarting in 2 s'), 10_000);
    await until('another workers process', () => !!stack!.pid('workers') && stack!.pid('workers') !== again, 10_000);
    await until('those workers to take jobs', () => workersOut.slice(linesAgain).some((l) => l.includes('processing queues')), 60_000);
    polling = false;
    await poller;

    expect(health.length).toBeGreaterThan(0);
    expect(health.every((s) => s === 200), `health answers: ${health.join(',')}`).toBe(true);
    expect(stack.pid('web')).toBe(first);
    expect(stack.pid('collab')).toBeDefined();
  });
});

describe('the local audit checkpoint key', () => {
  it('is generated once into the data folder when none is set, said so, and reused', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosslink-key-'));
    const configured = process.env.AUDIT_CHECKPOINT_KEY;
    delete process.env.AUDIT_CHECKPOINT_KEY;
    try {
      const said: string[] = [];
      const key = localAuditCheckpointKey(dir, (s) => said.push(s));
      expect(key).toMatch(/^[0-9a-f]{64}$/);
      expect(said).toEqual([expect.stringMatching(/^AUDIT_CHECKPOINT_KEY not set: generated a local audit signing key in .*audit-checkpoint\.key/)]);
      expect(fs.statSync(path.join(dir, 'audit-checkpoint.key')).mode & 0o777).toBe(0o600);
      expect(localAuditCheckpointKey(dir, (s) => said.push(s))).toBe(key);
      expect(said[1]).toMatch(/^AUDIT_CHECKPOINT_KEY not set: using the local audit signing key in /);
      process.env.AUDIT_CHECKPOINT_KEY = 'ab'.repeat(32);
      expect(localAuditCheckpointKey(dir, (s) => said.push(s))).toBe('ab'.repeat(32));
      expect(said).toHaveLength(2);
    } finally {
      if (configured === undefined) delete process.env.AUDIT_CHECKPOINT_KEY;
      else process.env.AUDIT_CHECKPOINT_KEY = configured;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
