/**
 * A worker process killed with SIGKILL in the middle of an import: BullMQ's
 * stalled-job recovery hands the job to another worker process, which resumes
 * after the last committed chunk. The counts come out as if nothing happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { count, countDistinct, eq } from 'drizzle-orm';
import { createQueues, type QueueClient } from '../../common/queues';
import { closeDb, type Db } from '../../db/client';
import { importErrors, moleculeInputs, molecules } from '../../db/schema';
import { deleteTestUsers, testDb, testEnv, type TestUser } from './helpers';
import { scientist, smilesMapping, startImport, waitForImport, writeUpload } from './ingest-fixtures';

const env = testEnv();
const root = fileURLToPath(new URL('../../', import.meta.url));
let db: Db;
let queues: QueueClient;
const users: TestUser[] = [];
const children: ChildProcess[] = [];

function startWorkerProcess(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: env.prefix,
      LOG_LEVEL: 'warn',
      // Short locks so the killed worker's job is seen as stalled within seconds, not 30 s.
      WORKER_LOCK_DURATION_MS: '3000',
      WORKER_STALLED_INTERVAL_MS: '1000'
    },
    stdio: ['ignore', 'inherit', 'inherit']
  });
  children.push(child);
  return child;
}

beforeAll(() => {
  db = testDb(env.databaseUrl);
  queues = createQueues(env.redisUrl, env.prefix);
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await queues?.close();
  await deleteTestUsers(db, users);
  await closeDb(db);
});

it('resumes after SIGKILL with the same counts and no duplicates', async () => {
  const s = await scientist(db, 'crash');
  users.push(s.user);
  const rows = 12_000;
  const lines = ['smiles,name,sponsor_id,ic50'];
  // Every 4th row repeats an earlier structure; every 10th is garbage. The
  // chain lengths give 500 distinct structures, each written one way only.
  const distinct = new Set<string>();
  for (let i = 1; i <= rows; i++) {
    const k = i % 4 === 0 ? i - 3 : i;
    const smiles = `C${'C'.repeat(k % 25)}N(C)${'C'.repeat(Math.floor(k / 25) % 20)}O`;
    if (i % 10 !== 0) distinct.add(smiles);
    lines.push(i % 10 === 0 ? `xx${i},bad,K-${i},` : `${smiles},m${i},K-${i},${i}`);
  }
  const file = await writeUpload('crash.csv', lines.join('\n'));

  const first = startWorkerProcess();
  const id = await startImport(db, queues, s.actor, file, 'crash.csv', smilesMapping());
  // Kill it once some, but not all, chunks are committed.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const row = await waitForImport(db, id, () => true);
    if (row.processedRows > 0 && row.processedRows < rows) break;
    if (row.status !== 'queued' && row.status !== 'running') throw new Error(`import ended (${row.status}) before the kill`);
    if (Date.now() > deadline) throw new Error('import never got going');
    await new Promise((r) => setTimeout(r, 20));
  }
  first.kill('SIGKILL');
  await once(first, 'exit');
  const atKill = await waitForImport(db, id, () => true);
  expect(atKill.status).toBe('running');
  expect(atKill.processedRows).toBeLessThan(rows);

  startWorkerProcess();
  const done = await waitForImport(db, id, undefined, 180_000);
  expect(done.status).toBe('completed');
  expect(done.totalRows).toBe(rows);
  expect(done.registered + done.duplicates + done.invalid).toBe(rows);
  expect(done.invalid).toBe(rows / 10);
  expect(done.registered).toBe(distinct.size);
  expect(done.duplicates).toBe(rows - rows / 10 - distinct.size);
  // No row was written twice: one input per valid row, one error per invalid row.
  const [{ inputs, distinctRows }] = await db
    .select({ inputs: count(), distinctRows: countDistinct(moleculeInputs.rowNumber) })
    .from(moleculeInputs)
    .where(eq(moleculeInputs.importId, id));
  expect(inputs).toBe(done.registered + done.duplicates);
  expect(distinctRows).toBe(inputs);
  const [{ errors }] = await db.select({ errors: count() }).from(importErrors).where(eq(importErrors.importId, id));
  expect(errors).toBe(done.invalid);
  const [{ created }] = await db.select({ created: count() }).from(molecules).where(eq(molecules.createdByImportId, id));
  expect(created).toBe(done.registered);
}, 240_000);
