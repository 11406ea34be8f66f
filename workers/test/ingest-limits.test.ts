/**
 * Limits that keep one upload from costing everyone: a gzip bomb is refused
 * with an error naming the limit (before any row is written, in bounded
 * memory), and an upload while Redis is unreachable is refused at once
 * (503) instead of waiting on a queue that will not answer.
 */
import { expect, it } from 'vitest';
import { count, eq } from 'drizzle-orm';
import { createQueues } from '../../common/queues';
import { abandonImport, createImport } from '../../db/access/imports';
import { imports, moleculeInputs } from '../../db/schema';
import { client, gzipBomb, ingestSuite, smilesMapping, startImport, waitForImport, writeUpload } from './ingest-fixtures';

const t = ingestSuite();

it('refuses a 4 MB gzip that expands to 4.4 GB, naming the limit, without writing a row', async () => {
  const s = await t.scientist('bomb');
  const bomb = gzipBomb(4.4 * 1024 **3);
  expect(bomb.length).toBeLessThan(8 * 1024 ** 2);
  const file = await writeUpload('bomb.csv.gz', bomb);
  const rssBefore = process.memoryUsage().rss;
  const id = await startImport(t.db, t.ingest.queues, s.actor, file, 'bomb.csv.gz', smilesMapping());
  const done = await waitForImport(t.db, id, undefined, 120_000);
  expect(done.status).toBe('failed');
  expect(done.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  expect((done.error as { message: string }).message).toMatch(/expands more than 100 times its size/);
  expect(done.processedRows).toBe(0);
  const [{ n }] = await t.db.select({ n: count() }).from(moleculeInputs).where(eq(moleculeInputs.importId, id));
  expect(n).toBe(0);
  // It streamed: the process did not hold the expanded text (4.4 GB) or even the 16 MB it read before the ratio check.
  expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 ** 2);
}, 180_000);

it('refuses to queue while Redis is unreachable (503) and leaves no import waiting', async () => {
  const s = await t.scientist('redis-down');
  // The shared worker host re-queues unfinished imports from Postgres on a timer; it would
  // take this queued row (whose file does not exist) before the route's abandon step.
  await t.ingest.close();
  // Nothing listens on port 1: the state of a Redis that is down.
  const down = createQueues('redis://127.0.0.1:1', t.env.prefix, { onError: () => {} });
  try {
    const row = await createImport(
      t.db,
      s.actor,
      { filename: 'a.csv', format: 'csv', compression: null, encoding: 'utf-8', sizeBytes: 10, storagePath: '/nonexistent', mapping: smilesMapping() },
      client
    );
    const err = await down.enqueue('ingest', 'import', { owner: { userId: s.user.id, organizationId: s.user.organizationId }, importId: row.id }).catch((e) => e);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    // What POST /api/v1/imports does then: the import is failed, not left queued.
    await abandonImport(t.db, row.id, { code: err.code, message: err.message });
    const [after] = await t.db.select().from(imports).where(eq(imports.id, row.id));
    expect(after.status).toBe('failed');
    expect(after.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  } finally {
    await down.close();
    t.ingest = await t.startHost();
  }
});

it('keeps a name given for an already-registered structure as a synonym', async () => {
  const s = await t.scientist('synonym');
  const first = await startImport(t.db, t.ingest.queues, s.actor, await writeUpload('a.csv', 'smiles,name,sponsor_id,ic50\nCCO,ethanol,S-1,1\n'), 'a.csv', smilesMapping());
  await waitForImport(t.db, first);
  const again = await startImport(
    t.db,
    t.ingest.queues,
    s.actor,
    await writeUpload('b.csv', 'smiles,name,sponsor_id,ic50\nOCC,alcohol,S-2,2\nC(O)C,ethyl alcohol,S-3,3\nCCO,ethanol,S-4,4\n'),
    'b.csv',
    smilesMapping()
  );
  expect((await waitForImport(t.db, again)).duplicates).toBe(3);
  const { getMolecule, listMolecules } = await import('../../db/access/molecules');
  const found = await listMolecules(t.db, s.actor, { q: 'S-1' }, { page: 1, pageSize: 5 });
  const m = await getMolecule(t.db, s.actor, found.data[0].id);
  expect(m.name).toBe('ethanol');
  expect(m.identifiers.filter((i) => i.label === 'synonym').map((i) => i.value).sort()).toEqual(['alcohol', 'ethyl alcohol']);
});
