/**
 * Pieces for ingest tests: an organisation with a scientist, files written to
 * a temp upload folder, imports created through the data layer exactly as the
 * web app does, and a real worker host (BullMQ on Redis) running them.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { createQueues, ingestJobId, type QueueClient } from '../../common/queues';
import type { ImportMapping } from '../../common/import-mapping';
import { createImport } from '../../db/access/imports';
import { authenticateToken, type Actor } from '../../db/auth';
import { closeDb, type Db } from '../../db/client';
import { imports } from '../../db/schema';
import { startWorkers, type WorkerHost } from '../host';
import { createLogger } from '../../common/log';
import { loadProcessors } from '../registry';
import { createTestUser, deleteTestUsers, testDb, testEnv, type TestUser } from './helpers';
import { previewFile } from '../../ingest/preview';

export const client = { via: 'api' as const, ip: '127.0.0.1', userAgent: 'vitest' };

export async function scientist(db: Db, label: string): Promise<{ user: TestUser; actor: Actor }> {
  const user = await createTestUser(db, label);
  const actor = await authenticateToken(db, user.token);
  if (!actor) throw new Error('test user did not authenticate');
  return { user, actor };
}

let uploadDir: string | null = null;
export async function writeUpload(name: string, content: string | Buffer, opts: { gzip?: boolean } = {}) {
  uploadDir ??= await mkdtemp(path.join(tmpdir(), 'crosslink-ingest-'));
  const file = path.join(uploadDir, `${Date.now()}-${Math.random().toString(36).slice(2)}-${name}`);
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  await writeFile(file, opts.gzip ? gzipSync(bytes) : bytes);
  return file;
}

/** Create an import the way POST /api/v1/imports does (preview → mapping → row) and enqueue it. */
export async function startImport(
  db: Db,
  queues: QueueClient,
  actor: Actor,
  file: string,
  filename: string,
  mapping?: ImportMapping
) {
  const preview = await previewFile(file, { filename });
  const row = await createImport(
    db,
    actor,
    {
      filename,
      format: preview.format,
      compression: preview.compression,
      encoding: preview.encoding,
      sizeBytes: 0,
      storagePath: file,
      mapping: mapping ?? preview.suggestedMapping
    },
    client
  );
  await queues.enqueue('ingest', 'import', { owner: { userId: actor.user.id, organizationId: actor.organization!.id }, importId: row.id }, { jobId: ingestJobId(row) });
  return row.id;
}

export async function waitForImport(db: Db, id: string, until: (status: string) => boolean = (s) => !['queued', 'running'].includes(s), timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db.select().from(imports).where(eq(imports.id, id));
    if (row && until(row.status)) return row;
    if (Date.now() > deadline) throw new Error(`import ${id} still ${row?.status} after ${timeoutMs} ms (processed ${row?.processedRows})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type IngestHost = { host: WorkerHost; queues: QueueClient; close(): Promise<void> };

export async function startIngestHost(db: Db, redisUrl: string, prefix: string): Promise<IngestHost> {
  const host = await startWorkers({
    db,
    redisUrl,
    prefix,
    processors: await loadProcessors(),
    schedules: false,
    log: createLogger('ingest-test', { LOG_LEVEL: 'warn' })
  });
  const queues = createQueues(redisUrl, prefix);
  return {
    host,
    queues,
    async close() {
      await queues.close();
      await host.close();
    }
  };
}

/**
 * A test file's services (its hooks are registered here): the database, a
 * worker host running the real processors on its own Redis prefix (`ingest`;
 * a test may stop it and start another), and scientists removed afterwards.
 */
export function ingestSuite() {
  const env = testEnv();
  const users: TestUser[] = [];
  const suite = {
    env,
    db: undefined as unknown as Db,
    ingest: undefined as unknown as IngestHost,
    startHost: () => startIngestHost(suite.db, env.redisUrl, env.prefix),
    async scientist(label: string) {
      const s = await scientist(suite.db, label);
      users.push(s.user);
      return s;
    }
  };
  beforeAll(async () => {
    suite.db = testDb(env.databaseUrl);
    suite.ingest = await suite.startHost();
  });
  afterAll(async () => {
    await suite.ingest?.close();
    await deleteTestUsers(suite.db, users);
    await closeDb(suite.db);
  });
  return suite;
}

export const smilesMapping = (extra: Partial<ImportMapping> = {}): ImportMapping => ({
  structure: { column: 'smiles', type: 'smiles' },
  name: { column: 'name' },
  identifiers: [{ column: 'sponsor_id', label: 'sponsor_id' }],
  properties: [{ column: 'ic50', name: 'IC50', unit: 'nM' }],
  ...extra
});

/**
 * A gzip bomb: a CSV header, then one compressed 16 MB run of rows repeated
 * as gzip members (gunzip reads concatenated members as one stream). A few
 * MB on disk that expand to `expandedBytes`, made in well under a second.
 */
export function gzipBomb(expandedBytes: number): Buffer {
  // Long runs of one character compress best (deflate tops out near 1,000:1).
  const line = `${'C'.repeat(4000)},alkane,K-1,1\n`;
  const runBytes = 16 * 1024 * 1024;
  const member = gzipSync(Buffer.from(line.repeat(Math.floor(runBytes / line.length))), { level: 9 });
  const members = Math.ceil(expandedBytes / runBytes);
  return Buffer.concat([gzipSync(Buffer.from('smiles,name,sponsor_id,ic50\n')), ...Array.from({ length: members }, () => member)]);
}
