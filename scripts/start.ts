/**
 * `npm start`: the whole product on one machine.
 *   services (scripts/services.ts) -> migrations -> demo accounts (db/seed.ts) -> `vite build` if stale
 *   -> web + collab-server + workers as child processes -> health check -> demo molecules and
 *   library board (scripts/demo-workspace.ts, through the API) -> URL + demo logins.
 * Ctrl-C / SIGTERM: children get SIGTERM (SIGKILL after 10 s), then the services stop; exit 0.
 * A child that dies on its own is restarted (1 s, doubling to 30 s while it keeps crashing);
 * only Ctrl-C / SIGTERM stop the whole product.
 * Quiet: a few lines (services, migrations, build, each process ready, URL and logins); the
 * build's output only when it fails, the children's warnings and errors always.
 * CROSSLINK_VERBOSE=1 shows everything.
 *
 * The pieces (startStack, buildWebIfStale, ...) are exported for scripts/e2e-stack.ts.
 * Env: PORT (3000), COLLAB_PORT (1234), COLLAB_INTERNAL_PORT (1235), DATABASE_URL / REDIS_URL
 * (else started here; see scripts/services.ts for DATABASE_OWNER_URL), AUDIT_CHECKPOINT_KEY
 * (else a local one in .data/), COLLAB_SERVICE_SECRET (else a new one per launch).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_COLLAB_INTERNAL_PORT } from '../common/collab-internal';
import { runMigrations } from '../db/migrate';
import { ensureServices, redact, type Services } from './services';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const colors: Record<string, string> = { web: '36', collab: '35', workers: '33', build: '34', services: '32' };
function tag(name: string): string {
  const label = name.padEnd(8);
  return useColor ? `\x1b[${colors[name] ?? '90'}m${label}|\x1b[0m ` : `${label}| `;
}

/** Forward a child's stdout/stderr line by line, each line prefixed with its name. */
export function pipePrefixed(child: ChildProcess, name: string) {
  const prefix = tag(name);
  if (child.stdout) readline.createInterface({ input: child.stdout }).on('line', (l) => process.stdout.write(prefix + l + '\n'));
  if (child.stderr) readline.createInterface({ input: child.stderr }).on('line', (l) => process.stderr.write(prefix + l + '\n'));
}

// ---------------------------------------------------------------- build

const buildInputs = ['web', 'common', 'db', 'svelte.config.js', 'vite.config.ts', 'package.json', 'package-lock.json', 'tsconfig.json'];
const skipDirs = new Set(['node_modules', 'test', 'migrations', '.svelte-kit']);

