/**
 * bench/api — the registry list API under concurrent load, beside its floors.
 *
 *   node --import tsx bench/api/run.ts [--molecules 100000] [--clients 20] [--duration 6] [--build] [--profile] [--only list,q,...]
 *
 * 1. Seeds (once; kept between runs) a registry of N molecules in the bench
 *    database (bench/api/seed.ts): DATABASE_URL when set, else
 *    `crosslink_bench_api` in the embedded cluster (scripts/services.ts).
 * 2. Starts the real web server (`node --import tsx web/server.ts`, i.e.
 *    build/handler.js; `--build` runs `vite build` first under
 *    /tmp/crosslink-build.lock, and the lock is held for the whole run so no
 *    one rebuilds the server's chunks under it) on a free loopback port.
 * 3. For each scenario, `--clients` closed-loop clients (keep-alive) for
 *    `--duration` seconds after a 1 s warm-up: req/s, p50, p99, and the web
 *    process's CPU (one core = 100 %) and the machine's.
 * 4. Beside each scenario, its bare SQL: the exact statements one request
 *    runs (auth lookup, the page with its identifiers and properties, the count;
 *    captured from db/auth.ts and db/access/molecules.ts) replayed through `pg` directly, in
 *    the same waves (statements that run together are sent together), same
 *    concurrency.
 * 5. The bare SvelteKit route: the same build answering `GET /api/v1/molecules`
 *    without credentials (hooks, routing, the endpoint wrapper and the JSON
 *    error envelope; no database, no Redis) — the cost of the framework alone.
 * 6. Below that, plain node:http serving the list's own body from memory
 *    (bench/api/bare-http.ts): the ceiling of this machine and this load
 *    generator, the reference the other rows are read against.
 *
 * --profile runs the web server with --cpu-prof (into .data/bench-api-profiles/).
 * Prints figures; asserts nothing (timings never fail a test).
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parseFilter, type MoleculeQuery } from '../../db/access/molecules';
import { createSession } from '../../db/auth';
import { closeDb, createDb } from '../../db/client';
import { runMigrations } from '../../db/migrate';
import { ensureServices, freePort } from '../../scripts/services';
import { closedLoop, loadHttp, summarise, type LoadResult } from './load';
import { captureStatements, type QueryArgs } from './statements';
import { ensureBenchRegistry } from './seed';

const root = fileURLToPath(new URL('../../', import.meta.url));
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const moleculeCount = Number(arg('molecules', '100000'));
const clients = Number(arg('clients', '20'));
const durationMs = Number(arg('duration', '6')) * 1000;
const warmupMs = 1000;
const build = process.argv.includes('--build');
const profile = process.argv.includes('--profile');
const only = arg('only', '').split(',').filter(Boolean);

interface Scenario {
  key: string;
  label: string;
  /** The API path (page_size=50 everywhere). */
  path: string;
  /** The same request as listMolecules sees it. */
  query: MoleculeQuery;
}
const scenarios: Scenario[] = [
  { key: 'list', label: 'registry list, default sort', path: '/api/v1/molecules?page_size=50', query: {} },
  { key: 'q', label: 'q= text search (name fragment, ~100 hits)', path: '/api/v1/molecules?page_size=50&q=XL-242-0001', query: { q: 'XL-242-0001', structureKey: null } },
  { key: 'qnone', label: 'q= text search, no hits', path: '/api/v1/molecules?page_size=50&q=nothing-like-this', query: { q: 'nothing-like-this', structureKey: null } },
  { key: 'mw', label: 'sort=-average_mw', path: '/api/v1/molecules?page_size=50&sort=-average_mw', query: { sort: '-average_mw' } },
  { key: 'prop', label: 'sort=prop:IC50 (property sort)', path: '/api/v1/molecules?page_size=50&sort=prop:IC50', query: { sort: 'prop:IC50' } },
  {
    key: 'filter',
    label: 'filter=average_mw:lt:300, page 3',
    path: '/api/v1/molecules?page_size=50&page=3&filter=average_mw:lt:300',
    query: { filters: [parseFilter('average_mw:lt:300')] }
  }
].filter((s) => !only.length || only.includes(s.key));

