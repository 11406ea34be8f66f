/**
 * web/server.ts on SIGTERM: after answering requests that opened the app's pool and
 * Redis (health), it closes them, socket.io's pool and Redis, and ends by itself, exit
 * code 0, with nothing left holding the event loop (a leak would be named in a
 * "still open after shutdown" warning). Needs the web build (build/handler.js).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { freePort } from '../../scripts/services';
import { repoRoot } from '../../scripts/start';

const built = fs.existsSync(path.join(repoRoot, 'build', 'handler.js'));

it.skipIf(!built)('closes its pool, Redis and queues on SIGTERM and exits 0 with nothing left open', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'web/server.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ORIGIN: `http://localhost:${port}`,
      COLLAB_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json'
    },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    let health = 0;
    for (let i = 0; i < 300 && health !== 200; i++) {
      if (child.exitCode !== null) throw new Error(`web exited: ${output}`);
      health = await fetch(`http://127.0.0.1:${port}/api/v1/health`).then(
        async (r) => (await r.body?.cancel(), r.status),
        () => 0
      );
      if (health !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(health).toBe(200);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  child.kill('SIGTERM');
  const [code, signal] = await exited;
  const lines = output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; level: string });
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(lines.map((l) => l.msg)).toContain('stopped');
  expect(lines.filter((l) => l.msg.startsWith('still open after shutdown'))).toEqual([]);
});