function newestMtime(p: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return /\.(spec|test)\.ts$/.test(p) ? 0 : st.mtimeMs;
  let newest = 0;
  for (const entry of fs.readdirSync(p)) {
    if (skipDirs.has(entry)) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

/** Why the web build is stale, or null when build/handler.js is newer than every source. */
export function webBuildStaleReason(): string | null {
  const handler = path.join(repoRoot, 'build', 'handler.js');
  if (!fs.existsSync(handler)) return 'build/handler.js is missing';
  const built = fs.statSync(handler).mtimeMs;
  const newest = Math.max(...buildInputs.map((p) => newestMtime(path.join(repoRoot, p))));
  return newest > built ? 'sources changed since the last build' : null;
}

/**
 * `npx vite build` when build/handler.js is missing or older than the sources.
 * quiet: one line (built in N s / up to date); the build's own output only when it fails.
 */
export async function buildWebIfStale(
  log: (s: string) => void = console.log,
  opts: { quiet?: boolean } = {}
): Promise<void> {
  const reason = webBuildStaleReason();
  if (!reason) {
    if (opts.quiet) log('web app build is up to date');
    return;
  }
  if (!opts.quiet) log(`building the web app (${reason}): npx vite build ...`);
  const started = Date.now();
  const child = spawn('npx', ['vite', 'build'], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  // quiet: keep the (long) build output for when it fails.
  let output = '';
  if (opts.quiet) {
    child.stdout!.on('data', (c) => (output += c));
    child.stderr!.on('data', (c) => (output += c));
  } else pipePrefixed(child, 'build');
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    if (opts.quiet) process.stderr.write(output);
    throw new Error(`vite build failed (exit ${code})`);
  }
  log(`web app built in ${((Date.now() - started) / 1000).toFixed(1)} s${opts.quiet ? ` (${reason})` : ''}`);
}

// ---------------------------------------------------------------- stack

export interface StackOptions {
  port: number;
  collabPort: number;
  /**
   * The collab-server's internal API (server-side changes from web and workers), on loopback.
   * Default: COLLAB_INTERNAL_PORT from `env` / process.env, else 1235.
   */
  collabInternalPort?: number;
  /** At least DATABASE_URL and REDIS_URL; merged over process.env. */
  env: Record<string, string | undefined>;
  log?: (s: string) => void;
  /**
   * Restart a child that exits while the stack is not stopping (`npm start`): after 1 s,
   * doubling to 30 s while it keeps crashing, back to 1 s once it has run a minute.
   * Off: a crash is reported once through onUnexpectedExit (tests and benchmarks want to see it).
   */
  restart?: boolean;
  /** Called once if a child exits while the stack is not stopping (and restart is off). */
  onUnexpectedExit?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void;
  /** Every line a child prints, instead of forwarding it with its name (default: pipePrefixed). */
  onOutput?: (name: ProcessName, line: string, stream: 'stdout' | 'stderr') => void;
}

export interface Stack {
  url: string;
  collabUrl: string;
  /** Resolves when web answers /api/v1/health with 200 and collab accepts connections. */
  ready(timeoutMs?: number): Promise<void>;
  /** The running child's pid (a restarted child has a new one); undefined while it is down. */
  pid(name: ProcessName): number | undefined;
  /** SIGTERM every child, SIGKILL after `graceMs`; idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const processes = [
  { name: 'web', entry: 'web/server.ts' },
  { name: 'collab', entry: 'collab-server/index.ts' },
  { name: 'workers', entry: 'workers/index.ts' }
] as const;
export type ProcessName = (typeof processes)[number]['name'];

/** Restart delays: 1 s doubling to 30 s; a child that ran this long healthy starts again at 1 s. */
export const RESTART_FIRST_MS = 1000;
export const RESTART_MAX_MS = 30_000;
export const RESTART_RESET_AFTER_MS = 60_000;

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(1000, () => (s.destroy(), resolve(false)));
    s.on('connect', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

/** Throws a readable error if something already listens on `port`. */
export async function assertPortFree(port: number, envName: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${port} is already in use: stop what uses it or set ${envName}=<another port>`
            : `cannot listen on port ${port}: ${err.message}`
        )
      )
    );
    srv.listen(port, () => srv.close(() => resolve()));
  });
}

/** Spawn web, collab-server and workers (`node --import tsx <entry>`), output prefixed. */
export function startStack(opts: StackOptions): Stack {
  const log = opts.log ?? console.log;
  const url = `http://localhost:${opts.port}`;
  const given = { ...process.env, ...opts.env };
  const env: Record<string, string | undefined> = {
    // Short log lines for a person at a terminal (common/log.ts), unless LOG_FORMAT says otherwise.
    LOG_FORMAT: 'pretty',
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(opts.port),
    COLLAB_PORT: String(opts.collabPort),
    ORIGIN: url,
    ...opts.env,
    COLLAB_INTERNAL_PORT: String(opts.collabInternalPort ?? (given.COLLAB_INTERNAL_PORT || DEFAULT_COLLAB_INTERNAL_PORT)),
    // The credential web and workers show the collab-server's internal API. Made per launch
    // (not kept in .data/ like the audit key): only this stack's processes need it, and they
    // all get it from here, restarted ones too.
    COLLAB_SERVICE_SECRET: given.COLLAB_SERVICE_SECRET || randomBytes(32).toString('hex')
  };
  let stopping = false;
  let reported = false;
  const children = new Map<string, ChildProcess>();
  const restartTimers = new Set<NodeJS.Timeout>();
  const delays = new Map<string, number>();

  const spawnChild = (p: (typeof processes)[number]) => {
    // detached: own process group, so a terminal Ctrl-C does not signal them behind our back
    // (workers treat a second signal as "exit now"); orphan-guard covers a SIGKILLed launcher.
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', './scripts/orphan-guard.ts', p.entry], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true
    });
    const startedAt = Date.now();
    children.set(p.name, child);
    if (opts.onOutput) {
      const forward = (stream: 'stdout' | 'stderr') => (l: string) => opts.onOutput!(p.name, l, stream);
      readline.createInterface({ input: child.stdout! }).on('line', forward('stdout'));
      readline.createInterface({ input: child.stderr! }).on('line', forward('stderr'));
    } else pipePrefixed(child, p.name);
    child.on('error', (err) => log(`${p.name}: could not start: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (stopping) return;
      // A signal meant for the whole stack may reach a child first (kill -TERM -<pgid> of
      // npm's group): give our own handler a moment to mark the stop as intended.
      setTimeout(() => {
        if (stopping) return;
        const why = signal ?? `code ${code}`;
        if (opts.restart) {
          const healthy = Date.now() - startedAt >= RESTART_RESET_AFTER_MS;
          const delay = healthy ? RESTART_FIRST_MS : (delays.get(p.name) ?? RESTART_FIRST_MS);
          delays.set(p.name, Math.min(delay * 2, RESTART_MAX_MS));
          log(`${p.name} exited (${why}); restarting in ${delay / 1000} s`);
          const timer = setTimeout(() => {
            restartTimers.delete(timer);
            if (!stopping) spawnChild(p);
          }, delay);
          restartTimers.add(timer);
          return;
        }
        if (reported) return;
        reported = true;
        opts.onUnexpectedExit?.(p.name, code, signal);
      }, 300);
    });
  };
  for (const p of processes) spawnChild(p);

  const alive = () => [...children.entries()].filter(([, c]) => c.exitCode === null && c.signalCode === null);

  return {
    url,
    collabUrl: `ws://localhost:${opts.collabPort}`,
    async ready(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      const health = `http://127.0.0.1:${opts.port}/api/v1/health`;
      let webUp = false;
      let collabUp = false;
      let lastProblem = '';
      while (Date.now() < deadline) {
        const dead = [...children.entries()].find(([, c]) => c.exitCode !== null || c.signalCode !== null);
        if (dead) throw new Error(`${dead[0]} exited (code ${dead[1].exitCode ?? dead[1].signalCode}) before the stack was up`);
        if (!webUp) {
          try {
            const res = await fetch(health, { signal: AbortSignal.timeout(2000) });
            webUp = res.status === 200;
            if (!webUp) lastProblem = `GET /api/v1/health answered ${res.status}`;
            await res.body?.cancel();
          } catch (err) {
            lastProblem = `GET /api/v1/health: ${(err as Error).message}`;
          }
        }
        if (!collabUp) {
          collabUp = await tcpOpen(opts.collabPort);
          if (!collabUp) lastProblem = `collab-server not accepting connections on port ${opts.collabPort}`;
        }
        if (webUp && collabUp) return;
        await sleep(250);
      }
      throw new Error(`stack not up after ${timeoutMs / 1000} s: ${lastProblem}`);
    },
    pid(name) {
      const c = children.get(name);
      return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
    },
    async stop(graceMs = 10_000) {
      stopping = true;
      for (const t of restartTimers) clearTimeout(t);
      const running = alive();
      for (const [, c] of running) c.kill('SIGTERM');
      await Promise.all(
        running.map(async ([name, c]) => {
          if (await waitExit(c, graceMs)) return;
          log(`${name} did not stop within ${graceMs / 1000} s: killing it`);
          c.kill('SIGKILL');
          await waitExit(c, 2000);
        })
      );
    }
  };
}

// ---------------------------------------------------------------- banner

export function printBox(lines: string[]) {
  const width = Math.max(...lines.map((l) => l.length));
  const bar = '─'.repeat(width + 2);
  console.log(`\n┌${bar}┐`);
  for (const l of lines) console.log(`│ ${l.padEnd(width)} │`);
  console.log(`└${bar}┘\n`);
}

// ---------------------------------------------------------------- npm start

async function main() {
  const log = (s: string) => console.log(`${tag('services')}${s}`);
  const port = Number(process.env.PORT ?? 3000);
  const collabPort = Number(process.env.COLLAB_PORT ?? 1234);
  const collabInternalPort = Number(process.env.COLLAB_INTERNAL_PORT ?? DEFAULT_COLLAB_INTERNAL_PORT);

  let services: Services | null = null;
  let servicesStarting: Promise<Services> | null = null;
  let stack: Stack | null = null;
  let shuttingDown: Promise<never> | null = null;
  const shutdown = (code: number, why?: string) =>
    (shuttingDown ??= (async () => {
      if (why) console.error(`\n${why}`);
      console.log('\nstopping Crosslink ...');
      await stack?.stop().catch((e) => console.error(`stopping children: ${e.message}`));
      // Interrupted while the services were still starting: wait for them, then stop them.
      const s = services ?? (await servicesStarting?.catch(() => null));
      await s?.stop().catch((e) => console.error(`stopping services: ${e.message}`));
      process.exit(code);
    })());
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    await assertPortFree(port, 'PORT');
    await assertPortFree(collabPort, 'COLLAB_PORT');
    await assertPortFree(collabInternalPort, 'COLLAB_INTERNAL_PORT');
    servicesStarting = ensureServices({ dataDir: path.join(repoRoot, '.data'), log });
    services = await servicesStarting;
    if (shuttingDown) return;
    await runMigrations(services.databaseUrl);
    log('migrations applied');
    const { seedDemo } = await import('../db/seed');
    const { logins } = await seedDemo(services.appDatabaseUrl);
    if (shuttingDown) return;
    const env = services.processEnv();
    await buildWebIfStale(log, { quiet: !process.env.CROSSLINK_VERBOSE });
    if (shuttingDown) return;
    // Quiet start: until the stack is up, a child's stdout (its info lines) is kept back and
    // only its "listening" line is shown; stderr (warnings, errors) always goes through.
    // After that, or with CROSSLINK_VERBOSE=1, everything is shown as it comes.
    let up = !!process.env.CROSSLINK_VERBOSE;
    const startupLines = new Map<string, string[]>();
    const readyLine = /listening on|processing queues/;
    stack = startStack({
      port,
      collabPort,
      collabInternalPort,
      env,
      log,
      restart: true,
      onOutput: (name, line, stream) => {
        if (up || stream === 'stderr') return void (stream === 'stderr' ? process.stderr : process.stdout).write(`${tag(name)}${line}\n`);
        if (readyLine.test(line)) console.log(`${tag(name)}ready (${line.replace(/^\[\w+\]\s*/, '')})`);
        else startupLines.set(name, [...(startupLines.get(name) ?? []), line].slice(-40));
      }
    });
    try {
      await stack.ready();
    } catch (err) {
      // What the children said while starting explains why they did not come up.
      for (const [name, lines] of startupLines) for (const l of lines) console.log(`${tag(name)}${l}`);
      throw err;
    }
    if (shuttingDown) return;
    // Through the running product's API and collab-server, so the demo board has a real history.
    const { loadDemoWorkspace } = await import('./demo-workspace');
    await loadDemoWorkspace({ webUrl: `http://127.0.0.1:${port}`, collabUrl: `ws://127.0.0.1:${collabPort}` }).then(log, (err: Error) =>
      log(`demo workspace not loaded (the product itself is up): ${err.message}`)
    );
    if (shuttingDown) return;
    printBox([
      `Crosslink is running:  ${stack.url}`,
      `collab-server:         ${stack.collabUrl}`,
      `database:              ${redact(services.appDatabaseUrl)}`,
      `redis:                 ${services.redisUrl}`,
      '',
      logins.length ? 'Demo logins:' : 'No demo logins (db/seed.ts created none).',
      ...logins.map((l) => `  ${l.email.padEnd(24)} ${l.password.padEnd(16)} ${l.role} @ ${l.organization}`),
      '',
      'Ctrl-C to stop.'
    ]);
    up = true;
  } catch (err) {
    await shutdown(1, `Crosslink failed to start: ${err instanceof Error ? err.message : String(err)}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  void main();
}