const fmt = (n: number, d = 0) => (Number.isNaN(n) ? '—' : n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d }));

/** utime+stime of a process, in ms. */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}
/** Busy and total jiffies of the whole machine. */
function machineCpu(): { busy: number; total: number } {
  const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const idle = v[3] + v[4];
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

interface Measured extends LoadResult {
  serverCpu: number;
  machineBusy: number;
}
async function measured(serverPid: number | null, run: () => Promise<LoadResult>): Promise<Measured> {
  const c0 = serverPid ? processCpuMs(serverPid) : 0;
  const m0 = machineCpu();
  const t0 = performance.now();
  const r = await run();
  const wall = performance.now() - t0;
  const m1 = machineCpu();
  return {
    ...r,
    serverCpu: serverPid ? (processCpuMs(serverPid) - c0) / wall : NaN,
    machineBusy: (m1.busy - m0.busy) / (m1.total - m0.total)
  };
}

async function loadSql(pool: pg.Pool, waves: QueryArgs[][]): Promise<LoadResult> {
  const run = (args: QueryArgs) => (pool.query as (...a: unknown[]) => Promise<unknown>).apply(pool, args);
  const once = async () => {
    for (const wave of waves) await Promise.all(wave.map(run));
  };
  const { latencies, errors, elapsedMs } = await closedLoop(clients, durationMs, warmupMs, once);
  return summarise(latencies, elapsedMs, { errors, statuses: {}, meanBytes: 0 });
}

async function startServer(env: NodeJS.ProcessEnv, port: number): Promise<ChildProcess> {
  const profileDir = path.join(root, '.data/bench-api-profiles');
  if (profile) mkdirSync(profileDir, { recursive: true });
  const logPath = path.join(os.tmpdir(), `bench-api-web-${port}.log`);
  const log = openSync(logPath, 'w');
  const child = spawn(
    process.execPath,
    [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), '--import', 'tsx', 'web/server.ts'],
    { cwd: root, env: { ...env, PORT: String(port), HOST: '127.0.0.1', ORIGIN: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn', NODE_ENV: 'production' }, stdio: ['ignore', log, log] }
  );
  closeSync(log);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`web server exited (${child.exitCode}); see ${logPath}`);
    const up = await fetch(`http://127.0.0.1:${port}/api/v1/health`).then((r) => r.ok, () => false);
    if (up) return child;
    if (Date.now() > deadline) throw new Error(`web server did not come up; see ${logPath}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The same load against plain node:http serving the list's own body
 * (bench/api/bare-http.ts, its own process like the web server): the ceiling
 * of this machine and load generator, beside which the framework and the
 * route are measured.
 */
async function bareHttpFloor(webPort: number, auth: Record<string, string>, options: { clients: number; durationMs: number; warmupMs: number }): Promise<Measured> {
  const body = await fetch(`http://127.0.0.1:${webPort}/api/v1/molecules?page_size=50`, { headers: auth }).then((r) => r.arrayBuffer());
  const bodyPath = path.join(os.tmpdir(), `bench-api-body-${process.pid}.json`);
  writeFileSync(bodyPath, Buffer.from(body));
  const port = await freePort();
  const child = fork(path.join(root, 'bench/api/bare-http.ts'), [String(port), bodyPath], { execArgv: ['--import', 'tsx'], stdio: 'ignore' });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`bare-http exited (${code})`)));
    });
    return await measured(child.pid!, () => loadHttp(port, '/', {}, options));
  } finally {
    child.kill('SIGTERM');
    rmSync(bodyPath, { force: true });
  }
}

