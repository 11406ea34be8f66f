/**
 * The worker host itself: it refuses to start when processors and the queue
 * contract disagree, closes gracefully (a running job finishes and its
 * completion is still forwarded), upserts the contract's job schedulers, and
 * runs sandboxed processors in a child process.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../common/errors';
import { QUEUE_NAMES, SYSTEM_USER_ID, createQueues, type JobOwner, type QueueClient } from '../../common/queues';
import type { JobProgressData } from '../../common/realtime-events';
import { closeDb, type Db } from '../../db/client';
import { checkProcessors, startWorkers, type StartWorkersOptions } from '../host';
import { createLogger } from '../../common/log';
import { defineProcessor, defineSandboxedProcessor, type AnyProcessor } from '../processor';
import { loadProcessors } from '../registry';
import {
  connect,
  createTestUser,
  deferred,
  deleteRedisKeys,
  deleteTestUsers,
  nextEvent,
  recordEvents,
  startRealtimeServer,
  testDb,
  testEnv,
  type TestRealtimeServer,
  type TestSocket,
  type TestUser
} from './helpers';

const env = testEnv();
let db: Db;
let server: TestRealtimeServer;
let queues: QueueClient;
let dave: TestUser;
let daveSocket: TestSocket;
let processors: AnyProcessor[];
const quiet = createLogger('workers-test', { LOG_LEVEL: 'error' });

const base = (): Omit<StartWorkersOptions, 'processors'> => ({
  db,
  redisUrl: env.redisUrl,
  prefix: env.prefix,
  schedules: false,
  log: quiet
});
const owner = (): JobOwner => ({ userId: dave.id, organizationId: dave.organizationId });
const byQueue = (q: string) => processors.find((p) => p.queue === q)!;

beforeAll(async () => {
  db = testDb(env.databaseUrl);
  dave = await createTestUser(db, 'dave');
  server = await startRealtimeServer(db, env.redisUrl, env.prefix);
  queues = createQueues(env.redisUrl, env.prefix);
  processors = await loadProcessors();
  daveSocket = await connect(server.url, { token: dave.token });
});

afterAll(async () => {
  daveSocket?.close();
  await queues?.close();
  await server?.close();
  if (db) {
    await deleteTestUsers(db, [dave].filter(Boolean));
    await closeDb(db);
  }
  await deleteRedisKeys(env.redisUrl, env.prefix);
});

describe('processor registry', () => {
  it('finds exactly one processor per queue of the contract', () => {
    expect(processors.map((p) => p.queue).sort()).toEqual([...QUEUE_NAMES].sort());
    expect(checkProcessors(processors)).toEqual([]);
  });

  it('rejects a processor file named after another queue', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'crosslink-processors-'));
    try {
      await writeFile(
        path.join(dir, 'reports.mjs'),
        "export default { kind: 'inline', queue: 'maintenance', handlers: {} };\n"
      );
      await writeFile(path.join(dir, 'helper.sandbox.mjs'), 'export default 1;\n'); // skipped: second dot
      const err = await loadProcessors(pathToFileURL(dir + '/')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).message).toMatch(/reports\.mjs: defines a processor for queue "maintenance"/);
      expect((err as AppError).message).not.toMatch(/helper/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('startWorkers refuses to start', () => {
  it('when a queue of the contract has no processor', async () => {
    const err = await startWorkers({ ...base(), processors: processors.filter((p) => p.queue !== 'notifications') }).catch(
      (e: unknown) => e
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toMatch(/refuses to start/);
    expect((err as AppError).details).toEqual([
      { message: 'queue "notifications" has no processor (create workers/processors/notifications.ts)' }
    ]);
  });

  it('when a processor has no queue in the contract, or a queue has two', async () => {
    const stray = { kind: 'inline', queue: 'reports', handlers: { parse: async () => null } } as unknown as AnyProcessor;
    const err = (await startWorkers({ ...base(), processors: [...processors, stray, byQueue('maintenance')] }).catch(
      (e: unknown) => e
    )) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.details.map((d) => d.message)).toEqual([
      expect.stringMatching(/processor for queue "reports" has no queue in common\/queues\.ts/),
      'queue "maintenance" has more than one processor'
    ]);
  });

  it('when a job of the contract has no handler', async () => {
    const incomplete = { kind: 'inline', queue: 'maintenance', handlers: { vacuum: async () => null } } as unknown as AnyProcessor;
    const err = (await startWorkers({ ...base(), processors: [byQueue('notifications'), byQueue('ingest'), byQueue('audit'), incomplete] }).catch(
      (e: unknown) => e
    )) as AppError;
    expect(err.details.map((d) => d.message)).toEqual([
      'processor for "maintenance" has no handler for job "purge-expired"',
      'processor for "maintenance" handles job "vacuum", which the contract does not define'
    ]);
  });
});

describe('graceful close', () => {
  it('lets a running job finish, forwards its completion, then returns', async () => {
    const started = deferred();
    const release = deferred();
    const order: string[] = [];
    let closeReturned = false;
    const slow = defineProcessor('maintenance', {
      async 'purge-expired'(job, ctx) {
        started.resolve();
        await release.promise;
        // Still has its Redis connection (progress) and the database while the host is closing.
        await job.updateProgress({ done: 1, total: 1, message: 'finishing during shutdown' });
        await ctx.db.execute(sql`select 1`);
        order.push(closeReturned ? 'job finished after close returned' : 'job finished');
        return { finished: true };
      }
    });
    const host = await startWorkers({ ...base(), processors: [byQueue('notifications'), byQueue('ingest'), byQueue('audit'), slow] });
    const worker = host.workers.get('maintenance')!;

    const jobId = `slow-${randomUUID()}`;
    const progress = nextEvent(daveSocket, 'job:progress', (e) => e.jobId === jobId);
    const completed = nextEvent(daveSocket, 'job:completed', (e) => e.jobId === jobId);
    await queues.enqueue('maintenance', 'purge-expired', { owner: owner() }, { jobId });
    await started.promise;

    const closing = new Promise<void>((resolve) => worker.once('closing', () => resolve()));
    const closed = host.close().then(() => {
      closeReturned = true;
      order.push('close returned');
    });
    await closing;
    expect(closeReturned).toBe(false);
    release.resolve();
    await closed;

    expect(order).toEqual(['job finished', 'close returned']);
    expect(await queues.queues.maintenance.getJobState(jobId)).toBe('completed');
    expect((await queues.queues.maintenance.getJob(jobId))?.returnvalue).toEqual({ finished: true });
    expect((await progress).progress).toEqual({ done: 1, total: 1, message: 'finishing during shutdown' });
    expect((await completed).result).toEqual({ finished: true });
    expect(worker.isRunning()).toBe(false);
    await host.close(); // idempotent
  });
});

describe('job schedulers', () => {
  it('upserts the hourly purge and removes schedulers the contract no longer has', async () => {
    const queue = new Queue('maintenance', { connection: { url: env.redisUrl }, prefix: env.prefix });
    try {
      await queue.upsertJobScheduler(
        'maintenance:retired-schedule',
        { pattern: '0 3 * * *' },
        { name: 'purge-expired', data: { owner: { userId: SYSTEM_USER_ID, organizationId: null } } }
      );
      const host = await startWorkers({ ...base(), processors, schedules: true });
      try {
        const schedulers = await queue.getJobSchedulers(0, -1);
        expect(schedulers.map((s) => s.key)).toEqual(['maintenance:purge-expired:hourly']);
        expect(schedulers[0]).toMatchObject({ name: 'purge-expired', pattern: '0 * * * *' });
        const scheduled = await queue.getJobScheduler('maintenance:purge-expired:hourly');
        expect(scheduled?.template?.data).toEqual({ owner: { userId: SYSTEM_USER_ID, organizationId: null }, batchSize: 500 });
        // The next run waits for the top of the hour.
        expect(scheduled?.next).toBeGreaterThan(Date.now());
      } finally {
        await host.close();
      }
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});

describe('sandboxed processors', () => {
  it('run in a child process; progress and results reach the owner', async () => {
    const sandboxed = defineSandboxedProcessor(
      'maintenance',
      new URL('./fixtures/sandboxed-maintenance.ts', import.meta.url)
    );
    const host = await startWorkers({ ...base(), processors: [byQueue('notifications'), byQueue('ingest'), byQueue('audit'), sandboxed] });
    try {
      const events = recordEvents(daveSocket);
      const jobId = `sandboxed-${randomUUID()}`;
      const completed = nextEvent(daveSocket, 'job:completed', (e) => e.jobId === jobId, 20_000);
      await queues.enqueue('maintenance', 'purge-expired', { owner: owner() }, { jobId });
      const result = (await completed).result as { pid: number; one: number; batchSize: number };
      expect(result.pid).not.toBe(process.pid);
      expect(result).toMatchObject({ one: 1, batchSize: 500 }); // the child applied the contract's default
      const progress = events
        .filter((e) => e.event === 'job:progress' && e.arg.jobId === jobId)
        .map((e) => e.arg.progress as JobProgressData);
      expect(progress).toEqual([
        { done: 1, total: 2, message: `child ${result.pid}` },
        { done: 2, total: 2, message: 'Done' }
      ]);
    } finally {
      await host.close();
    }
  }, 30_000);
});
