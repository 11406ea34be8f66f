/**
 * The real entry point as a process: listens where COLLAB_* say, and on
 * SIGTERM stores what clients had acknowledged, closes everything and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  closeDb,
  connectClient,
  createMember,
  createOrganization,
  decodeState,
  storedRow,
  testDb,
  testEnv,
  type TestClient
} from './fixtures';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const db = testDb();
let child: ChildProcess | null = null;
let client: TestClient | null = null;

afterEach(() => {
  client?.destroy();
  client = null;
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = null;
});
afterAll(async () => {
  await closeDb(db);
});

function startEntryPoint(env: Record<string, string>) {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'collab-server/index.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  const listening = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collab-server did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /\[collab\] listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`collab-server exited with ${code} before listening:\n${output}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, listening, exited, output: () => output };
}

describe('collab-server/index.ts', () => {
  it('stores acknowledged edits on SIGTERM and exits 0', async () => {
    const { redisUrl, databaseUrl } = testEnv();
    const org = await createOrganization(db);
    const member = await createMember(db, org.id, 'scientist');
    const name = `organization:${org.id}`;

    const server = startEntryPoint({
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `collabtest-${randomUUID().slice(0, 8)}`,
      COLLAB_HOST: '127.0.0.1',
      COLLAB_PORT: '0',
      // Only the shutdown flush can store within this test.
      COLLAB_DEBOUNCE_MS: '60000'
    });
    child = server.proc;
    const port = await server.listening;

    client = connectClient(`ws://127.0.0.1:${port}`, name, member.token);
    await client.ready();
    client.doc.getText('notes').insert(0, 'saved by the shutdown');
    await client.acknowledged();
    expect(await storedRow(db, name)).toBeNull();

    server.proc.kill('SIGTERM');
    server.proc.kill('SIGTERM'); // a second signal must not start a second shutdown
    expect(await server.exited, server.output()).toBe(0);
    expect(server.output()).toContain('documents stored');
    expect(decodeState((await storedRow(db, name))!.state).getText('notes').toString()).toBe('saved by the shutdown');
  }, 40_000);
});
