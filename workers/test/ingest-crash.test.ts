/**
 * A worker process killed with SIGKILL in the middle of an import: BullMQ's
 * stalled-job recovery hands the job to another worker process, which resumes
 * after the last committed chunk. The counts come out as if nothing happened.
 * Also: Redis losing the queue (Postgres resumes it), cancel and revert of an
 * import whose worker died, uploading the same file again, and imports of
 * two organisations sharing two worker processes fairly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { and, count, countDistinct, eq, inArray, isNull, sql } from 'drizzle-orm';
import { bullPrefix, createQueues, type QueueClient } from '../../common/queues';
import { listImportDuplicates, requestCancel, revertImport } from '../../db/access/imports';
import type { Actor } from '../../db/auth';
import { closeDb, type Db } from '../../db/client';
import { importErrors, imports, moleculeInputs, moleculeProperties, molecules } from '../../db/schema';
import { deleteRedisKeys, deleteTestUsers, testDb, testEnv, type TestUser } from './helpers';
import { client, scientist, smilesMapping, startImport, waitForImport, writeUpload } from './ingest-fixtures';

const env = testEnv();
const root = fileURLToPath(new URL('../../', import.meta.url));
let db: Db;
let queues: QueueClient;
const users: TestUser[] = [];
const children: ChildProcess[] = [];

function startWorkerProcess(extraEnv: Record<string, string> = {}): ChildProcess {
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
      WORKER_STALLED_INTERVAL_MS: '1000',
      // Short slices, so these files take several turns.
      IMPORT_SLICE_MS: '1500',
      ...extraEnv
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
const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
async function killAll() {
  for (const c of children.filter(alive)) {
    c.kill('SIGKILL');
    await once(c, 'exit');
  }
}

afterAll(async () => {
  await killAll();
  await queues?.close();
  await deleteTestUsers(db, users);
  await closeDb(db);
});

/**
 * `rows` rows: every 4th repeats an earlier structure, every 10th is garbage.
 * The chain lengths give distinct structures, each written one way only.
 */
function crashFile(rows: number, tag = 'K') {
  const lines = ['smiles,name,sponsor_id,ic50'];
  const distinct = new Set<string>();
  for (let i = 1; i <= rows; i++) {
    const k = i % 4 === 0 ? i - 3 : i;
    const smiles = `C${'C'.repeat(k % 25)}N(C)${'C'.repeat(Math.floor(k / 25) % 20)}O`;
    if (i % 10 !== 0) distinct.add(smiles);
    lines.push(i % 10 === 0 ? `xx${i},bad,${tag}-${i},` : `${smiles},m${i},${tag}-${i},${i}`);
  }
  return { text: lines.join('\n'), distinct: distinct.size, valid: rows - rows / 10 };
}

/** Kill `child` (SIGKILL) once some, but not all, of the import's rows are committed. */
async function killMidImport(child: ChildProcess, id: string, rows: number) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const row = await waitForImport(db, id, () => true);
    if (row.processedRows > 0 && row.processedRows < rows) break;
    if (row.status !== 'queued' && row.status !== 'running') throw new Error(`import ended (${row.status}) before the kill`);
    if (Date.now() > deadline) throw new Error('import never got going');
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  await once(child, 'exit');
  const atKill = await waitForImport(db, id, () => true);
  expect(atKill.status).toBe('running');
  expect(atKill.processedRows).toBeLessThan(rows);
  return atKill;
}

/** An import of `rows` rows (crashFile) whose only worker process was SIGKILLed part-way through. */
async function killedImport(actor: Actor, name: string, rows: number, tag: string) {
  await killAll();
  const worker = startWorkerProcess();
  const file = crashFile(rows, tag);
  const id = await startImport(db, queues, actor, await writeUpload(name, file.text), name, smilesMapping());
  const atKill = await killMidImport(worker, id, rows);
  return { id, file, atKill };
}

