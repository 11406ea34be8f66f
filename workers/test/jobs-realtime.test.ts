/**
 * Jobs end to end: the web app's `enqueue` → Redis → a real BullMQ worker
 * (worker host in-process) → progress/completion/notification events through
 * the Redis emitter → the socket.io server (HTTP server on port 0) → a
 * socket.io client authenticated as the job's owner, and nobody else.
 */
import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../common/errors';
import { createQueues, type JobOwner, type QueueClient } from '../../common/queues';
import type { JobProgressData } from '../../common/realtime-events';
import { hashToken } from '../../db/auth';
import { closeDb, type Db } from '../../db/client';
import { listNotifications, unreadCount } from '../../db/access/notifications';
import { invitations, sessions } from '../../db/schema';
import { startWorkers, type WorkerHost } from '../host';
import { createLogger } from '../../common/log';
import { loadProcessors } from '../registry';
import {
  connect,
  createTestUser,
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
let host: WorkerHost;
let queues: QueueClient;
let alice: TestUser;
let bob: TestUser;
let aliceSocket: TestSocket;
let bobSocket: TestSocket;
const sockets: TestSocket[] = [];

const ownerOf = (u: TestUser): JobOwner => ({ userId: u.id, organizationId: u.organizationId });

/**
 * Proves `socket` got nothing it should not have: an event sent to it after
 * the events under test arrives after them (one Redis connection, one socket),
 * so once it is here anything misrouted would already be in `seen`.
 */
async function barrier(user: TestUser, socket: TestSocket) {
  const count = -Math.floor(Math.random() * 1e9);
  const arrived = nextEvent(socket, 'notifications:unread', (e) => e.count === count);
  host.realtime.toUser(user.id).emit('notifications:unread', { count });
  await arrived;
}

beforeAll(async () => {
  db = testDb(env.databaseUrl);
  [alice, bob] = await Promise.all([createTestUser(db, 'alice'), createTestUser(db, 'bob')]);
  server = await startRealtimeServer(db, env.redisUrl, env.prefix);
  host = await startWorkers({
    db,
    redisUrl: env.redisUrl,
    prefix: env.prefix,
    processors: await loadProcessors(),
    schedules: false,
    log: createLogger('workers-test', { LOG_LEVEL: 'error' })
  });
  queues = createQueues(env.redisUrl, env.prefix);
  aliceSocket = await connect(server.url, { token: alice.token });
  bobSocket = await connect(server.url, { token: bob.token });
  sockets.push(aliceSocket, bobSocket);
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await host?.close();
  await queues?.close();
  await server?.close();
  if (db) {
    await deleteTestUsers(db, [alice, bob].filter(Boolean));
    await closeDb(db);
  }
  await deleteRedisKeys(env.redisUrl, env.prefix);
});

describe('maintenance purge-expired', () => {
  it("streams the job's progress to its owner's socket only", async () => {
    // Rows that expired long ago; `expiredBefore` keeps the purge away from other test files' rows.
    const longAgo = new Date('2001-06-01T00:00:00Z');
    const sessionIds = Array.from({ length: 5 }, () => hashToken(randomUUID()));
    await db.insert(sessions).values(sessionIds.map((id) => ({ id, userId: alice.id, expiresAt: longAgo })));
    await db.insert(invitations).values(
      [1, 2].map(() => ({
        organizationId: alice.organizationId,
        role: 'viewer' as const,
        tokenHash: hashToken(randomUUID()),
        createdBy: alice.id,
        expiresAt: longAgo
      }))
    );

    const aliceEvents = recordEvents(aliceSocket);
    const bobEvents = recordEvents(bobSocket);
    const jobId = `purge-${randomUUID()}`;
    const completed = nextEvent(aliceSocket, 'job:completed', (e) => e.jobId === jobId);

    const enqueued = await queues.enqueue(
      'maintenance',
      'purge-expired',
      { owner: ownerOf(alice), batchSize: 2, expiredBefore: '2002-01-01T00:00:00Z' },
      { jobId }
    );
    expect(enqueued).toEqual({ id: jobId, queue: 'maintenance', name: 'purge-expired' });

    const done = await completed;
    expect(done).toMatchObject({ queue: 'maintenance', name: 'purge-expired', ownerUserId: alice.id });
    const result = done.result as { sessionsDeleted: number; invitationsDeleted: number };
    expect(result.sessionsDeleted).toBeGreaterThanOrEqual(5);
    expect(result.invitationsDeleted).toBeGreaterThanOrEqual(2);

    // Progress arrived before completion (same emitter connection, same socket): initial count,
    // one event per batch of 2 (sessions 2+2+1, invitations 2) and a final "Done".
    const progress = aliceEvents
      .filter((e) => e.event === 'job:progress' && e.arg.jobId === jobId)
      .map((e) => e.arg.progress as JobProgressData);
    expect(progress.length).toBeGreaterThanOrEqual(6);
    expect(progress[0].done).toBe(0);
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ message: 'Done' });
    expect(last.done).toBe(last.total);
    expect(last.done).toBe(result.sessionsDeleted + result.invitationsDeleted);
    for (let i = 1; i < progress.length; i++) expect(progress[i].done).toBeGreaterThanOrEqual(progress[i - 1].done);
    for (const e of aliceEvents.filter((e) => e.event.startsWith('job:'))) {
      expect(e.arg).toMatchObject({ jobId, queue: 'maintenance', name: 'purge-expired', ownerUserId: alice.id });
    }

    await barrier(bob, bobSocket);
    expect(bobEvents.filter((e) => e.event.startsWith('job:'))).toEqual([]);

    expect(await db.select().from(sessions).where(inArray(sessions.id, sessionIds))).toEqual([]);
    expect(
      await db.select().from(invitations).where(eq(invitations.organizationId, alice.organizationId))
    ).toEqual([]);
  });
});

