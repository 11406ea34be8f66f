/**
 * POST /api/v1/imports through its handler, with Redis down (nothing listens
 * on its port): the upload is refused with 503 at once and leaves no import
 * waiting for a job that was never added (it is marked failed, the stored
 * file deleted). The file name is kept as the browser sent it, in UTF-8.
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RequestEvent } from '@sveltejs/kit';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { authenticateToken, type Actor } from '$db/auth';
import { closeDb, type Db } from '$db/client';
import { imports } from '$db/schema';
import { closeContext } from '$lib/server/context';
import { newOrganization, testDb } from '../../db/test/fixtures';

function deadPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

let db: Db;
let actor: Actor;
let uploadDir: string;
const env = { REDIS_URL: process.env.REDIS_URL, UPLOAD_DIR: process.env.UPLOAD_DIR };

beforeAll(async () => {
  db = testDb();
  const org = await newOrganization(db);
  actor = (await authenticateToken(db, org.token))!;
  uploadDir = await mkdtemp(path.join(tmpdir(), 'crosslink-upload-'));
  // The web context reads these on first use (this file's own module instance).
  process.env.REDIS_URL = `redis://127.0.0.1:${await deadPort()}`;
  process.env.UPLOAD_DIR = uploadDir;
});
afterAll(async () => {
  await closeContext();
  Object.assign(process.env, env);
  await closeDb(db);
});

it('answers 503 while Redis is down and leaves the import failed, not queued; the UTF-8 file name is intact', async () => {
  const { POST } = await import('../src/routes/api/v1/imports/+server');
  const filename = '分子 🧪.csv';
  const form = new FormData();
  form.append('file', new Blob(['smiles,name\nCCO,ethanol\nc1ccccc1O,phenol\n'], { type: 'text/csv' }), filename);
  const url = new URL('http://localhost/api/v1/imports');
  const event = { request: new Request(url, { method: 'POST', body: form }), url, params: {}, locals: { actor }, getClientAddress: () => '127.0.0.1' };

  const res = await POST(event as unknown as RequestEvent);
  expect(res.status).toBe(503);
  expect((await res.json()).error.code).toBe('SERVICE_UNAVAILABLE');

  const made = await db.select().from(imports).where(eq(imports.organizationId, actor.organization!.id));
  expect(made).toHaveLength(1);
  expect(made[0].filename).toBe(filename);
  expect(made[0].status).toBe('failed');
  expect(made[0].error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  expect(made[0].finishedAt).not.toBeNull();
  expect(await readdir(uploadDir)).toEqual([]);
});
