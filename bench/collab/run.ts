/**
 * bench/collab — live-board update propagation: Crosslink's collab-server
 * beside a bare Hocuspocus server, in the same run.
 *
 *   node --import tsx bench/collab/run.ts [--scenario one-board|many-boards|all] [--duration 20]
 *        [--warmup 3] [--interval <ms>] [--client-procs N] [--orgs N] [--cards 8]
 *        [--doc-kind library|organization] [--servers crosslink,bare] [--timeline] [--profile]
 *
 *   --duration/--warmup  seconds measured / edited before measuring, per run (default 20 / 3)
 *   --interval      ms between two edits of one editor (default 500 one-board, 1,000 many-boards)
 *   --client-procs  client processes (default 2); --orgs: organisations the boards are spread over (1)
 *   --doc-kind organization  boards as `organization:<id>` documents (no projection/history/audit)
 *   --timeline      also print latency and event-loop delay per second of the window
 *   --profile       run the servers with --cpu-prof (.data/bench-collab-profiles/) and print the
 *                   window for bench/collab/profile-summary.ts (slows the servers down)
 *   env BENCH_COLLAB_NODE_ARGS="--trace-gc"  extra Node flags for both servers (diagnostics)
 *
 * Scenarios (targets from the issue, 2-core machine):
 *   one-board    50 editors on one board, one edit every 500 ms each     p99 ≤ 15 ms
 *   many-boards  1,000 connections over 200 boards (5 each), one edit
 *                every 1,000 ms each                                     p99 ≤ 30 ms
 *   both: zero lost updates, p50/p99 within 1.5× of the bare server.
 *
 * For each scenario and each server:
 *  1. the server runs in its own process, so its CPU (utime+stime from
 *     /proc/<pid>/stat over the measurement window) and peak RSS (VmHWM) are
 *     its own: Crosslink = `node --import tsx collab-server/index.ts` (auth,
 *     message guard, durable update log (every update committed before it is
 *     acknowledged), Postgres persistence + projection + history + audit,
 *     Redis sync, all on); bare = bench/collab/bare-server.ts (Hocuspocus, no
 *     extensions, memory only). Both get bench/collab/loop-probe.ts preloaded
 *     (event-loop delay per second) and scripts/orphan-guard.ts;
 *  2. real provider clients run in separate processes (bench/collab/clients.ts):
 *     one WebSocket + Y.Doc + HocuspocusProvider per connection, each with its
 *     user's session token; the first editor of each board adds the cards;
 *  3. every editor edits at a steady rate (card move or tag toggle via
 *     common/board.ts, plus a `{seq, sendTime}` entry in its own Y.Array in the
 *     same transaction); every other client on the board records receive − send
 *     time (CLOCK_MONOTONIC, same machine) for edits sent in the window after
 *     the warm-up;
 *  4. after the edits stop and the server has acknowledged them, every client
 *     checks it holds every sequence number of every other editor (missing
 *     ones = lost updates) and that all clients of a board converged; for
 *     Crosslink the clients then leave, the stored state in `collab_documents`
 *     is polled until it holds every edit, the server is stopped (SIGTERM), and
 *     the stored boards are compared with the clients', plus the projection
 *     (`library_molecules`), history (`document_changes`) and audit rows, and how
 *     long edits waited in memory before their history row was committed.
 *
 * Uses DATABASE_URL/REDIS_URL when set, else starts its own (scripts/services.ts).
 * Prints figures; asserts nothing (timings never fail a test). Every child
 * process is stopped on exit, on errors and on Ctrl-C; servers also stop by
 * themselves if this process dies (scripts/orphan-guard.ts). Server output goes
 * to .data/bench-collab-logs/<server>-<pid>.log.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { and, count, eq, inArray } from 'drizzle-orm';
import * as Y from 'yjs';
import { readBoard } from '../../common/board';
import { signUp } from '../../db/access/accounts';
import { registerMolecule } from '../../db/access/molecules';
import { authenticateToken, createSession, hashPassword } from '../../db/auth';
import { closeDb, createDb, type Db } from '../../db/client';
import { runMigrations } from '../../db/migrate';
import { auditEvents, documentChanges, collabDocuments, collabUpdates, libraries, libraryMolecules, memberships, users } from '../../db/schema';
import { ensureServices, freePort } from '../../scripts/services';
import type { ClientSpec, FromClients, ToClients } from './protocol';

const root = fileURLToPath(new URL('../../', import.meta.url));
const here = path.join(root, 'bench', 'collab');

// ---------------------------------------------------------------- options

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? 'true' : v;
}
const num = (name: string, fallback: number) => {
  const v = flag(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} wants a number, got "${v}"`);
  return n;
};

type ScenarioName = 'one-board' | 'many-boards';
type ServerKind = 'crosslink' | 'bare';
type DocKind = 'library' | 'organization';

const scenarioArg = flag('scenario') ?? 'all';
if (!['one-board', 'many-boards', 'all'].includes(scenarioArg)) throw new Error(`--scenario one-board|many-boards|all, got "${scenarioArg}"`);
const docKind = (flag('doc-kind') ?? 'library') as DocKind;
if (!['library', 'organization'].includes(docKind)) throw new Error(`--doc-kind library|organization, got "${docKind}"`);
const servers = (flag('servers') ?? 'crosslink,bare').split(',').map((s) => s.trim()) as ServerKind[];
if (!servers.length || servers.some((s) => s !== 'crosslink' && s !== 'bare')) throw new Error('--servers takes crosslink and/or bare');
const durationMs = num('duration', 20) * 1000;
const warmupMs = num('warmup', 3) * 1000;
const profile = flag('profile') === 'true';
const timeline = flag('timeline') === 'true';

interface Scenario {
  name: ScenarioName;
  boards: number;
  editorsPerBoard: number;
  intervalMs: number;
  clientProcs: number;
  orgs: number;
  cards: number;
  /** Targets from the issue. */
  p99TargetMs: number;
}