describe('notifications deliver', () => {
  it("persists the notification and pushes it to the recipient's socket", async () => {
    const aliceEvents = recordEvents(aliceSocket);
    const bobEvents = recordEvents(bobSocket);
    const jobId = `deliver-${randomUUID()}`;
    const title = `Submission received ${randomUUID().slice(0, 6)}`;
    const pushed = nextEvent(aliceSocket, 'notification', (n) => n.title === title);
    const completed = nextEvent(aliceSocket, 'job:completed', (e) => e.jobId === jobId);

    await queues.enqueue(
      'notifications',
      'deliver',
      {
        owner: ownerOf(alice),
        notification: { userId: alice.id, organizationId: alice.organizationId, kind: 'submission.received', title, link: '/submissions/1' }
      },
      { jobId }
    );

    const notification = await pushed;
    expect(notification).toMatchObject({
      kind: 'submission.received',
      title,
      body: null,
      link: '/submissions/1',
      organizationId: alice.organizationId
    });
    expect(new Date(notification.createdAt).toISOString()).toBe(notification.createdAt);
    expect((await completed).result).toEqual({ notificationId: notification.id });

    const rows = await listNotifications(db, alice.id, { limit: 10 });
    expect(rows.map((r) => r.id)).toContain(notification.id);
    expect(rows.find((r) => r.id === notification.id)).toMatchObject({ userId: alice.id, readAt: null, title });
    expect(await unreadCount(db, alice.id)).toBe(1);
    expect(aliceEvents.filter((e) => e.event === 'notification')).toHaveLength(1);

    await barrier(bob, bobSocket);
    expect(bobEvents).toEqual([{ event: 'notifications:unread', arg: expect.any(Object) }]);
    expect(await listNotifications(db, bob.id)).toEqual([]);
  });

  it('marks notifications read over the socket and tells the other tabs', async () => {
    const otherTab = await connect(server.url, { token: alice.token });
    sockets.push(otherTab);
    const [row] = await listNotifications(db, alice.id, { unreadOnly: true });
    expect(row).toBeDefined();
    const synced = nextEvent(otherTab, 'notifications:unread', (e) => e.count === 0);

    const ack = await aliceSocket.timeout(5000).emitWithAck('notifications:read', [row.id, randomUUID(), 'not-a-uuid']);
    expect(ack).toEqual({ ok: true, updated: 1, unread: 0 });
    await synced;
    expect(await unreadCount(db, alice.id)).toBe(0);

    const bad = await aliceSocket.timeout(5000).emitWithAck('notifications:read', 42 as never);
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION_ERROR' } });
  });

  it('refuses invalid data at enqueue time (nothing is queued)', async () => {
    const before = await queues.queues.notifications.getJobCounts();
    const err = await queues
      .enqueue('notifications', 'deliver', {
        owner: ownerOf(alice),
        notification: { userId: 'nobody', kind: '', title: 'x' }
      } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('VALIDATION_ERROR');
    expect((err as AppError).details.map((d) => d.field)).toEqual(
      expect.arrayContaining(['notification.userId', 'notification.kind'])
    );
    expect(await queues.queues.notifications.getJobCounts()).toEqual(before);
  });

  it('fails a job whose stored data breaks the contract without retrying, and tells the owner', async () => {
    const jobId = `bad-${randomUUID()}`;
    const failed = nextEvent(aliceSocket, 'job:failed', (e) => e.jobId === jobId);
    // Bypasses enqueue's validation, as an older or foreign producer could.
    await queues.queues.notifications.add(
      'deliver',
      { owner: ownerOf(alice), notification: { userId: 'not-a-uuid', kind: 'x', title: 'x' } },
      { jobId, attempts: 3 }
    );
    const event = await failed;
    expect(event).toMatchObject({
      queue: 'notifications',
      name: 'deliver',
      ownerUserId: alice.id,
      attemptsMade: 1,
      willRetry: false,
      error: { code: 'VALIDATION_ERROR' }
    });
    expect(event.error.message).toMatch(/notification\.userId/);
    expect(await queues.queues.notifications.getJobState(jobId)).toBe('failed');
  });

  it('reports unexpected failures generically, with the detail kept on the job', async () => {
    const jobId = `fk-${randomUUID()}`;
    const failed = nextEvent(aliceSocket, 'job:failed', (e) => e.jobId === jobId);
    // A recipient that does not exist: the insert violates the foreign key.
    await queues.enqueue(
      'notifications',
      'deliver',
      { owner: ownerOf(alice), notification: { userId: randomUUID(), kind: 'x', title: 'x' } },
      { jobId, attempts: 1 }
    );
    const event = await failed;
    expect(event).toMatchObject({
      willRetry: false,
      attemptsMade: 1,
      error: { code: 'INTERNAL_ERROR', message: 'The job failed unexpectedly' }
    });
    const job = await queues.queues.notifications.getJob(jobId);
    expect(job?.failedReason).toMatch(/foreign key|notifications/i);
  });
});
