/**
 * Web hardening (issue 10, "Web" and the web parts of "Faults"/"API"/"Rough edges"),
 * each test the attack or fault that got through before:
 *  - open redirects after sign-in (page load as a signed-in user, and the form post);
 *  - the sign-in lockout that anyone could aim at anyone: real requests from different
 *    loopback addresses (127.0.0.x are all this machine), so "another address" is a real
 *    socket peer, not a header;
 *  - request bodies over the limit refused at once with 413; uploads still take large ones;
 *  - gzip/brotli for clients that accept it;
 *  - Content-Security-Policy on the pages, with no violation in Chromium;
 *  - Postgres or Redis down: 503 with Retry-After, health names the check only, and pages,
 *    API and sign-in come back by themselves when Postgres or Redis does (web servers started
 *    here against a port where nothing listens, a relay to Postgres this file cuts and
 *    restores, and a Redis this file starts and stops).
 */
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import zlib from 'node:zlib';
import { freePort } from '../scripts/services';
import { PASSWORD, signInInBrowser, signUpViaApi, uniqueEmail } from './support';

const port = Number(process.env.E2E_PORT);
const repoRoot = path.resolve(import.meta.dirname, '..');

async function signup(request: APIRequestContext, tag = 'hard') {
  const { email, token, headers } = await signUpViaApi(request, tag);
  return { email, token, cookie: `crosslink_session=${token}`, auth: headers };
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP request from a chosen local address (127.0.0.x), without decoding the body. */
function rawRequest(opts: {
  path: string;
  method?: string;
  from?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  targetPort?: number;
}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: opts.targetPort ?? port, path: opts.path, method: opts.method ?? 'GET', localAddress: opts.from, headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      }
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

function loginFrom(from: string, email: string, password: string, headers: Record<string, string> = {}) {
  const body = JSON.stringify({ email, password });
  return rawRequest({
    path: '/api/v1/auth/login',
    method: 'POST',
    from,
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers },
    body
  });
}

const envelope = (r: RawResponse) => JSON.parse(r.body.toString('utf8')) as { error?: { code: string; message: string; details?: unknown[]; checks?: Record<string, string> }; data?: unknown };

// ---------------------------------------------------------------------------------------------
// Open redirect

