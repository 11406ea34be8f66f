/**
 * Imports run in slices (one `ingest/import` job each). What the importer's
 * tab hears meanwhile: the whole import as one job under its id, its progress
 * never going back, and one `job:completed`, when the import is done (the
 * import page falls back to its last fetch on a completion, so a completion
 * per slice showed the bar jumping back, 5,000 → 4,000). And an import that
 * fails between slices still gets the descriptors of what it registered.
 */
import { rm } from 'node:fs/promises';
import { Queue } from 'bullmq';
import { and, count, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { imports, molecules } from '../../db/schema';
import { bullPrefix } from '../../common/queues';
import { connect, recordEvents, startRealtimeServer, type TestRealtimeServer, type TestSocket } from './helpers';
import { ingestSuite, smilesMapping, startImport, waitForImport, writeUpload } from './ingest-fixtures';

// Short slices: the file takes many turns. Read by the processor at each job.
const sliceBefore = process.env.IMPORT_SLICE_MS;
process.env.IMPORT_SLICE_MS = '100';

const t = ingestSuite();
let server: TestRealtimeServer;
let socket: TestSocket | undefined;

beforeAll(async () => {
  server = await startRealtimeServer(t.db, t.env.redisUrl, t.env.prefix);
});
afterAll(async () => {
  socket?.close();
  await server?.close();
  if (sliceBefore === undefined) delete process.env.IMPORT_SLICE_MS;
  else process.env.IMPORT_SLICE_MS = sliceBefore;
});

it('reports an import run in many slices as one job: progress only forward, completed once at the end', async () => {
  const s = await t.scientist('slices');
  socket = await connect(server.url, { token: s.user.token });
  const seen = recordEvents(socket);
  const rows = 6_000;
  const lines = ['smiles,name,sponsor_id,ic50'];
  for (let i = 1; i <= rows; i++) lines.push(`C${'C'.repeat(i % 30)}N${'C'.repeat(i % 11)}O,m${i},P-${i},${i}`);
  const id = await startImport(t.db, t.ingest.queues, s.actor, await writeUpload('slices.csv', lines.join('\n')), 'slices.csv', smilesMapping());
  const done = await waitForImport(t.db, id);
  expect(done.status).toBe('completed');

  // It did run in slices (else this test proves nothing).
  const queue = new Queue('ingest', { connection: { url: t.env.redisUrl }, prefix: bullPrefix(t.env.prefix) });
  try {
    const slices = (await queue.getJobs(['completed'], 0, -1)).filter((j) => (j.data as { importId: string }).importId === id);
    expect(slices.length).toBeGreaterThan(2);
  } finally {
    await queue.close();
  }

  const ofImport = () => seen.filter((e) => e.arg?.jobId === id);
  await expect.poll(() => ofImport().some((e) => e.event === 'job:completed'), { timeout: 10_000 }).toBe(true);
  const events = ofImport();
  expect(events.filter((e) => e.event === 'job:completed')).toHaveLength(1);
  expect(events.at(-1)!.event).toBe('job:completed');
  expect(events.some((e) => e.event === 'job:failed')).toBe(false);
  const processed = events.filter((e) => e.event === 'job:progress').map((e) => e.arg.progress.data.processed as number);
  expect(processed.length).toBeGreaterThan(rows / 1000);
  for (let i = 1; i < processed.length; i++) expect(processed[i]).toBeGreaterThanOrEqual(processed[i - 1]);
  expect(processed.at(-1)).toBe(rows);
}, 120_000);

it('computes the descriptors of what an import registered when a later slice fails (its file went away)', async () => {
  const s = await t.scientist('fails-later');
  const rows = 30_000;
  const lines = ['smiles,name,sponsor_id,ic50'];
  for (let i = 1; i <= rows; i++) lines.push(`C${'C'.repeat(i % 30)}N${'C'.repeat(i % 11)}O${'C'.repeat(i % 7)},m${i},F-${i},${i}`);
  const file = await writeUpload('fails.csv', lines.join('\n'));
  const id = await startImport(t.db, t.ingest.queues, s.actor, file, 'fails.csv', smilesMapping());
  // Once the first rows are committed the upload disappears: the slice reading it goes on
  // (its file stays open), the next one cannot open it.
  for (;;) {
    const [row] = await t.db.select().from(imports).where(eq(imports.id, id));
    if (row.processedRows > 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  await rm(file);
  const failed = await waitForImport(t.db, id, undefined, 60_000);
  expect(failed.status).toBe('failed');
  expect(failed.error).toMatchObject({ code: 'NOT_FOUND' });
  expect(failed.processedRows).toBeLessThan(rows);
  expect(failed.registered).toBeGreaterThan(0);
  const undescribed = async () =>
    (await t.db.select({ n: count() }).from(molecules).where(and(eq(molecules.createdByImportId, id), isNull(molecules.descriptorsAt))))[0].n;
  await expect.poll(undescribed, { timeout: 30_000, interval: 200 }).toBe(0);
  const [after] = await t.db.select().from(imports).where(eq(imports.id, id));
  expect(after.status).toBe('failed');
  expect(after.descriptorsDone).toBe(after.registered);
}, 120_000);