async function main() {
  const services = await ensureServices({ dataDir: path.join(root, '.data'), database: 'crosslink_bench_api', log: (s) => console.log(s) });
  const databaseUrl = services.databaseUrl;
  await runMigrations(databaseUrl);
  const db = createDb(databaseUrl, { max: 4 });
  const { userId, organizationId } = await ensureBenchRegistry(db, moleculeCount, (s) => console.log(s));
  const { token } = await createSession(db, userId, { organizationId, userAgent: 'bench/api' });
  await closeDb(db);

  if (build) {
    console.log('building the web app (vite build)…');
    execFileSync('npx', ['vite', 'build', '--logLevel', 'error'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const port = await freePort();
  const server = await startServer({ ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: services.redisUrl, REDIS_PREFIX: 'bench-api' }, port);
  const pid = server.pid!;
  const auth = { authorization: `Bearer ${token}`, 'accept-encoding': 'identity' };
  const options = { clients, durationMs, warmupMs };
  const sqlPool = new pg.Pool({ connectionString: databaseUrl, max: clients });

  console.log(`\n${moleculeCount.toLocaleString('en')} molecules · ${clients} clients · ${durationMs / 1000} s per measure · ${os.availableParallelism()} cores\n`);
  try {
    // One request alone first (the figure the issue quotes), then under load.
    const rows: Array<{ label: string; alone: number; api: Measured; sql: Measured | null }> = [];
    const floor = await bareHttpFloor(port, auth, options);
    rows.push({ label: `bare node:http, the list's ${fmt(floor.meanBytes / 1024, 1)} KB body (no framework, no database: this machine's HTTP floor)`, alone: NaN, api: floor, sql: null });
    const bare = await measured(pid, () => loadHttp(port, '/api/v1/molecules?page_size=50', { 'accept-encoding': 'identity' }, options));
    rows.push({ label: 'bare SvelteKit route (same build, 401 without credentials)', alone: NaN, api: bare, sql: null });
    for (const s of scenarios) {
      const single = await loadHttp(port, s.path, auth, { clients: 1, durationMs: 2000, warmupMs: 300 });
      const api = await measured(pid, () => loadHttp(port, s.path, auth, options));
      const waves = await captureStatements(databaseUrl, token, s.query, s.query.filters?.length ? 3 : 1);
      const sql = await measured(null, () => loadSql(sqlPool, waves));
      rows.push({ label: `${s.label} (${waves.flat().length} statements)`, alone: single.p50, api, sql });
      const bad = Object.entries(api.statuses).filter(([code]) => code !== '200');
      if (bad.length || api.errors) console.warn(`  ${s.key}: non-200 answers ${JSON.stringify(api.statuses)}, ${api.errors} errors`);
    }
    const header = ['measure', 'alone p50', 'API req/s', 'API p50 / p99', 'web CPU', 'machine', 'bare SQL req/s', 'SQL p50 / p99', 'API ÷ SQL p50', 'body'];
    console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
    for (const r of rows) {
      console.log(
        `| ${[
          r.label,
          Number.isNaN(r.alone) ? '' : `${fmt(r.alone, 1)} ms`,
          fmt(r.api.rps),
          `${fmt(r.api.p50, 1)} / ${fmt(r.api.p99, 1)} ms`,
          `${fmt(r.api.serverCpu * 100)} %`,
          `${fmt(r.api.machineBusy * 100)} %`,
          r.sql ? fmt(r.sql.rps) : '',
          r.sql ? `${fmt(r.sql.p50, 1)} / ${fmt(r.sql.p99, 1)} ms` : '',
          r.sql ? `${fmt(r.api.p50 / r.sql.p50, 1)}×` : '',
          `${fmt(r.api.meanBytes / 1024, 1)} KB`
        ].join(' | ')} |`
      );
    }
    console.log('\ntarget: registry list (every row) ≥ 1,000 req/s and p99 ≤ 50 ms at 20 clients on 100,000 molecules');
  } finally {
    await sqlPool.end();
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await services.stop();
  }
}

await main();
