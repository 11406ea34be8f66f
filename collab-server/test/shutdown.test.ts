/**
 * The real entry point as a process: listens where COLLAB_* say, and on
 * SIGTERM stores what clients had acknowledged, closes everything and exits 0.
 */
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, createMember, createOrganization, decodeState, spawnCollabServer, storedRow, testEnv, useTestDb, type TestClient } from './fixtures';

const db = useTestDb();
let child: ChildProcess | null = null;
let client: TestClient | null = null;

afterEach(() => {
  client?.destroy();
  client = null;
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = null;
});

describe('collab-server/index.ts', () => {
  it('stores acknowledged edits on SIGTERM and exits 0', async () => {
    const { redisUrl, databaseUrl } = testEnv();
    const org = await createOrganization(db);
    const member = await createMember(db, org.id, 'scientist');
    const name = `organization:${org.id}`;

    const server = spawnCollabServer({
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