const scenarios: Scenario[] = (
  [
    { name: 'one-board', boards: 1, editorsPerBoard: 50, intervalMs: 500, clientProcs: 2, orgs: 1, cards: 8, p99TargetMs: 15 },
    { name: 'many-boards', boards: 200, editorsPerBoard: 5, intervalMs: 1000, clientProcs: 2, orgs: 1, cards: 8, p99TargetMs: 30 }
  ] satisfies Scenario[]
)
  .filter((s) => scenarioArg === 'all' || s.name === scenarioArg)
  .map((s) => ({
    ...s,
    intervalMs: num('interval', s.intervalMs),
    clientProcs: Math.max(1, Math.round(num('client-procs', s.clientProcs))),
    orgs: Math.max(1, Math.min(s.boards, Math.round(num('orgs', s.orgs)))),
    cards: Math.max(1, Math.round(num('cards', s.cards)))
  }));

// ---------------------------------------------------------------- small helpers

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—';
const log = (s: string) => console.log(`[bench] ${s}`);

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const CLK_TCK = 100; // USER_HZ; Linux reports /proc times in 1/100 s on every mainstream architecture

/** utime + stime of a process in ms, or null when it is gone / not readable. */
function cpuMsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+)`));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** Busy and total jiffies of the whole machine (all cores). */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = v[3] + v[4];
  return { busy: total - idle, total };
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

// ---------------------------------------------------------------- child processes

const children = new Set<ChildProcess>();
const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
function track(c: ChildProcess) {
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}
function killAll(signal: NodeJS.Signals) {
  for (const c of children) {
    if (alive(c) && c.pid) {
      try {
        process.kill(c.pid, signal);
      } catch {
        /* already gone */
      }
    }
  }
}
process.on('exit', () => killAll('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    console.error(`\n[bench] ${sig}: stopping child processes`);
    killAll('SIGTERM');
    setTimeout(() => process.exit(130), 3000).unref();
    const wait = setInterval(() => {
      if (!children.size) process.exit(130);
    }, 50);
    wait.unref();
  });
}

function exited(c: ChildProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | null> {
  if (!alive(c)) return Promise.resolve({ code: c.exitCode, signal: c.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    c.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

interface ServerProc {
  kind: ServerKind;
  child: ChildProcess;
  pid: number;
  url: string;
  /** Output lines that are not routine start/stop chatter (shown after the run). */
  notes: string[];
  /** Event-loop delay per second from bench/collab/loop-probe.ts (`at` = end of that second, monotonic ms). */
  loop: Array<{ at: number; p99: number; max: number }>;
}

const routine = /listening on|shutting down|documents stored, connections closed/;

async function startServer(kind: ServerKind, env: NodeJS.ProcessEnv): Promise<ServerProc> {
  const port = await freePort();
  const entry = kind === 'crosslink' ? 'collab-server/index.ts' : 'bench/collab/bare-server.ts';
  const profileArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, '.data', 'bench-collab-profiles')}`] : [];
  // Diagnostics only (e.g. --trace-gc): extra Node flags for both servers.
  profileArgs.push(...(process.env.BENCH_COLLAB_NODE_ARGS ?? '').split(' ').filter(Boolean));
  if (profile) await mkdir(path.join(root, '.data', 'bench-collab-profiles'), { recursive: true });
  const child = track(
    spawn(process.execPath, [...profileArgs, '--import', 'tsx', '--import', './scripts/orphan-guard.ts', '--import', './bench/collab/loop-probe.ts', entry], {
      cwd: root,
      // The internal API on a free port too; nothing here calls it, but the server needs a credential.
      env: { COLLAB_SERVICE_SECRET: randomBytes(32).toString('hex'), ...env, COLLAB_PORT: String(port), COLLAB_HOST: '127.0.0.1', COLLAB_INTERNAL_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a terminal Ctrl-C reaches us, and we stop the server in order.
      detached: true
    })
  );
  const notes: string[] = [];
  const loop: ServerProc['loop'] = [];
  // Everything the server prints also goes to .data/bench-collab-logs/<kind>-<pid>.log.
  const logDir = path.join(root, '.data', 'bench-collab-logs');
  await mkdir(logDir, { recursive: true });
  const logFile = createWriteStream(path.join(logDir, `${kind}-${child.pid}.log`));
  child.once('exit', () => logFile.end());
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      logFile.write(`${(nowMs() * 1000).toFixed(0)} ${line}\n`);
      const probe = line.match(/^\[loop-probe\] (\d+) ([\d.]+) ([\d.]+)$/);
      if (probe) {
        loop.push({ at: Number(probe[1]) / 1000, p99: Number(probe[2]), max: Number(probe[3]) });
        return;
      }
      if (!routine.test(line) && !/^\[\d+:0x[0-9a-f]+\]/.test(line) && notes.length < 200) notes.push(line);
    });
  }
  const deadline = Date.now() + 60_000;
  while (!(await tcpOpen(port))) {
    if (!alive(child)) throw new Error(`${kind} server exited during start (code ${child.exitCode}):\n${notes.join('\n')}`);
    if (Date.now() > deadline) throw new Error(`${kind} server did not listen on ${port} within 60 s:\n${notes.join('\n')}`);
    await sleep(50);
  }
  return { kind, child, pid: child.pid!, url: `ws://127.0.0.1:${port}`, notes, loop };
}