test.describe('open redirect after sign-in', () => {
  const attacks = ['%2F%09%2Fevil.example%2Fphish', '%2F%0A%2Fevil.example%2Fphish', '%2F%5Cevil.example', '%2F%2Fevil.example', 'https%3A%2F%2Fevil.example', 'javascript%3Aalert(1)'];

  test('a signed-in user opening /login is sent only to a path on this site, never a 500', async ({ request }) => {
    const user = await signup(request);
    for (const attack of attacks) {
      const res = await request.get(`/login?redirectTo=${attack}`, { headers: { Cookie: user.cookie }, maxRedirects: 0 });
      expect(res.status(), attack).toBe(303);
      const target = new URL(res.headers()['location'], `http://localhost:${port}/login`);
      expect(target.host, attack).toBe(`localhost:${port}`);
    }
    // A good target is kept.
    const ok = await request.get('/login?redirectTo=%2Fregistry%3Fq%3Dcaffeine', { headers: { Cookie: user.cookie }, maxRedirects: 0 });
    expect(ok.headers()['location']).toBe('/registry?q=caffeine');
  });

  test('the sign-in form does not follow an off-site redirectTo', async ({ page, request }) => {
    const user = await signup(request);
    await page.goto('/login?redirectTo=%2F%09%2Fevil.example%2Fphish');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
    expect(new URL(page.url()).host).toBe(`localhost:${port}`);
  });

  test('the form post with a hostile redirectTo answers a same-site Location', async ({ request }) => {
    const user = await signup(request);
    for (const redirectTo of ['/\t/evil.example/phish', '/\n/evil.example', '//evil.example', '/\\evil.example']) {
      const res = await request.post('/login', {
        form: { email: user.email, password: PASSWORD, redirectTo },
        // As a browser posts a form without JavaScript (with Accept: application/json,
        // SvelteKit answers the redirect as JSON instead).
        headers: { Origin: `http://localhost:${port}`, Accept: 'text/html' },
        maxRedirects: 0
      });
      expect(res.status(), JSON.stringify(redirectTo)).toBe(303);
      expect(new URL(res.headers()['location'], `http://localhost:${port}/login`).host).toBe(`localhost:${port}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Sign-in limits

test.describe('sign-in limits cannot lock the owner out', () => {
  test('20 wrong passwords from one address: that address gets 429, the owner elsewhere signs in', async ({ request }) => {
    const ana = await signup(request, 'ana');
    const attacker = '127.0.0.2';
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await loginFrom(attacker, ana.email, `wrong password ${i}`);
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        expect(envelope(res).error?.code).toBe('RATE_LIMITED');
      }
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));
    // Sending X-Forwarded-For does not make the attacker someone else (the header is not trusted).
    const rotated = await loginFrom(attacker, ana.email, 'wrong again', { 'X-Forwarded-For': '203.0.113.77' });
    expect(rotated.status).toBe(429);

    // Ana, at her own desk, with her password: in (after at most a short, capped delay).
    const own = await loginFrom('127.0.0.3', ana.email, PASSWORD);
    expect(own.status).toBe(200);
    expect((envelope(own).data as { token: string }).token).toBeTruthy();
  });

  test('one address guessing across many accounts is refused past the per-address limit', async () => {
    const sprayer = '127.0.0.4';
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await loginFrom(sprayer, uniqueEmail(`spray${i}`), 'Winter2026!')).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual([429, 429]);
  });
});

// ---------------------------------------------------------------------------------------------
// Request bodies

/** Send headers, then body chunks only while no answer has come; resolves with the answer. */
function sendUntilAnswered(opts: { path: string; headers: Record<string, string | number>; totalBytes: number; chunkBytes?: number }) {
  return new Promise<{ response: RawResponse; sentBytes: number }>((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const chunk = Buffer.alloc(opts.chunkBytes ?? 64 * 1024, 'a');
    const req = http.request({ host: '127.0.0.1', port, path: opts.path, method: 'POST', headers: opts.headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ response: { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }, sentBytes: sent }));
    });
    // The server closes the connection after its 413: a reset while still sending is expected.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const pump = () => {
      while (!answered && sent < opts.totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    req.flushHeaders();
    pump();
  });
}

test.describe('request body limits', () => {
  test('a declared 5 MB body on /auth/login is refused with 413 before it is sent', async () => {
    // Headers only: the body is never sent, so the answer cannot have come from reading it.
    const res = await new Promise<RawResponse>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/api/v1/auth/login', method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': 5 * 1024 * 1024 } },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks) }));
        }
      );
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(res.status).toBe(413);
    expect(envelope(res).error?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  test('Expect: 100-continue with a large declared body gets 413 instead of 100', async () => {
    const res = await new Promise<{ status: number; gotContinue: boolean }>((resolve, reject) => {
      let gotContinue = false;
      const req = http.request({
        host: '127.0.0.1', port, path: '/login', method: 'POST', agent: false,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': 200 * 1024 * 1024, Expect: '100-continue' }
      });
      req.on('continue', () => (gotContinue = true));
      req.on('response', (r) => { r.resume(); resolve({ status: r.statusCode ?? 0, gotContinue }); });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(res).toEqual({ status: 413, gotContinue: false });
  });

  test('a chunked body growing past the limit is cut off with 413 (API and form action)', async () => {
    for (const [route, type] of [['/api/v1/auth/login', 'application/json'], ['/login', 'application/x-www-form-urlencoded']] as const) {
      const { response, sentBytes } = await sendUntilAnswered({
        path: route,
        headers: { 'Content-Type': type, 'Transfer-Encoding': 'chunked', Origin: `http://localhost:${port}` },
        totalBytes: 200 * 1024 * 1024
      });
      expect(response.status, route).toBe(413);
      expect(envelope(response).error?.code, route).toBe('PAYLOAD_TOO_LARGE');
      // Answered long before the client got to the end of its 200 MB (socket buffers hold a few MB).
      expect(sentBytes, route).toBeLessThan(50 * 1024 * 1024);
    }
    // The server is fine afterwards.
    expect((await rawRequest({ path: '/api/v1/health' })).status).toBe(200);
  });

  test('the import preview upload still takes a body larger than the general limit', async ({ request }) => {
    const user = await signup(request, 'upload');
    const rows = ['smiles,name', ...Array.from({ length: 60_000 }, (_, i) => `CCO,ethanol sample number ${i}`)].join('\n');
    expect(rows.length).toBeGreaterThan(1024 * 1024);
    const res = await request.post('/api/v1/imports/preview', {
      headers: user.auth,
      multipart: { file: { name: 'big.csv', mimeType: 'text/csv', buffer: Buffer.from(rows) } }
    });
    expect(res.status()).toBe(200);
    expect((await res.json()).data.columns.map((c: { name?: string } | string) => (typeof c === 'string' ? c : c.name))).toContain('smiles');
  });
});