/** Exact counts, one input per valid row, one value per valid row, descriptors for every molecule it made. */
async function expectExact(id: string, rows: number, file: ReturnType<typeof crashFile>) {
  const done = await waitForImport(db, id, undefined, 180_000);
  expect(done.status).toBe('completed');
  expect(done.totalRows).toBe(rows);
  expect(done.registered + done.duplicates + done.invalid).toBe(rows);
  expect(done.invalid).toBe(rows / 10);
  expect(done.registered).toBe(file.distinct);
  expect(done.duplicates).toBe(file.valid - file.distinct);
  // No row was written twice: one input per valid row, one error per invalid row, one value per valid row (each ic50 differs).
  const [{ inputs, distinctRows }] = await db
    .select({ inputs: count(), distinctRows: countDistinct(moleculeInputs.rowNumber) })
    .from(moleculeInputs)
    .where(eq(moleculeInputs.importId, id));
  expect(inputs).toBe(done.registered + done.duplicates);
  expect(distinctRows).toBe(inputs);
  const [{ values }] = await db.select({ values: count() }).from(moleculeProperties).where(eq(moleculeProperties.importId, id));
  expect(values).toBe(file.valid);
  const [{ errors }] = await db.select({ errors: count() }).from(importErrors).where(eq(importErrors.importId, id));
  expect(errors).toBe(done.invalid);
  const [{ created }] = await db.select({ created: count() }).from(molecules).where(eq(molecules.createdByImportId, id));
  expect(created).toBe(done.registered);
  // Pass 2 completed over the slices and the crash: every molecule has descriptors.
  const [{ undescribed }] = await db
    .select({ undescribed: count() })
    .from(molecules)
    .where(and(eq(molecules.createdByImportId, id), isNull(molecules.descriptorsAt)));
  expect(undescribed).toBe(0);
  expect(done.descriptorsDone).toBe(done.registered);
  return done;
}

it('resumes after SIGKILL with the same counts and no duplicates; the same file again adds no second copy', async () => {
  const s = await scientist(db, 'crash');
  users.push(s.user);
  const rows = 12_000;
  const { id, file } = await killedImport(s.actor, 'crash.csv', rows, 'K');
  startWorkerProcess();
  await expectExact(id, rows, file);

  // The same file again: every valid row is a duplicate, and no value is stored a second time.
  const again = await startImport(db, queues, s.actor, await writeUpload('crash.csv', file.text), 'crash.csv', smilesMapping());
  const second = await waitForImport(db, again, undefined, 180_000);
  expect(second.status).toBe('completed');
  expect([second.registered, second.duplicates, second.invalid]).toEqual([0, file.valid, rows / 10]);
  const [{ values }] = await db.select({ values: count() }).from(moleculeProperties).where(eq(moleculeProperties.importId, again));
  expect(values).toBe(0);
  const [{ all }] = await db
    .select({ all: count() })
    .from(moleculeProperties)
    .where(inArray(moleculeProperties.importId, [id, again]));
  expect(all).toBe(file.valid);
  // Which rows matched which registry numbers: all of them, in row order, each to the molecule the first import made.
  const dups = await listImportDuplicates(db, s.actor, again, { page: 1, pageSize: 5 });
  expect(dups.total).toBe(file.valid);
  expect(dups.data.map((d) => d.row_number)).toEqual([1, 2, 3, 4, 5]);
  expect(dups.data[3].molecule_id).toBe(dups.data[0].molecule_id); // row 4 repeats row 1's structure
  expect(dups.data[0].registry_number).toMatch(/^CX-\d{6}$/);
  expect(dups.data[0].same_as_row).toBeNull(); // registered before this import
  const firstDups = await listImportDuplicates(db, s.actor, id, { page: 1, pageSize: 2 });
  expect(firstDups.total).toBe(file.valid - file.distinct);
  expect(firstDups.data[0]).toMatchObject({ row_number: 4, same_as_row: 1 });
}, 300_000);

it('resumes imports whose queue Redis lost (one running, one still queued) from Postgres when a worker starts', async () => {
  const s = await scientist(db, 'lost');
  users.push(s.user);
  const rows = 6_000;
  const { id, file } = await killedImport(s.actor, 'lost.csv', rows, 'L');
  // Another organisation's (the same structures would all be duplicates in this one).
  const other = await scientist(db, 'lost-queued');
  users.push(other.user);
  const queuedFile = crashFile(1_000, 'Q');
  const queuedId = await startImport(db, queues, other.actor, await writeUpload('queued.csv', queuedFile.text), 'queued.csv', smilesMapping());
  // A Redis restart without persistence: every queue key is gone.
  await deleteRedisKeys(env.redisUrl, env.prefix);
  // The queued import has waited longer than the web request that made it takes to queue it.
  await db.update(imports).set({ createdAt: sql`now() - interval '1 minute'` }).where(eq(imports.id, queuedId));
  // Only the sweep at start can find them: the periodic one would come after the test's time.
  startWorkerProcess({ IMPORT_RESUME_EVERY_MS: '3600000' });
  await expectExact(id, rows, file);
  await expectExact(queuedId, 1_000, queuedFile);
}, 240_000);

