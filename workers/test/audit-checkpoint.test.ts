/**
 * The workers' `audit` queue: a `checkpoint` job signs the head of a chain with
 * new events with the process's AUDIT_CHECKPOINT_KEY and logs it outside the
 * database; a chain rewritten under its newest checkpoint is refused and
 * logged as an error, and nothing is signed over it.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueues, systemOwner, type QueueClient } from '../../common/queues';
import { checkpointKeyFromEnv, recordAudits, verifyAuditChain } from '../../db/audit';
import { closeDb, type Db } from '../../db/client';
import { auditCheckpoints } from '../../db/schema';
import { newOrganization, ownerDb } from '../../db/test/fixtures';
import { startWorkers, type WorkerHost } from '../host';
import type { Logger } from '../processor';
import { loadProcessors } from '../registry';
import { deleteRedisKeys, testDb, testEnv } from './helpers';

const env = testEnv();
let db: Db;
let queues: QueueClient;
let host: WorkerHost;
const logged: string[] = [];
const log: Logger = { debug: () => {}, info: (m) => logged.push(m), warn: (m) => logged.push(m), error: (m) => logged.push(`error: ${m}`) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  db = testDb(env.databaseUrl);
  queues = createQueues(env.redisUrl, env.prefix);
  host = await startWorkers({ db, redisUrl: env.redisUrl, prefix: env.prefix, schedules: false, log, processors: await loadProcessors() });
});

afterAll(async () => {
  await host?.close();
  await queues?.close();
  await closeDb(db);
  await deleteRedisKeys(env.redisUrl, env.prefix);
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('audit checkpoint job', () => {
  it('signs a chain’s head, then refuses the chain once it is rewritten under that checkpoint', async () => {
    // The global setup gives every integration test process the key, as npm start gives the workers.
    const key = checkpointKeyFromEnv()!;
    expect(key).not.toBeNull();
    const orgId = (await newOrganization(db)).organization.id;
    await recordAudits(db, [{ organizationId: orgId, actorUserId: null, action: 'test.audited', entityType: 'test', after: { n: 1 } }]);
    const checkpointsOfOrg = () => db.select().from(auditCheckpoints).where(eq(auditCheckpoints.organizationId, orgId));

    await queues.enqueue('audit', 'checkpoint', { owner: systemOwner, organizationId: orgId });
    await until('a checkpoint', async () => (await checkpointsOfOrg()).length === 1);
    const [checkpoint] = await checkpointsOfOrg();
    expect(checkpoint).toMatchObject({ eventCount: 2, keyId: key.id });
    expect(await verifyAuditChain(db, orgId, key)).toMatchObject({ ok: true, checkpointsChecked: 1 });
    await until('the checkpoint in the log', () => logged.some((l) => l.includes(`audit checkpoint ${checkpoint.id}: chain ${orgId}`)));

    // Someone with write access rewrites the checkpointed event and adds one more.
    const owner = ownerDb();
    await owner.execute(sql`update audit_events set hash = 'rewritten' where id = ${checkpoint.lastEventId}`).finally(() => closeDb(owner));
    await recordAudits(db, [{ organizationId: orgId, actorUserId: null, action: 'test.audited', entityType: 'test', after: { n: 2 } }]);
    await queues.enqueue('audit', 'checkpoint', { owner: systemOwner, organizationId: orgId });
    await until('the refusal in the log', () => logged.some((l) => l.startsWith(`error: audit chain ${orgId} does not verify, not signed`)));
    expect(await checkpointsOfOrg()).toHaveLength(1);
  });
});