// ---------------------------------------------------------------------------------------------
// Compression

test('large JSON goes out gzip- or brotli-compressed to clients that accept it, and decodes to the same JSON', async () => {
  const plain = await rawRequest({ path: '/api/v1/openapi.json' });
  expect(plain.headers['content-encoding']).toBeUndefined();
  const json = JSON.parse(plain.body.toString('utf8'));

  const gz = await rawRequest({ path: '/api/v1/openapi.json', headers: { 'Accept-Encoding': 'gzip' } });
  expect(gz.headers['content-encoding']).toBe('gzip');
  expect(gz.body.length).toBeLessThan(plain.body.length / 3);
  expect(JSON.parse(zlib.gunzipSync(gz.body).toString('utf8'))).toEqual(json);

  const br = await rawRequest({ path: '/api/v1/openapi.json', headers: { 'Accept-Encoding': 'br' } });
  expect(br.headers['content-encoding']).toBe('br');
  expect(JSON.parse(zlib.brotliDecompressSync(br.body).toString('utf8'))).toEqual(json);
});

// ---------------------------------------------------------------------------------------------
// Content-Security-Policy

/** Collects CSP violations the page reports, from the DOM event and from the console. */
async function watchCsp(page: Page): Promise<string[]> {
  const violations: string[] = [];
  await page.exposeFunction('__reportCsp', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { __reportCsp: (v: string) => void }).__reportCsp(`${e.violatedDirective} ${e.blockedURI}`)
    );
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  return violations;
}

test('pages send a Content-Security-Policy and run with no violation in Chromium', async ({ page, request }) => {
  test.setTimeout(90_000);
  const violations = await watchCsp(page);

  const login = await page.goto('/login');
  const policy = login!.headers()['content-security-policy'];
  expect(policy).toMatch(/script-src 'self' 'nonce-[^']+'/);
  expect(policy).toContain("object-src 'none'");
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).toMatch(/connect-src 'self' wss?:\/\/localhost:\d+/);

  // A library with a molecule, so the board opens with a card and the collab WebSocket.
  const owner = await signup(request, 'csp');
  const mol = await request.post('/api/v1/molecules', { headers: owner.auth, data: { smiles: 'CN1C=NC2=C1C(=O)N(C(=O)N2C)C' } });
  const moleculeId = (await mol.json()).data.id;
  const lib = (await (await request.post('/api/v1/libraries', { headers: owner.auth, data: { name: 'CSP board' } })).json()).data;
  await request.post(`/api/v1/libraries/${lib.id}/molecules`, { headers: owner.auth, data: { molecule_ids: [moleculeId] } });

  await signInInBrowser(page, owner.email);
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
  for (const where of ['/registry', `/registry/${moleculeId}`, '/registry/register', '/registry/import', '/libraries', '/settings', '/settings/tokens', '/api/docs']) {
    const res = await page.goto(where);
    expect(res?.status(), where).toBe(200);
    expect(res?.headers()['content-security-policy'], where).toBeTruthy();
    await page.waitForLoadState('networkidle');
  }
  await page.goto(`/libraries/${lib.id}`);
  await expect(page.getByTestId('connection')).toHaveText('Live');
  await expect(page.locator('[data-regno]').first()).toBeVisible();
  expect(violations).toEqual([]);
});