/** A clients.ts process and a way to await its next message of a given type. */
class ClientsProc {
  readonly child: ChildProcess;
  private waiting = new Map<string, { resolve: (m: any) => void; reject: (e: Error) => void }>();
  private early = new Map<string, FromClients>();

  constructor(readonly index: number) {
    this.child = track(
      fork(path.join(here, 'clients.ts'), [], {
        cwd: root,
        execArgv: ['--import', 'tsx'],
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc']
      })
    );
    this.child.on('message', (msg: FromClients) => {
      if (msg.type === 'error') {
        const err = new Error(`client process ${index}: ${msg.message}`);
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
        return;
      }
      const w = this.waiting.get(msg.type);
      if (w) {
        this.waiting.delete(msg.type);
        w.resolve(msg);
      } else this.early.set(msg.type, msg);
    });
    this.child.on('exit', (code, signal) => {
      const err = new Error(`client process ${index} exited (code ${code}, signal ${signal})`);
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
  }

  send(msg: ToClients) {
    this.child.send(msg);
  }

  next<T extends FromClients['type']>(type: T, timeoutMs: number): Promise<Extract<FromClients, { type: T }>> {
    const got = this.early.get(type);
    if (got) {
      this.early.delete(type);
      return Promise.resolve(got as Extract<FromClients, { type: T }>);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(type);
        reject(new Error(`client process ${this.index}: no "${type}" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting.set(type, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        }
      });
    });
  }

  async close() {
    if (!alive(this.child)) return;
    this.send({ type: 'close' });
    if (!(await exited(this.child, 5000))) this.child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------- test data

interface Board {
  name: string;
  organizationId: string;
  libraryId: string | null;
  cards: string[];
  editors: Array<{ key: string; userId: string; token: string }>;
}

/** Fake but well-formed registration data (the board only needs real `molecules` rows to project). */
const BENCH_SMILES = ['c1ccccc1O', 'CC(=O)Nc1ccc(O)cc1', 'CC(C)Cc1ccc(cc1)C(C)C(=O)O', 'OC(=O)c1ccccc1OC(C)=O', 'Cn1cnc2c1c(=O)n(C)c(=O)n2C', 'c1ccc2ccccc2c1', 'CCN(CC)CC', 'C1CCNCC1', 'O=C(O)CCc1ccccc1', 'CC(=O)Oc1ccccc1', 'NC(=O)c1ccncc1', 'Clc1ccccc1'];
function fakeStructure(i: number, tag: string) {
  const letters = (n: number) => Array.from(randomBytes(n), (b) => String.fromCharCode(65 + (b % 26))).join('');
  return {
    canonicalSmiles: `${BENCH_SMILES[i % BENCH_SMILES.length]}${i >= BENCH_SMILES.length ? `.[${tag}${i}]` : ''}`,
    inchi: `InChI=1S/bench/${tag}/${i}`,
    inchikey: `${letters(14)}-${letters(8)}SA-N`,
    formula: 'C6H6O',
    morganFp: new Uint8Array(256),
    patternFp: new Uint8Array(256),
    strippedFragments: false
  };
}

async function inBatches<T, R>(items: T[], size: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map((t, j) => fn(t, i + j)))));
  return out;
}

/**
 * Organisations (owner via signUp), one user per connection (scientist, own
 * session token), libraries (member access `edit`) with registered molecules
 * for the cards — or, with --doc-kind organization, one organisation per board.
 */
async function createBoards(db: Db, s: Scenario): Promise<Board[]> {
  const tag = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const nOrgs = docKind === 'organization' ? s.boards : s.orgs;
  const orgs = await inBatches(Array.from({ length: nOrgs }), 4, async (_, i) => {
    const r = await signUp(
      db,
      { email: `bench-${tag}-owner${i}@bench.example`, password: 'bench password', name: `Bench owner ${i}`, organization: { name: `Bench ${s.name} ${tag} #${i}`, kind: 'pharma' } },
      { via: 'api' }
    );
    const actor = (await authenticateToken(db, r.session.token))!;
    let molecules: string[] = [];
    if (docKind === 'library') {
      for (let m = 0; m < s.cards; m++) {
        const { id } = await registerMolecule(
          db,
          actor,
          { originalInput: BENCH_SMILES[m % BENCH_SMILES.length], inputFormat: 'smiles', name: `bench-${m}` },
          fakeStructure(m, tag),
          null,
          { via: 'api' }
        );
        molecules.push(id);
      }
    }
    return { id: r.organization.id, ownerId: r.user.id, molecules };
  });

  const passwordHash = await hashPassword('bench password');
  const total = s.boards * s.editorsPerBoard;
  const people = await inBatches(Array.from({ length: Math.ceil(total / 500) }), 1, async (_, chunk) => {
    const n = Math.min(500, total - chunk * 500);
    return db
      .insert(users)
      .values(Array.from({ length: n }, (_, k) => ({ email: `bench-${tag}-u${chunk * 500 + k}@bench.example`, name: `Editor ${chunk * 500 + k}`, passwordHash })))
      .returning({ id: users.id });
  }).then((rows) => rows.flat());

  const libs =
    docKind === 'library'
      ? await db
          .insert(libraries)
          .values(Array.from({ length: s.boards }, (_, b) => ({ organizationId: orgs[b % nOrgs].id, name: `Bench board ${b + 1}`, memberAccess: 'edit' as const, createdBy: orgs[b % nOrgs].ownerId })))
          .returning({ id: libraries.id, organizationId: libraries.organizationId })
      : null;

  const boards: Board[] = [];
  const memberRows: Array<{ userId: string; organizationId: string; role: 'scientist' }> = [];
  for (let b = 0; b < s.boards; b++) {
    const org = orgs[b % nOrgs];
    const editors = people.slice(b * s.editorsPerBoard, (b + 1) * s.editorsPerBoard);
    for (const e of editors) memberRows.push({ userId: e.id, organizationId: org.id, role: 'scientist' });
    boards.push({
      name: libs ? `library:${libs[b].id}` : `organization:${org.id}`,
      organizationId: org.id,
      libraryId: libs ? libs[b].id : null,
      cards: libs ? org.molecules : Array.from({ length: s.cards }, () => randomUUID()),
      editors: editors.map((e, k) => ({ key: `b${b}e${k}`, userId: e.id, token: '' }))
    });
  }
  for (let i = 0; i < memberRows.length; i += 1000) await db.insert(memberships).values(memberRows.slice(i, i + 1000));
  // One session per connection, active in the board's organisation (as after signing in).
  await inBatches(
    boards.flatMap((b) => b.editors.map((e) => ({ b, e }))),
    8,
    async ({ b, e }) => {
      e.token = (await createSession(db, e.userId, { organizationId: b.organizationId, userAgent: 'bench/collab' })).token;
    }
  );
  return boards;
}

// ---------------------------------------------------------------- one run

interface RunResult {
  server: ServerKind;
  samples: number;
  p50: number;
  p99: number;
  max: number;
  lost: number;
  pairs: number;
  duplicates: number;
  outOfOrder: number;
  reconnects: number;
  unacked: number;
  diverged: number;
  edits: number;
  serverCpuPct: number;
  serverPeakMb: number;
  pgCpuPct: number | null;
  clientsCpuPct: number;
  machineBusyPct: number;
  clientLoop: { p99: number; max: number };
  clientSendLagP99: number;
  connectP50: number;
  connectP99: number;
  stored: StoredCheck | null;
  notes: string[];
  /** Per second of the window: [deliveries, p50, p99, max, server loop delay max, clients' loop delay max]. */
  perSecond: Array<[number, number, number, number, number, number]>;
  /** Server event-loop delay over the window: worst per-second p99, and max. */
  serverLoop: { p99: number; max: number };
}

interface StoredCheck {
  boards: number;
  matching: number;
  missingUpdates: number;
  projectionRows: number;
  projectionWrong: number;
  historyRows: number;
  auditRows: number;
  /** Change made → its history row and audit event committed, for rows written while clients were connected (ms). */
  storeLag: { p50: number; p99: number; max: number } | null;
  /** History rows written only after the clients left (by the store on last disconnect or at shutdown). */
  writtenAfterLeave: number;
  /** Durable update-log rows (collab_updates) still there after the shutdown: a store deletes what it covers. */
  logRowsLeft: number;
  /** From the last client leaving until every stored state held every edit (null: not within 90 s). */
  storedAfterMs: number | null;
  shutdownMs: number;
  exitCode: number | null;
}

async function pgBackendCpu(db: Db): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const { rows } = await db.$client.query<{ pid: number }>(
    `select pid from pg_stat_activity where application_name = 'crosslink-collab' and datname = current_database()`
  );
  for (const { pid } of rows) {
    const ms = cpuMsOf(pid);
    if (ms !== null) out.set(pid, ms);
  }
  return out;
}

function digestStored(state: Uint8Array, keys: string[]) {
  const doc = new Y.Doc();
  try {
    Y.applyUpdate(doc, state);
    const board = readBoard(doc);
    const lengths = [...keys].sort().map((k) => `${k}=${doc.getArray(`bench:${k}`).length}`);
    return {
      board,
      lengthOf: (k: string) => doc.getArray(`bench:${k}`).length,
      digest: createHash('sha1').update(JSON.stringify(board)).update(lengths.join(',')).digest('hex')
    };
  } finally {
    doc.destroy();
  }
}

async function runOne(db: Db, s: Scenario, kind: ServerKind, boards: Board[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  const server = await startServer(kind, env);
  const procs = Array.from({ length: s.clientProcs }, (_, i) => new ClientsProc(i));
  try {
    // Specs: clients of a board spread over the processes (round robin), so
    // senders and receivers also sit in different processes.
    const specs: ClientSpec[][] = procs.map(() => []);
    let n = 0;
    for (const b of boards) {
      b.editors.forEach((e, k) => {
        specs[n++ % procs.length].push({
          key: e.key,
          board: b.name,
          token: e.token,
          userId: e.userId,
          peers: b.editors.filter((o) => o !== e).map((o) => o.key),
          ...(k === 0 ? { initCards: b.cards } : {})
        });
      });
    }
    const t0 = nowMs();
    procs.forEach((p, i) => p.send({ type: 'setup', url: server.url, clients: specs[i], cardsPerBoard: s.cards, intervalMs: s.intervalMs, connectBatch: 50 }));
    const ready = await Promise.all(procs.map((p) => p.next('ready', 180_000)));
    const connect = Float64Array.from(ready.flatMap((r) => r.connectMs)).sort();
    log(`  ${kind}: ${fmt(connect.length)} connections synced in ${fmt((nowMs() - t0) / 1000, 1)} s; editing…`);

    const startAt = nowMs() + 500;
    const windowFrom = startAt + warmupMs;
    const windowTo = windowFrom + durationMs;
    procs.forEach((p) => p.send({ type: 'start', startAt, warmupMs, durationMs }));
    if (profile) {
      log(`  ${kind} (pid ${server.pid}) profile window, CLOCK_MONOTONIC µs for profile-summary.ts: ${Math.round(windowFrom * 1000)} ${Math.round(windowTo * 1000)}`);
    }

    // Server / Postgres / machine CPU over exactly the measurement window.
    await sleep(windowFrom - nowMs());
    const a = { server: cpuMsOf(server.pid) ?? 0, pg: kind === 'crosslink' ? await pgBackendCpu(db) : null, machine: machineTicks(), at: nowMs() };
    await sleep(windowTo - nowMs());
    const b = { server: cpuMsOf(server.pid) ?? 0, pg: kind === 'crosslink' ? await pgBackendCpu(db) : null, machine: machineTicks(), at: nowMs() };
    const windowS = (b.at - a.at) / 1000;
    let pgCpuPct: number | null = null;
    if (a.pg && b.pg) {
      let ms = 0;
      for (const [pid, end] of b.pg) ms += end - (a.pg.get(pid) ?? 0);
      pgCpuPct = (ms / 1000 / windowS) * 100;
    }

    const drained = await Promise.all(procs.map((p) => p.next('drained', 60_000)));
    const sent: Record<string, number> = Object.assign({}, ...drained.map((d) => d.sent));
    procs.forEach((p) => p.send({ type: 'verify', sent, timeoutMs: 10_000 }));
    const results = await Promise.all(procs.map((p) => p.next('result', 60_000)));
    const serverPeakMb = statusKb(server.pid, 'VmHWM') / 1024;

    let total = 0;
    for (const r of results) total += r.latencies.length;
    const all = new Float64Array(total);
    let off = 0;
    for (const r of results) {
      all.set(r.latencies, off);
      off += r.latencies.length;
    }
    all.sort();

    const buckets: number[][] = Array.from({ length: Math.ceil(durationMs / 1000) }, () => []);
    for (const r of results) {
      for (let i = 0; i < r.latencies.length; i++) buckets[Math.min(buckets.length - 1, Math.floor((r.sendTimes[i] - windowFrom) / 1000))]?.push(r.latencies[i]);
    }
    // Server event-loop delay (loop-probe.ts), by the second of the window each probe second mostly covers.
    const probeLag: number[] = buckets.map(() => NaN);
    const inWindow = server.loop.filter((l) => l.at - 500 >= windowFrom && l.at - 500 < windowTo);
    for (const l of inWindow) {
      const i = Math.floor((l.at - 500 - windowFrom) / 1000);
      probeLag[i] = Math.max(Number.isNaN(probeLag[i]) ? 0 : probeLag[i], l.max);
    }
    const serverLoop = { p99: Math.max(0, ...inWindow.map((l) => l.p99)), max: Math.max(0, ...inWindow.map((l) => l.max)) };
    const perSecond = buckets.map((list, i) => {
      const sorted = Float64Array.from(list).sort();
      const clientLag = Math.max(...drained.map((d) => d.loopPerSecond[i] ?? NaN));
      return [sorted.length, percentile(sorted, 50), percentile(sorted, 99), sorted.length ? sorted[sorted.length - 1] : NaN, probeLag[i], clientLag] as RunResult['perSecond'][number];
    });

    // Convergence: every client of a board holds the same board and the same bench arrays.
    const byBoard = new Map<string, Set<string>>();
    for (const r of results) for (const d of r.digests) (byBoard.get(d.board) ?? byBoard.set(d.board, new Set()).get(d.board)!).add(d.digest);
    const diverged = [...byBoard.values()].filter((set) => set.size > 1).length;
    const clientBoards = new Map(results.flatMap((r) => r.boards.map((x) => [x.board, x] as const)));

    await Promise.all(procs.map((p) => p.close()));
    const leftAt = nowMs();
    const leftWall = Date.now();

    // Crosslink stores a document when its last client leaves: wait until every
    // stored state holds every edit (or 90 s), then stop the server the normal way.
    let storedAfterMs: number | null = null;
    if (kind === 'crosslink') {
      const deadline = leftAt + 90_000;
      while (nowMs() < deadline) {
        const rows = await db
          .select({ name: collabDocuments.name, state: collabDocuments.state })
          .from(collabDocuments)
          .where(inArray(collabDocuments.name, boards.map((b) => b.name)));
        const states = new Map(rows.map((r) => [r.name, r.state]));
        const complete = boards.every((b) => {
          const state = states.get(b.name);
          if (!state) return false;
          const doc = new Y.Doc();
          try {
            Y.applyUpdate(doc, state);
            return b.editors.every((e) => doc.getArray(`bench:${e.key}`).length >= (sent[e.key] ?? 0));
          } finally {
            doc.destroy();
          }
        });
        if (complete) {
          storedAfterMs = nowMs() - leftAt;
          break;
        }
        await sleep(250);
      }
    }

    const stopAt = nowMs();
    process.kill(server.pid, 'SIGTERM');
    const exit = await exited(server.child, 40_000);
    if (!exit) {
      server.child.kill('SIGKILL');
      server.notes.push(`did not stop within 40 s of SIGTERM; killed`);
    }
    const shutdownMs = nowMs() - stopAt;

    let stored: StoredCheck | null = null;
    if (kind === 'crosslink') {
      stored = {
        boards: boards.length,
        matching: 0,
        missingUpdates: 0,
        projectionRows: 0,
        projectionWrong: 0,
        historyRows: 0,
        auditRows: 0,
        storeLag: null,
        writtenAfterLeave: 0,
        logRowsLeft: 0,
        storedAfterMs,
        shutdownMs,
        exitCode: exit?.code ?? null
      };
      const rows = await db
        .select({ name: collabDocuments.name, state: collabDocuments.state })
        .from(collabDocuments)
        .where(inArray(collabDocuments.name, boards.map((b) => b.name)));
      const states = new Map(rows.map((r) => [r.name, r.state]));
      const [logLeft] = await db.select({ n: count() }).from(collabUpdates).where(inArray(collabUpdates.documentName, boards.map((b) => b.name)));
      stored.logRowsLeft = logLeft.n;
      const libIds = boards.map((b) => b.libraryId).filter((x): x is string => !!x);
      const projection = libIds.length
        ? await db
            .select({ libraryId: libraryMolecules.libraryId, moleculeId: libraryMolecules.moleculeId, laneId: libraryMolecules.laneId, tags: libraryMolecules.tags })
            .from(libraryMolecules)
            .where(inArray(libraryMolecules.libraryId, libIds))
        : [];
      const projected = new Map(projection.map((r) => [`${r.libraryId}/${r.moleculeId}`, r]));
      stored.projectionRows = projection.length;
      const rowsPerLibrary = new Map<string, number>();
      for (const r of projection) rowsPerLibrary.set(r.libraryId, (rowsPerLibrary.get(r.libraryId) ?? 0) + 1);
      for (const b of boards) {
        const state = states.get(b.name);
        if (!state) {
          stored.missingUpdates += b.editors.reduce((n, e) => n + (sent[e.key] ?? 0), 0);
          continue;
        }
        const d = digestStored(state, b.editors.map((e) => e.key));
        for (const e of b.editors) stored.missingUpdates += Math.max(0, (sent[e.key] ?? 0) - d.lengthOf(e.key));
        const live = clientBoards.get(b.name);
        if (live && live.digest === d.digest) stored.matching++;
        if (b.libraryId) {
          for (const c of d.board.cards) {
            const row = projected.get(`${b.libraryId}/${c.moleculeId}`);
            if (!row || row.laneId !== c.lane || [...row.tags].sort().join('|') !== c.tags.join('|')) stored.projectionWrong++;
          }
          // Rows for cards that are not on the stored board count as wrong too.
          stored.projectionWrong += Math.max(0, (rowsPerLibrary.get(b.libraryId) ?? 0) - d.board.cards.length);
        }
      }
      if (libIds.length) {
        const [h] = await db.select({ n: count() }).from(documentChanges).where(inArray(documentChanges.documentName, libIds.map((id) => `library:${id}`)));
        const [au] = await db
          .select({ n: count() })
          .from(auditEvents)
          .where(and(eq(auditEvents.action, 'library.board_changed'), inArray(auditEvents.entityId, libIds)));
        stored.historyRows = h.n;
        stored.auditRows = au.n;
        // How long edits waited in memory: change time (document_changes.created_at) → its audit event written.
        const { rows: lagRows } = await db.$client.query<{ lag: number; late: boolean }>(
          `select extract(epoch from (a.created_at - b.created_at)) * 1000 as lag, a.created_at >= $2 as late
             from document_changes b
             join audit_events a on a.entity_type = 'library' and a.entity_id = substr(b.document_name, 9) and (a.after ->> 'changeId')::bigint = b.id
            where b.document_name = any($1::text[])`,
          [libIds.map((id) => `library:${id}`), new Date(leftWall)]
        );
        const lags = Float64Array.from(lagRows.filter((r) => !r.late).map((r) => Number(r.lag))).sort();
        stored.storeLag = { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags.length ? lags[lags.length - 1] : NaN };
        stored.writtenAfterLeave = lagRows.filter((r) => r.late).length;
      }
    }

    const clientCpuMs = drained.reduce((x, d) => x + d.cpuMs, 0);
    return {
      server: kind,
      samples: all.length,
      p50: percentile(all, 50),
      p99: percentile(all, 99),
      max: all.length ? all[all.length - 1] : NaN,
      lost: results.reduce((x, r) => x + r.missing, 0),
      pairs: results.reduce((x, r) => x + r.pairs, 0),
      duplicates: results.reduce((x, r) => x + r.duplicates, 0),
      outOfOrder: results.reduce((x, r) => x + r.outOfOrder, 0),
      reconnects: results.reduce((x, r) => x + r.reconnects, 0),
      unacked: drained.reduce((x, d) => x + d.unacked, 0),
      diverged,
      edits: Object.values(sent).reduce((x, v) => x + v, 0),
      serverCpuPct: ((b.server - a.server) / 1000 / windowS) * 100,
      serverPeakMb,
      pgCpuPct,
      clientsCpuPct: (clientCpuMs / 1000 / windowS) * 100,
      machineBusyPct: ((b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total)) * 100,
      clientLoop: { p99: Math.max(...drained.map((d) => d.loopDelay.p99)), max: Math.max(...drained.map((d) => d.loopDelay.max)) },
      clientSendLagP99: Math.max(...drained.map((d) => d.sendLag.p99)),
      connectP50: percentile(connect, 50),
      connectP99: percentile(connect, 99),
      stored,
      notes: server.notes,
      perSecond,
      serverLoop
    };
  } finally {
    await Promise.all(procs.map((p) => p.close().catch(() => {})));
    if (alive(server.child)) {
      process.kill(server.pid, 'SIGTERM');
      if (!(await exited(server.child, 20_000))) server.child.kill('SIGKILL');
    }
  }
}

// ---------------------------------------------------------------- report

function row(label: string, c: string, bare: string, ratio: string, target: string) {
  return `  ${label.padEnd(34)} ${c.padStart(12)} ${bare.padStart(12)} ${ratio.padStart(12)}   ${target}`;
}

function printScenario(s: Scenario, runs: RunResult[]) {
  const c = runs.find((r) => r.server === 'crosslink');
  const b = runs.find((r) => r.server === 'bare');
  const v = (r: RunResult | undefined, f: (r: RunResult) => string) => (r ? f(r) : '—');
  const ratio = (f: (r: RunResult) => number) => (c && b && f(b) > 0 ? `${fmt(f(c) / f(b), 2)}×` : '');
  const editors = s.boards * s.editorsPerBoard;
  const perSec = editors * (1000 / s.intervalMs);
  const out = perSec * (s.editorsPerBoard - 1);
  console.log(
    `\n  ${s.name}: ${fmt(editors)} editors on ${fmt(s.boards)} board${s.boards > 1 ? 's' : ''} (${s.editorsPerBoard} per board` +
      `${s.orgs > 1 ? `, ${s.orgs} organisations` : ''}), one edit per ${fmt(s.intervalMs)} ms each = ${fmt(perSec)} updates/s in, ${fmt(out)} deliveries/s out`
  );
  console.log(row('measure', 'Crosslink', 'bare', 'ratio C/bare', 'target'));
  console.log(row('latency p50 (ms)', v(c, (r) => fmt(r.p50, 2)), v(b, (r) => fmt(r.p50, 2)), ratio((r) => r.p50), '≤ 1.5×'));
  console.log(row('latency p99 (ms)', v(c, (r) => fmt(r.p99, 2)), v(b, (r) => fmt(r.p99, 2)), ratio((r) => r.p99), `≤ ${s.p99TargetMs} ms, ≤ 1.5×`));
  console.log(row('latency max (ms)', v(c, (r) => fmt(r.max, 1)), v(b, (r) => fmt(r.max, 1)), ratio((r) => r.max), ''));
  console.log(row('lost updates', v(c, (r) => fmt(r.lost)), v(b, (r) => fmt(r.lost)), '', '0'));
  console.log(row('deliveries measured', v(c, (r) => fmt(r.samples)), v(b, (r) => fmt(r.samples)), '', ''));
  console.log(row('server CPU (% of one core)', v(c, (r) => fmt(r.serverCpuPct)), v(b, (r) => fmt(r.serverCpuPct)), ratio((r) => r.serverCpuPct), ''));
  console.log(row('server peak RSS (MB)', v(c, (r) => fmt(r.serverPeakMb)), v(b, (r) => fmt(r.serverPeakMb)), ratio((r) => r.serverPeakMb), ''));
  console.log(row('Postgres CPU for it (% of a core)', v(c, (r) => (r.pgCpuPct === null ? '—' : fmt(r.pgCpuPct))), '—', '', ''));
  console.log(row('clients CPU (% of one core)', v(c, (r) => fmt(r.clientsCpuPct)), v(b, (r) => fmt(r.clientsCpuPct)), '', ''));
  console.log(row('machine busy (% of 2 cores)', v(c, (r) => fmt(r.machineBusyPct)), v(b, (r) => fmt(r.machineBusyPct)), '', ''));
  console.log(row('server loop delay p99/max (ms)', v(c, (r) => `${fmt(r.serverLoop.p99)}/${fmt(r.serverLoop.max)}`), v(b, (r) => `${fmt(r.serverLoop.p99)}/${fmt(r.serverLoop.max)}`), '', ''));
  console.log(row('clients loop delay p99/max (ms)', v(c, (r) => `${fmt(r.clientLoop.p99)}/${fmt(r.clientLoop.max)}`), v(b, (r) => `${fmt(r.clientLoop.p99)}/${fmt(r.clientLoop.max)}`), '', ''));
  console.log(row('connect→synced p50/p99 (ms)', v(c, (r) => `${fmt(r.connectP50)}/${fmt(r.connectP99)}`), v(b, (r) => `${fmt(r.connectP50)}/${fmt(r.connectP99)}`), '', ''));
  const anomalies = (r: RunResult) => r.reconnects + r.duplicates + r.outOfOrder + r.diverged + r.unacked;
  console.log(row('reconnects/dup/reorder/diverged', v(c, (r) => `${r.reconnects}/${r.duplicates}/${r.outOfOrder}/${r.diverged}`), v(b, (r) => `${r.reconnects}/${r.duplicates}/${r.outOfOrder}/${r.diverged}`), '', '0/0/0/0'));
  if (c?.stored) {
    const st = c.stored;
    console.log(
      `  stored (Crosslink): every edit in Postgres ${st.storedAfterMs === null ? 'NOT within 90 s' : `${fmt(st.storedAfterMs / 1000, 1)} s`} after the last client left; ` +
        `shutdown (SIGTERM) ${fmt(st.shutdownMs / 1000, 1)} s, exit ${st.exitCode}\n  ${st.matching}/${st.boards} stored boards identical to the clients, ` +
        `${fmt(st.missingUpdates)} updates missing; projection ${fmt(st.projectionRows)} rows, ${fmt(st.projectionWrong)} wrong; ` +
        `${fmt(st.historyRows)} history rows, ${fmt(st.auditRows)} audit events for ${fmt(c.edits)} edits; ` +
        `${fmt(st.logRowsLeft)} update-log rows left`
    );
    if (st.storeLag) {
      console.log(
        `  edit → stored with its history and audit rows (while editing): p50 ${fmt(st.storeLag.p50 / 1000, 1)} s, p99 ${fmt(st.storeLag.p99 / 1000, 1)} s, ` +
          `max ${fmt(st.storeLag.max / 1000, 1)} s; ${fmt(st.writtenAfterLeave)} of ${fmt(st.historyRows)} history rows written only after the clients left`
      );
    }
  }
  if (timeline) {
    console.log(`\n  per second of the window: deliveries, latency p50 / p99 / max (ms) | event-loop delay max (ms) of server, clients`);
    console.log(`  ${'s'.padStart(4)}  ${runs.map((r) => r.server.padEnd(51)).join('  ')}`);
    for (let i = 0; i < (runs[0]?.perSecond.length ?? 0); i++) {
      const cells = runs.map((r) => {
        const [n, p50, p99, mx, lag, clientLag] = r.perSecond[i] ?? [0, NaN, NaN, NaN, NaN, NaN];
        return `${fmt(n).padStart(6)}  ${fmt(p50, 1).padStart(6)} / ${fmt(p99, 1).padStart(6)} / ${fmt(mx, 1).padStart(6)} | ${fmt(lag, 0).padStart(4)}, ${fmt(clientLag, 0).padStart(4)}`;
      });
      console.log(`  ${String(i + 1).padStart(4)}  ${cells.map((c) => c.padEnd(51)).join('  ')}`);
    }
  }
  for (const r of runs) {
    if (anomalies(r) || r.notes.length) {
      if (r.unacked) console.log(`  ${r.server}: ${r.unacked} edits not acknowledged by the server when the drain timed out`);
      for (const n of r.notes.slice(0, 10)) console.log(`  ${r.server} said: ${n}`);
      if (r.notes.length > 10) console.log(`  ${r.server}: … ${r.notes.length - 10} more lines`);
    }
  }
}

// ---------------------------------------------------------------- main

async function main() {
  const load = os.loadavg();
  const services = await ensureServices({ dataDir: path.join(root, '.data'), database: 'crosslink_collab_bench', log: (s) => log(s) });
  const db = createDb(services.databaseUrl, { max: 8, applicationName: 'crosslink-bench' });
  const prefix = `crosslink-bench-collab-${Date.now().toString(36)}`;
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: services.databaseUrl, REDIS_URL: services.redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const results: Array<{ s: Scenario; runs: RunResult[] }> = [];
  const t0 = nowMs();
  try {
    await runMigrations(services.databaseUrl);
    for (const s of scenarios) {
      log(`${s.name}: creating ${fmt(s.boards)} ${docKind === 'library' ? 'libraries' : 'organisation documents'}, ${fmt(s.boards * s.editorsPerBoard)} users with sessions…`);
      const boards = await createBoards(db, s);
      const runs: RunResult[] = [];
      for (const kind of servers) {
        log(`${s.name} on ${kind}: ${fmt(s.boards * s.editorsPerBoard)} clients in ${s.clientProcs} process${s.clientProcs > 1 ? 'es' : ''}, ${fmt(warmupMs / 1000)} s warm-up + ${fmt(durationMs / 1000)} s measured`);
        const r = await runOne(db, s, kind, boards, env);
        log(`  ${kind}: p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, lost ${r.lost}, server CPU ${fmt(r.serverCpuPct)} %`);
        runs.push(r);
      }
      results.push({ s, runs });
    }
  } finally {
    await closeDb(db);
    await services.stop();
  }

  const hocuspocusVersion = JSON.parse(readFileSync(path.join(root, 'node_modules/@hocuspocus/server/package.json'), 'utf8')).version;
  console.log(
    `\n  bench/collab — Hocuspocus ${hocuspocusVersion}, Node ${process.versions.node}, ${os.cpus().length} cores, ` +
      `document kind ${docKind}; ${fmt(warmupMs / 1000)} s warm-up + ${fmt(durationMs / 1000)} s measured per run; ` +
      `load average before the run ${load.map((l) => l.toFixed(2)).join(' ')}; total ${fmt((nowMs() - t0) / 1000)} s`
  );
  console.log('  Crosslink = collab-server/index.ts (auth, guard, durable update log, Postgres store + projection + history + audit, Redis); bare = Hocuspocus, no extensions');
  for (const { s, runs } of results) printScenario(s, runs);
  console.log(
    '\n  latency = receive − send of each edit at every other client of its board (CLOCK_MONOTONIC), edits sent after the warm-up;' +
      '\n  lost = sequence numbers missing at any receiver after the edits stopped and a 10 s grace; CPU over the measured window' +
      '\n  (100 % = one core); loop delay = how late a 10 ms (server) / 1 ms (clients) timer fired: worst per-second p99 / max.\n'
  );
}

main().catch((err) => {
  console.error(err);
  killAll('SIGTERM');
  setTimeout(() => process.exit(1), 1000);
});