it('cancels and reverts an import whose worker died', async () => {
  const s = await scientist(db, 'dead');
  users.push(s.user);
  const rows = 6_000;
  const { id, atKill } = await killedImport(s.actor, 'dead.csv', rows, 'D');
  // No worker runs: cancel takes effect at once (it used to wait for a worker that never came).
  const cancelled = await requestCancel(db, s.actor, id, client);
  expect(cancelled.status).toBe('cancelled');
  expect(cancelled.processedRows).toBe(atKill.processedRows);
  // A worker finishes the descriptors of what the import registered, and leaves it cancelled.
  startWorkerProcess();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const [{ undescribed }] = await db
      .select({ undescribed: count() })
      .from(molecules)
      .where(and(eq(molecules.createdByImportId, id), isNull(molecules.descriptorsAt)));
    if (undescribed === 0) break;
    if (Date.now() > deadline) throw new Error(`${undescribed} molecules still without descriptors`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const [after] = await db.select().from(imports).where(eq(imports.id, id));
  expect(after.status).toBe('cancelled');
  expect(after.processedRows).toBe(atKill.processedRows);

  // And revert of a running import whose worker died (it used to answer 409 "still running").
  const { id: id2 } = await killedImport(s.actor, 'dead2.csv', rows, 'E');
  const { removed } = await revertImport(db, s.actor, id2, client);
  expect(removed.inputs).toBeGreaterThan(0);
  const [{ left }] = await db.select({ left: count() }).from(moleculeInputs).where(eq(moleculeInputs.importId, id2));
  expect(left).toBe(0);
  const [reverted] = await db.select().from(imports).where(eq(imports.id, id2));
  expect(reverted.status).toBe('reverted');
}, 300_000);

it("runs another organisation's one-row import while a large one is running; two worker processes share the slices", async () => {
  await killAll();
  const a = await scientist(db, 'fair-a');
  const b = await scientist(db, 'fair-b');
  users.push(a.user, b.user);
  // One worker process running one job at a time: before slicing, B waited for all of A.
  startWorkerProcess({ WORKER_CONCURRENCY: '1', IMPORT_SLICE_MS: '500' });
  const rows = 30_000;
  const big = crashFile(rows, 'A');
  const bigId = await startImport(db, queues, a.actor, await writeUpload('big.csv', big.text), 'big.csv', smilesMapping());
  await waitForImport(db, bigId, (st) => st === 'running');
  // A's import is under way: its rows are being committed.
  for (;;) {
    const [row] = await db.select().from(imports).where(eq(imports.id, bigId));
    if (row.processedRows > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const smallId = await startImport(
    db,
    queues,
    b.actor,
    await writeUpload('one.csv', 'smiles,name,sponsor_id,ic50\nc1ccccc1O,phenol,B-1,1\n'),
    'one.csv',
    smilesMapping()
  );
  const small = await waitForImport(db, smallId, undefined, 120_000);
  expect(small.status).toBe('completed');
  expect(small.registered).toBe(1);
  // B's import finished while A's was still running: it did not wait behind it.
  const [bigThen] = await db.select().from(imports).where(eq(imports.id, bigId));
  expect(bigThen.status).toBe('running');
  expect(bigThen.processedRows).toBeLessThan(rows);
  expect(bigThen.finishedAt).toBeNull();

  // A second worker process takes a share of the slices.
  startWorkerProcess({ WORKER_CONCURRENCY: '1', IMPORT_SLICE_MS: '500' });
  await expectExact(bigId, rows, big);
  // Both worker processes ran slices of the large import.
  const queue = new Queue('ingest', { connection: { url: env.redisUrl }, prefix: bullPrefix(env.prefix) });
  try {
    const slices = (await queue.getJobs(['completed'], 0, -1)).filter((j) => (j.data as { importId: string }).importId === bigId);
    expect(slices.length).toBeGreaterThan(2);
    expect(new Set(slices.map((j) => j.processedBy)).size).toBe(2);
  } finally {
    await queue.close();
  }
}, 300_000);