// ---------------------------------------------------------------------------------------------
// Dependencies down

function waitForExit(child: ChildProcess) {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()));
}

async function startRedis(redisPort: number): Promise<ChildProcess> {
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    const up = await new Promise<boolean>((r) => {
      const s = net.connect(redisPort, '127.0.0.1', () => (s.end(), r(true)));
      s.on('error', () => r(false));
    });
    if (up) return redis;
    await sleep(100);
  }
  throw new Error('redis-server did not start');
}

/**
 * A TCP relay to the Postgres of `target` (a connection URL) on a port of its own: `cut()` drops
 * every connection and stops listening (Postgres is gone, as far as a client can tell),
 * `restore()` listens again. `url` is `target` through the relay.
 */
async function cuttableRelay(target: URL) {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  const restore = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 5432), target.hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => socket.destroy());
        }
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server?.listening) return resolve();
      server.close(() => resolve());
    });
  await restore();
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return { url: url.toString(), cut, restore };
}

/** A web server of our own (the build the e2e stack made), so its dependencies can be taken away. */
async function startWeb(env: { DATABASE_URL: string; REDIS_URL: string }): Promise<{ port: number; stop: () => Promise<void>; log: () => string }> {
  const webPort = await freePort();
  let log = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'web/server.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...env,
      PORT: String(webPort),
      HOST: '127.0.0.1',
      ORIGIN: `http://localhost:${webPort}`,
      COLLAB_PORT: String(await freePort()),
      REDIS_PREFIX: `e2e-faults-${Date.now().toString(36)}`
    },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  child.stdout!.on('data', (c) => (log += c));
  child.stderr!.on('data', (c) => (log += c));
  const stop = async () => {
    child.kill('SIGTERM');
    await waitForExit(child);
  };
  for (let i = 0; i < 300 && !/listening on/.test(log); i++) {
    if (child.exitCode !== null) throw new Error(`web exited: ${log}`);
    await sleep(100);
  }
  if (!/listening on/.test(log)) {
    await stop();
    throw new Error(`web did not start: ${log}`);
  }
  return { port: webPort, stop, log: () => log };
}

test.describe('dependencies down', () => {
  test.describe.configure({ timeout: 90_000 });

  test('Postgres down: API, pages and sign-in answer 503 with Retry-After; health names the check only', async ({ browser }) => {
    const deadPort = await freePort();
    const redisPort = await freePort();
    const redis = await startRedis(redisPort);
    const web = await startWeb({ DATABASE_URL: `postgres://crosslink:secret-pw@127.0.0.1:${deadPort}/crosslink`, REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    try {
      const on = (p: string, init: Omit<Parameters<typeof rawRequest>[0], 'path'> = {}) => rawRequest({ ...init, path: p, targetPort: web.port });

      const health = await on('/api/v1/health');
      expect(health.status).toBe(503);
      const h = envelope(health).error!;
      expect(h.checks).toEqual({ database: 'fail', redis: 'ok' });
      expect(h.details).toEqual([{ field: 'database', message: 'unavailable' }]);
      // Nothing of the dependency's own error reaches an anonymous caller.
      expect(health.body.toString()).not.toMatch(new RegExp(`ECONNREFUSED|${deadPort}|127\\.0\\.0\\.1|secret-pw|crosslink:`));

      const api = await on('/api/v1/users/me', { headers: { Authorization: 'Bearer some-token' } });
      expect(api.status).toBe(503);
      expect(envelope(api).error?.code).toBe('SERVICE_UNAVAILABLE');
      expect(Number(api.headers['retry-after'])).toBeGreaterThan(0);

      const body = JSON.stringify({ email: 'ana@helix.example', password: 'whatever it is' });
      const login = await on('/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }, body });
      expect(login.status).toBe(503);
      expect(envelope(login).error?.code).toBe('SERVICE_UNAVAILABLE');

      // The sign-in form (no JavaScript): the page again, with 503 and the reason beside the form.
      const form = new URLSearchParams({ email: 'ana@helix.example', password: 'whatever it is' }).toString();
      const formPost = await on('/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(form), Origin: `http://localhost:${web.port}`, Accept: 'text/html' },
        body: form
      });
      expect(formPost.status).toBe(503);
      expect(formPost.body.toString()).toMatch(/role="alert"[^>]*>[^<]*temporarily unavailable/);

      // A signed-in person's page: the styled error page says so, with 503 (not a sign-in page, not 500).
      const context = await browser.newContext();
      await context.addCookies([{ name: 'crosslink_session', value: 'some-session-token', url: `http://localhost:${web.port}` }]);
      const page = await context.newPage();
      const res = await page.goto(`http://localhost:${web.port}/registry`);
      expect(res?.status()).toBe(503);
      expect(Number(res?.headers()['retry-after'])).toBeGreaterThan(0);
      await expect(page.getByRole('heading', { name: 'Temporarily unavailable' })).toBeVisible();
      await expect(page.getByRole('link', { name: 'Try again' })).toBeVisible();
      await context.close();
    } finally {
      await web.stop();
      redis.kill('SIGTERM');
      await waitForExit(redis);
    }
  });

  test('Postgres gone and back: 503 while it is gone, then pages and API work again by themselves', async ({ request }) => {
    test.skip(!process.env.DATABASE_URL, 'needs the e2e database (DATABASE_URL), as `npm test` passes it');
    const user = await signup(request, 'pgback');
    const postgres = await cuttableRelay(new URL(process.env.DATABASE_URL!));
    const redisPort = await freePort();
    const redis = await startRedis(redisPort);
    const web = await startWeb({ DATABASE_URL: postgres.url, REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    const statuses = async () =>
      [
        (await rawRequest({ path: '/api/v1/users/me', targetPort: web.port, headers: { Authorization: `Bearer ${user.token}` } })).status,
        (await rawRequest({ path: '/registry', targetPort: web.port, headers: { Cookie: user.cookie } })).status
      ];
    try {
      expect(await statuses()).toEqual([200, 200]);
      await postgres.cut();
      expect(await statuses()).toEqual([503, 503]);
      await postgres.restore();
      await expect.poll(statuses, { timeout: 20_000, intervals: [250, 500, 1000] }).toEqual([200, 200]);
    } finally {
      await web.stop();
      await postgres.cut();
      redis.kill('SIGTERM');
      await waitForExit(redis);
    }
  });

  test('Redis down: sign-in answers 503 (fails closed), and works again by itself when Redis is back', async ({ request }) => {
    test.skip(!process.env.DATABASE_URL, 'needs the e2e database (DATABASE_URL), as `npm test` passes it');
    const user = await signup(request, 'redis');
    const redisPort = await freePort();
    let redis = await startRedis(redisPort);
    const web = await startWeb({ DATABASE_URL: process.env.DATABASE_URL!, REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    const body = JSON.stringify({ email: user.email, password: PASSWORD });
    const login = () =>
      rawRequest({ path: '/api/v1/auth/login', method: 'POST', targetPort: web.port, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }, body });
    try {
      expect((await login()).status).toBe(200);

      redis.kill('SIGTERM');
      await waitForExit(redis);
      const down = await login();
      expect(down.status).toBe(503);
      expect(envelope(down).error?.code).toBe('SERVICE_UNAVAILABLE');
      expect(Number(down.headers['retry-after'])).toBeGreaterThan(0);
      const health = await rawRequest({ path: '/api/v1/health', targetPort: web.port });
      expect(envelope(health).error?.checks).toEqual({ database: 'ok', redis: 'fail' });

      redis = await startRedis(redisPort);
      await expect.poll(async () => (await login()).status, { timeout: 20_000, intervals: [250, 500, 1000] }).toBe(200);
    } finally {
      await web.stop();
      redis.kill('SIGTERM');
      await waitForExit(redis);
    }
  });
});
