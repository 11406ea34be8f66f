/**
 * bench/collab/board-load — a library board of N cards in real Chromium: how it
 * loads, what it costs, and how responsive it stays while dragging and
 * scrolling, beside the floor for loading the same data without the page, in
 * the same run.
 *
 *   node --import tsx bench/collab/board-load.ts [--cards 5000] [--runs 3] [--profile]
 *
 *   --profile  also record a CPU profile of each load (DevTools protocol, from
 *              navigation to the pictures in view; slows the page a little),
 *              write it to .data/bench-board/load-run<i>.cpuprofile (opens in
 *              Chrome DevTools) and print the functions that took the most time
 *
 * Target (issue 4, 2-core machine): "a board of 5,000 cards loads in the
 * browser in ≤ 1.5 s and stays responsive while dragging".
 *
 * 1. Services from DATABASE_URL/REDIS_URL, else scripts/services.ts (its own
 *    PostgreSQL and Redis under .data/bench-board/, so someone's `npm start`
 *    stopping the ones under .data/ cannot end the run; database
 *    `crosslink_board_bench`), migrations, `vite build` when
 *    stale, then the whole stack (scripts/start.ts startStack: web,
 *    collab-server, workers) on free ports and a Redis prefix of its own.
 * 2. Data through the product's doors only: POST /api/v1/auth/signup, POST
 *    /api/v1/libraries, a CSV of N varied drug-like molecules
 *    (bench/ingest/generate.ts, no repeats) uploaded with POST /api/v1/imports
 *    (`library_id`): the workers register the rows and put them on the board
 *    through the collab-server. Polls the import until `completed` and the
 *    library until `molecule_count` is N. Every card lands in the first lane.
 * 3. Debian's Chromium (/usr/bin/chromium) through `playwright`, 1280×720, one
 *    browser context signed in through /login; per run a new tab opens
 *    /libraries/<id> (run 1: nothing of the board page in the HTTP cache yet;
 *    later runs: bundles and pictures cached). An init script records, with
 *    performance.now() in the page (0 = navigation start), when the live
 *    session exists, when the Yjs document is synced with every card known
 *    (`window.__crosslinkBoard`: loaded, cardCount), when the molecule data is
 *    loaded (moleculesLoaded), when the first lane's first card shows its
 *    registry number (the "usable" moment) and when the pictures in view are
 *    loaded. JS heap and main-thread totals from the DevTools protocol
 *    (Runtime.getHeapUsage, Performance.getMetrics), card DOM nodes, long tasks.
 * 4. In the same tab: 1 s of idle frames (the frame-rate reference), then a
 *    drag of the first lane's first card by its picture to the middle of the
 *    third lane with page.mouse (60 moves over ~1 s), recording
 *    requestAnimationFrame intervals, long tasks, pointermove → next frame, and
 *    mouse-up → the card painted in the target lane; then the first lane is
 *    scrolled from top to bottom in 120 steps, one per frame.
 * 5. Reference, same run, in Node: GET /api/v1/libraries/<id>/molecules?
 *    page=1&page_size=5000 with the token (what the page fetches), and the
 *    `library:<id>` document synced by a bare @hocuspocus/provider over `ws`;
 *    each alone, then both at once (what the page does).
 * Also per run: whether autovacuum has analysed the tables that GET reads since
 * the import (run 1 starts seconds after it, as a person opening the board
 * they just imported into would, and the planner's statistics matter there).
 *
 * Prints figures; asserts nothing; exits non-zero only when the stack, the
 * import or the browser fails. Everything it started is stopped on exit, on
 * errors and on Ctrl-C. Files: .data/bench-board/ (services, the CSV, last-run.json).
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import pg from 'pg';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { cardsMap } from '../../common/board';
import { runMigrations } from '../../db/migrate';
import { deleteRedisKeysStartingWith, ensureServices, freePort, type Services } from '../../scripts/services';
import { buildWebIfStale, startStack, type Stack } from '../../scripts/start';
import { ROW_H } from '../../web/src/lib/board/layout';
import type { ImportJob } from '../../web/src/lib/components/registry/types';
import { generateMolecules, writeMoleculesCsv } from '../ingest/generate';

const root = fileURLToPath(new URL('../../', import.meta.url));

// ---------------------------------------------------------------- options

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? 'true' : v;
}
function num(name: string, fallback: number): number {
  const v = flag(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} wants a positive whole number, got "${v}"`);
  return n;
}
const CARDS = num('cards', 5000);
const RUNS = num('runs', 3);
/** Diagnostics: a CPU profile of each load (navigation → pictures in view), summarised after the table. */
const PROFILE = flag('profile') === 'true';
const VIEWPORT = { width: 1280, height: 720 };
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DRAG_MOVES = 60;
const DRAG_MS = 1000;
const SCROLL_STEPS = 120;
const LOAD_TARGET_MS = 1500;
const PASSWORD = 'board bench password';

// ---------------------------------------------------------------- small helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => console.log(`[bench] ${s}`);
const fmt = (n: number | null | undefined, d = 0) =>
  n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
const mb = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? null : bytes / 1024 / 1024);

function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const median = (values: number[]) => percentile(values, 50);
const intervals = (frames: number[]) => frames.slice(1).map((t, i) => t - frames[i]);

// ---------------------------------------------------------------- cleanup

let services: Services | null = null;
let stack: Stack | null = null;
let browser: Browser | null = null;
let redisPrefix = '';
let cleaning: Promise<void> | null = null;

/** Stops the browser, the stack and the services (only what we started); idempotent. */
function cleanup(): Promise<void> {
  return (cleaning ??= (async () => {
    await browser?.close().catch(() => {});
    await stack?.stop().catch((e: Error) => console.error(`[bench] stopping the stack: ${e.message}`));
    if (services) {
      // The Redis keys of this run (queues, rate limits, collab sync) go with it, also on a shared Redis.
      if (redisPrefix) await deleteRedisKeysStartingWith(services.redisUrl, redisPrefix).catch(() => {});
      await services.stop().catch((e: Error) => console.error(`[bench] stopping services: ${e.message}`));
    }
  })());
}


function fail(message: string): never {
  throw new Error(message);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    console.error(`\n[bench] ${sig}: stopping the browser, the stack and the services`);
    setTimeout(() => process.exit(130), 30_000).unref();
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- the product's API

interface Envelope<T> {
  data: T;
  meta?: Record<string, unknown>;
  error?: { code: string; message: string; details?: unknown };
}

class Api {
  constructor(
    readonly base: string,
    readonly token = ''
  ) {}

  async call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const isForm = body instanceof FormData;
    const res = await fetch(`${this.base}/api/v1${route}`, {
      method,
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(body !== undefined && !isForm ? { 'content-type': 'application/json' } : {})
      },
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body)
    });
    const text = await res.text();
    let json: Envelope<T> | null = null;
    try {
      json = JSON.parse(text) as Envelope<T>;
    } catch {
      /* not JSON: reported below */
    }
    if (!res.ok || !json) {
      fail(`${method} /api/v1${route} answered ${res.status}: ${json?.error ? `${json.error.code} ${json.error.message} ${JSON.stringify(json.error.details ?? '')}` : text.slice(0, 300)}`);
    }
    return json.data;
  }
}

/** What the bench reads of an import (GET /imports/:id). */
type ImportRow = Pick<ImportJob, 'id' | 'status' | 'total_rows' | 'processed_rows' | 'registered' | 'duplicates' | 'invalid' | 'descriptors_done' | 'error' | 'finished_at'>;

interface Setup {
  email: string;
  token: string;
  libraryId: string;
  cards: number;
  timings: Array<[string, number]>;
  totalMs: number;
  importCounts: string;
  importFinishedAt: Date;
}

/** Account, library and N cards, through the API and a real import. */
async function setUpBoard(base: string): Promise<Setup> {
  const t0 = performance.now();
  const timings: Array<[string, number]> = [];
  let t = t0;
  const lap = (what: string) => {
    const now = performance.now();
    timings.push([what, now - t]);
    t = now;
  };

  const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const email = `board-bench-${tag}@bench.example`;
  const signup = await new Api(base).call<{ token: string; user: { id: string } }>('POST', '/auth/signup', {
    email,
    password: PASSWORD,
    name: 'Bea Bench',
    organization: { name: `Board bench ${tag}`, kind: 'pharma' }
  });
  const api = new Api(base, signup.token);
  const library = await api.call<{ id: string }>('POST', '/libraries', {
    name: `Board bench — ${fmt(CARDS)} cards`,
    description: 'bench/collab/board-load.ts'
  });
  lap('sign-up and library');

  log(`generating ${fmt(CARDS)} drug-like molecules (bench/ingest/generate.ts, no repeats)…`);
  const molecules = await generateMolecules(CARDS, 42, { duplicateFraction: 0 });
  const dir = path.join(root, '.data', 'bench-board');
  await mkdir(dir, { recursive: true });
  const csvPath = path.join(dir, `board-${CARDS}.csv`);
  await writeMoleculesCsv(csvPath, molecules);
  lap('generate the CSV');

  const form = new FormData();
  form.append('library_id', library.id);
  form.append('file', new Blob([await readFile(csvPath)], { type: 'text/csv' }), `board-${CARDS}.csv`);
  const created = await api.call<ImportRow>('POST', '/imports', form);
  lap('upload (POST /imports)');

  log(`import ${created.id}: waiting for the workers…`);
  let imp = created;
  let lastLog = performance.now();
  for (;;) {
    imp = await api.call<ImportRow>('GET', `/imports/${created.id}`);
    if (imp.status === 'completed') break;
    if (imp.status !== 'queued' && imp.status !== 'running') {
      fail(`the import ended "${imp.status}": ${imp.error ? `${imp.error.code} ${imp.error.message}` : 'no reason given'}`);
    }
    if (performance.now() - lastLog > 5000) {
      log(`  ${imp.status}: ${fmt(imp.processed_rows)} of ${imp.total_rows === null ? '?' : fmt(imp.total_rows)} rows, ${fmt(imp.descriptors_done)} described`);
      lastLog = performance.now();
    }
    if (performance.now() - t > 600_000) fail(`the import did not complete within 10 minutes (status ${imp.status}, ${imp.processed_rows} rows)`);
    await sleep(250);
  }
  lap('import to "completed" (registered + descriptors)');
  const importCounts = `${fmt(imp.registered)} registered, ${fmt(imp.duplicates)} duplicates, ${fmt(imp.invalid)} invalid of ${fmt(imp.total_rows ?? 0)} rows`;
  log(`import: ${importCounts}`);
  const expected = imp.registered + imp.duplicates;
  if (expected !== CARDS) log(`note: ${fmt(expected)} distinct molecules came out of ${fmt(CARDS)} rows; the board will hold ${fmt(expected)}`);

  for (;;) {
    const lib = await api.call<{ molecule_count: number }>('GET', `/libraries/${library.id}`);
    if (lib.molecule_count >= expected) break;
    const again = await api.call<ImportRow>('GET', `/imports/${created.id}`);
    if (again.error) fail(`the import completed but its molecules did not reach the board: ${again.error.code} ${again.error.message}`);
    if (performance.now() - t > 300_000) fail(`the board holds ${lib.molecule_count} of ${expected} cards 5 minutes after the import completed`);
    await sleep(250);
  }
  lap('cards on the board (molecule_count = N)');
  return {
    email,
    token: signup.token,
    libraryId: library.id,
    cards: expected,
    timings,
    totalMs: performance.now() - t0,
    importCounts,
    importFinishedAt: new Date(imp.finished_at ?? Date.now())
  };
}

// ---------------------------------------------------------------- planner statistics

/**
 * Whether PostgreSQL has analysed the tables the board's GET reads since the import: until
 * autovacuum does, the planner still sees them as they were before (the library and its
 * molecules unknown), which decides the plan of that GET.
 */
async function analysedSinceImport(databaseUrl: string, since: Date): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    const { rows } = await client.query<{ relname: string; at: Date | null }>(
      `select relname, greatest(last_autoanalyze, last_analyze) as at from pg_stat_user_tables
        where relname in ('molecules', 'library_molecules', 'molecule_identifiers', 'molecule_properties') order by relname`
    );
    const fresh = rows.filter((r) => r.at && r.at > since).length;
    return fresh === rows.length ? 'yes' : fresh === 0 ? 'no' : `${fresh}/${rows.length}`;
  } catch {
    return '?';
  } finally {
    await client.end().catch(() => {});
  }
}

// ---------------------------------------------------------------- reference: the same data in Node

interface RestLoad {
  ms: number;
  bytes: number;
  rows: number;
}
interface SyncLoad {
  ms: number;
  cards: number;
  docBytes: number;
}

async function restLoad(base: string, token: string, libraryId: string, t0 = performance.now()): Promise<RestLoad> {
  const res = await fetch(`${base}/api/v1/libraries/${libraryId}/molecules?page=1&page_size=5000`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (!res.ok) fail(`reference GET /libraries/${libraryId}/molecules answered ${res.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as Envelope<unknown[]>;
  return { ms: performance.now() - t0, bytes: Buffer.byteLength(text), rows: body.data.length };
}

async function syncLoad(collabUrl: string, token: string, libraryId: string, expected: number, t0 = performance.now()): Promise<SyncLoad> {
  const doc = new Y.Doc();
  const socket = new HocuspocusProviderWebsocket({ url: collabUrl, WebSocketPolyfill: WebSocket as never });
  const provider = new HocuspocusProvider({ websocketProvider: socket, name: `library:${libraryId}`, document: doc, token });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the bare provider did not sync library:<id> within 60 s')), 60_000);
      provider.on('synced', () => (clearTimeout(timer), resolve()));
      provider.on('authenticationFailed', ({ reason }: { reason: string }) => (clearTimeout(timer), reject(new Error(`the collab-server refused the bare provider: ${reason}`))));
      provider.attach();
    });
    const ms = performance.now() - t0;
    const cards = cardsMap(doc).size;
    if (cards < expected) log(`note: the bare provider synced ${cards} of ${expected} cards`);
    return { ms, cards, docBytes: Y.encodeStateAsUpdate(doc).byteLength };
  } finally {
    provider.destroy();
    socket.destroy();
    doc.destroy();
  }
}

interface Reference {
  rest: RestLoad;
  sync: SyncLoad;
  both: { restMs: number; syncMs: number; ms: number };
}

async function reference(base: string, collabUrl: string, s: Setup): Promise<Reference> {
  const rest = await restLoad(base, s.token, s.libraryId);
  await sleep(300);
  const sync = await syncLoad(collabUrl, s.token, s.libraryId, s.cards);
  await sleep(300);
  const t0 = performance.now();
  const [r, y] = await Promise.all([restLoad(base, s.token, s.libraryId, t0), syncLoad(collabUrl, s.token, s.libraryId, s.cards, t0)]);
  return { rest, sync, both: { restMs: r.ms, syncMs: y.ms, ms: performance.now() - t0 } };
}

// ---------------------------------------------------------------- in the page
// Written as strings: tsx compiles with esbuild's keepNames, whose __name() helper
// does not exist in the page.

/** Installed before any page script; only acts on /libraries/<id>. */
function probeScript(expectedCards: number): string {
  return `(() => {
  if (!/^\\/libraries\\/[^/]+$/.test(location.pathname)) return;
  const N = ${expectedCards};
  const now = () => performance.now();
  const mem = () => (performance.memory ? performance.memory.usedJSHeapSize : null);
  const B = (window.__bench = { marks: {}, heap: {}, longtasks: [], events: [], ws: [], rec: null, downAt: null, upAt: null, moveDelays: null, watch: null, usableDom: null });
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) B.longtasks.push([e.startTime, e.duration]); }).observe({ type: 'longtask', buffered: true });
  } catch (e) {}
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) B.events.push([e.name, e.startTime, e.processingStart, e.processingEnd, e.duration]); })
      .observe({ type: 'event', durationThreshold: 16, buffered: true });
  } catch (e) {}
  // When the page opens its WebSockets and what comes in on them (the collab one is the Yjs sync).
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      const w = { url: String(args[0]), created: now(), open: null, first: null, bytes: 0, messages: 0 };
      B.ws.push(w);
      this.addEventListener('open', () => { w.open = now(); });
      this.addEventListener('message', (e) => {
        if (w.first === null) w.first = now();
        w.messages++;
        const d = e.data;
        w.bytes += typeof d === 'string' ? d.length : (d.byteLength ?? d.size ?? 0);
      });
    }
  };
  const mark = (k, t) => { if (B.marks[k] === undefined) { B.marks[k] = t; B.heap[k] = mem(); } };
  const done = () => ['cards', 'molecules', 'usable', 'pictures'].every((k) => B.marks[k] !== undefined);
  const check = () => {
    const t = now();
    const b = window.__crosslinkBoard;
    if (!b) return;
    mark('session', t);
    if (b.loaded) mark('synced', t);
    if (b.loaded && b.cardCount >= N) mark('cards', t);
    if (b.moleculesLoaded) mark('molecules', t);
    const lane = b.lanes[0];
    const ids = lane ? b.laneCards[lane.id] : null;
    if (!ids || !ids.length) return;
    if (B.marks.usable === undefined) {
      const el = document.querySelector('[data-card-id="' + CSS.escape(ids[0]) + '"][data-regno]');
      const regno = el && el.getAttribute('data-regno');
      const btn = el && el.querySelector('.open-btn');
      if (regno && btn && btn.textContent.trim() === regno) {
        mark('usable', t);
        B.usableDom = { cards: document.querySelectorAll('[data-card-id]').length, elements: document.getElementsByTagName('*').length };
      }
    } else if (B.marks.pictures === undefined) {
      const body = document.querySelector('[data-lane-body="' + CSS.escape(lane.id) + '"]');
      if (!body) return;
      const box = body.getBoundingClientRect();
      const inView = [...body.querySelectorAll('img')].filter((i) => { const r = i.getBoundingClientRect(); return r.bottom > box.top && r.top < Math.min(box.bottom, innerHeight); });
      if (inView.length && inView.every((i) => i.complete && i.naturalWidth > 0)) { mark('pictures', t); B.pictures = inView.length; }
    }
  };
  const frame = () => { check(); if (!done() && now() < 180000) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  const timer = setInterval(() => { check(); if (done() || now() > 180000) clearInterval(timer); }, 10);

  // ── Recorders used by the benchmark after the load.
  B.startFrames = () => {
    const r = { frames: [], t0: now(), t1: null };
    B.rec = r;
    const loop = (ts) => { if (B.rec !== r) return; r.frames.push(ts); requestAnimationFrame(loop); };
    requestAnimationFrame(loop);
    return r.t0;
  };
  B.stopFrames = () => { const r = B.rec; B.rec = null; r.t1 = now(); r.longtasks = B.longtasks.filter(([s, d]) => s + d > r.t0 && s < r.t1); return r; };
  addEventListener('pointerdown', () => { B.downAt = now(); }, true);
  addEventListener('pointerup', () => { B.upAt = now(); }, true);
  addEventListener('pointermove', (e) => {
    if (!B.moveDelays) return;
    const ts = e.timeStamp;
    requestAnimationFrame(() => B.moveDelays.push(now() - ts));
  }, true);
  /** When an element matching sel is in the DOM, in a frame, and painted (a task after that frame). */
  B.watchFor = (sel) => {
    const w = { sel, dom: null, frame: null, painted: null };
    B.watch = w;
    const mo = new MutationObserver(() => { if (w.dom === null && document.querySelector(sel)) { w.dom = now(); mo.disconnect(); } });
    mo.observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-regno'] });
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { w.painted = now(); };
    const loop = () => {
      if (document.querySelector(sel)) {
        w.frame = now();
        if (w.dom === null) w.dom = w.frame;
        mo.disconnect();
        ch.port2.postMessage(0);
        return;
      }
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  };
  /** Scroll a lane body from top to bottom in steps, one per frame. */
  B.scrollLane = (laneId, steps) => new Promise((resolve) => {
    const body = document.querySelector('[data-lane-body="' + CSS.escape(laneId) + '"]');
    if (!body) { resolve(null); return; }
    body.scrollTop = 0;
    const max = body.scrollHeight - body.clientHeight;
    const frames = [];
    let i = 0;
    let t0 = 0;
    const loop = (ts) => {
      frames.push(ts);
      if (i === steps) {
        requestAnimationFrame(() => requestAnimationFrame(() => {
          const t1 = now();
          const n = (window.__crosslinkBoard.laneCards[laneId] || []).length;
          const last = body.querySelector('[aria-posinset="' + n + '"][data-regno]');
          resolve({ frames, t0, t1, max, steps, lastShown: !!last, cardsInDom: body.querySelectorAll('[data-card-id]').length,
            longtasks: B.longtasks.filter(([s, d]) => s + d > t0 && s < t1) });
        }));
        return;
      }
      i++;
      body.scrollTop = Math.round((max * i) / steps);
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(() => requestAnimationFrame((ts) => { t0 = now(); loop(ts); }));
  });
})();`;
}

interface Marks {
  session?: number;
  synced?: number;
  cards?: number;
  molecules?: number;
  usable?: number;
  pictures?: number;
}
interface FrameRec {
  frames: number[];
  t0: number;
  t1: number;
  longtasks: Array<[number, number]>;
}
interface WsInfo {
  url: string;
  created: number;
  open: number | null;
  first: number | null;
  bytes: number;
  messages: number;
}

interface FrameStats {
  p50: number;
  p95: number;
  max: number;
  over50: number;
  frames: number;
}
function frameStats(frames: number[]): FrameStats {
  const iv = intervals(frames);
  return { p50: percentile(iv, 50), p95: percentile(iv, 95), max: iv.length ? Math.max(...iv) : NaN, over50: iv.filter((x) => x > 50).length, frames: iv.length };
}
const longTaskTotal = (l: Array<[number, number]>) => l.reduce((s, [, d]) => s + d, 0);

interface Run {
  /** Tables analysed since the import when the run started: yes / no / k of 4. */
  analysed: string;
  profile: ProfileSummary | null;
  marks: Marks;
  nav: { responseStart: number; responseEnd: number; domContentLoaded: number; load: number };
  moleculesFetch: { start: number; responseStart: number; end: number; bytes: number; decoded: number } | null;
  collabWs: WsInfo | null;
  heapAtUsable: number | null;
  heapPerfMemory: number | null;
  heapSettled: number | null;
  heapAfterGc: number | null;
  metricsAtUsable: Record<string, number>;
  domAtUsable: { cards: number; elements: number } | null;
  domSettled: { cards: number; elements: number; laneCards: number };
  picturesInView: number | null;
  loadLongTasks: Array<[number, number]>;
  idle: FrameStats;
  drag: {
    ok: boolean;
    regno: string;
    toLane: string;
    movesMs: number;
    frames: FrameStats;
    longTasks: Array<[number, number]>;
    moveToFrame: { p50: number; p95: number; max: number };
    upToDom: number | null;
    upToPainted: number | null;
    pointerupEvent: number | null;
  };
  scroll: { frames: FrameStats; longTasks: Array<[number, number]>; px: number; lastShown: boolean; cardsInDom: number } | null;
}

const WAIT_OPTS = { polling: 'raf' as const, timeout: 120_000 };

// ---------------------------------------------------------------- CPU profile (--profile)

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}
interface ProfileSummary {
  ms: number;
  self: Array<[string, number]>;
  total: Array<[string, number]>;
}

/** Self and inclusive time per function (name, file:line:col), in ms. */
function summariseProfile(p: CpuProfile, top = 20): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (id: number) => {
    const f = byId.get(id)!.callFrame;
    const file = f.url ? `${f.url.replace(/^https?:\/\/[^/]+/, '')}:${f.lineNumber + 1}:${f.columnNumber + 1}` : '';
    return `${f.functionName || '(anonymous)'}${file ? ` ${file}` : ''}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const meta = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const leaf = p.samples[i];
    self.set(key(leaf), (self.get(key(leaf)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const k = key(id);
      if (meta.has(byId.get(id)!.callFrame.functionName) || seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + dt);
    }
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { ms: (p.endTime - p.startTime) / 1000, self: sorted(self), total: sorted(total) };
}

async function measureRun(context: BrowserContext, boardUrl: string, collabPort: number, index: number): Promise<Omit<Run, 'analysed'>> {
  const page = await context.newPage();
  const cdp: CDPSession = await context.newCDPSession(page);
  try {
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
    if (PROFILE) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 250 });
      await cdp.send('Profiler.start');
    }
    await page.goto(boardUrl, { waitUntil: 'commit', timeout: 60_000 });
    await page.waitForFunction('window.__bench && window.__bench.marks.usable !== undefined && window.__bench.marks.cards !== undefined', null, WAIT_OPTS);
    // As close to the usable moment as the protocol allows (one round trip later).
    const heapAtUsable = ((await cdp.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
    const metricsAtUsable = Object.fromEntries(((await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> }).metrics.map((m) => [m.name, m.value]));
    await page.waitForFunction('window.__bench.marks.molecules !== undefined', null, WAIT_OPTS);
    await page.waitForFunction('window.__bench.marks.pictures !== undefined', null, { ...WAIT_OPTS, timeout: 30_000 }).catch(() => log(`run ${index}: the pictures in view did not all load within 30 s`));
    let profile: CpuProfile | null = null;
    if (PROFILE) {
      profile = ((await cdp.send('Profiler.stop')) as { profile: CpuProfile }).profile;
      await cdp.send('Profiler.disable');
      await writeFile(path.join(root, '.data', 'bench-board', `load-run${index}.cpuprofile`), JSON.stringify(profile));
    }
    // Let the page settle (pictures decoded, presence, socket.io) before the interaction.
    await sleep(1500);

    const loadInfo = (await page.evaluate(`(() => {
      const B = window.__bench;
      const nav = performance.getEntriesByType('navigation')[0];
      const mol = performance.getEntriesByType('resource').find((e) => /\\/api\\/v1\\/libraries\\/[^/]+\\/molecules\\?page=1/.test(e.name));
      const b = window.__crosslinkBoard;
      return {
        marks: B.marks,
        heapPerfMemory: B.heap.usable ?? null,
        nav: { responseStart: nav.responseStart, responseEnd: nav.responseEnd, domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd },
        moleculesFetch: mol ? { start: mol.startTime, responseStart: mol.responseStart, end: mol.responseEnd, bytes: mol.encodedBodySize, decoded: mol.decodedBodySize } : null,
        ws: B.ws,
        loadLongTasks: B.longtasks.filter(([s]) => s < (B.marks.usable ?? 0) + 1000),
        domAtUsable: B.usableDom,
        pictures: B.pictures ?? null,
        domSettled: { cards: document.querySelectorAll('[data-card-id]').length, elements: document.getElementsByTagName('*').length,
          laneCards: Object.values(b.laneCards).reduce((s, l) => s + l.length, 0) }
      };
    })()`)) as {
      marks: Marks;
      heapPerfMemory: number | null;
      nav: Run['nav'];
      moleculesFetch: Run['moleculesFetch'];
      ws: WsInfo[];
      loadLongTasks: Array<[number, number]>;
      domAtUsable: Run['domAtUsable'];
      pictures: number | null;
      domSettled: Run['domSettled'];
    };
    const heapSettled = ((await cdp.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
    await cdp.send('HeapProfiler.collectGarbage');
    const heapAfterGc = ((await cdp.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;

    // ── Idle frames: what "smooth" is on this machine, in this browser.
    await page.evaluate('window.__bench.startFrames()');
    await sleep(1000);
    const idleRec = (await page.evaluate('window.__bench.stopFrames()')) as FrameRec;

    // ── Drag the first lane's first card to the middle of the third lane.
    const target = (await page.evaluate(`(() => {
      const b = window.__crosslinkBoard;
      const lanes = b.lanes.map((l) => l.id);
      const id = b.laneCards[lanes[0]][0];
      const box = (laneId) => { const el = document.querySelector('[data-lane-body="' + CSS.escape(laneId) + '"]'); if (!el) return null; const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; };
      const fits = (r) => r && r.x >= 0 && r.x + r.w <= innerWidth;
      const to = [2, 1, 3, 4].map((i) => lanes[i]).find((l) => l && fits(box(l))) ?? lanes[1];
      const pic = document.querySelector('[data-card-id="' + CSS.escape(id) + '"] .pic').getBoundingClientRect();
      return { id, regno: b.molecules.get(id)?.registry_number ?? '', from: { x: pic.x, y: pic.y, w: pic.width, h: pic.height }, toLane: to, to: box(to), first: lanes[0] };
    })()`)) as { id: string; regno: string; from: { x: number; y: number; w: number; h: number }; toLane: string; to: { x: number; y: number; w: number; h: number }; first: string };
    const sx = target.from.x + Math.min(30, target.from.w / 2);
    const sy = target.from.y + Math.min(30, target.from.h / 2);
    const tx = target.to.x + target.to.w / 2;
    const ty = target.to.y + target.to.h / 2;
    await page.mouse.move(sx, sy);
    await page.evaluate('window.__bench.moveDelays = []; window.__bench.startFrames()');
    await sleep(100);
    await page.mouse.down();
    const moveStart = performance.now();
    for (let i = 1; i <= DRAG_MOVES; i++) {
      const wait = moveStart + (i * DRAG_MS) / DRAG_MOVES - performance.now();
      if (wait > 0) await sleep(wait);
      const f = i / DRAG_MOVES;
      // A small wobble, as a hand would; starts with a few px to pass the 5 px drag threshold.
      await page.mouse.move(sx + (tx - sx) * f, sy + (ty - sy) * f + Math.sin(f * Math.PI) * 30);
    }
    const movesMs = performance.now() - moveStart;
    const sel = `[data-lane-id="${target.toLane}"] [data-regno="${target.regno}"]`;
    await page.evaluate(`window.__bench.watchFor(${JSON.stringify(sel)})`);
    await page.mouse.up();
    const shown = await page
      .waitForFunction('window.__bench.watch && window.__bench.watch.painted !== null', null, { polling: 'raf', timeout: 10_000 })
      .then(() => true, () => false);
    await sleep(200);
    const dragInfo = (await page.evaluate(`(() => {
      const B = window.__bench;
      const rec = B.stopFrames();
      const delays = B.moveDelays; B.moveDelays = null;
      const up = B.events.filter((e) => e[0] === 'pointerup' && e[1] >= rec.t0).pop();
      return { rec, delays, downAt: B.downAt, upAt: B.upAt, watch: B.watch, pointerup: up ? up[4] : null };
    })()`)) as { rec: FrameRec; delays: number[]; downAt: number; upAt: number; watch: { dom: number | null; painted: number | null }; pointerup: number | null };
    const dragFrames = dragInfo.rec.frames.filter((t) => t >= dragInfo.downAt && t <= dragInfo.upAt);
    if (!shown) log(`run ${index}: ${target.regno} did not appear in lane ${target.toLane} within 10 s of mouse-up`);

    // ── Scroll the first lane from top to bottom.
    await sleep(500);
    const scrollRec = (await page.evaluate(`window.__bench.scrollLane(${JSON.stringify(target.first)}, ${SCROLL_STEPS})`)) as
      | { frames: number[]; t0: number; t1: number; max: number; lastShown: boolean; cardsInDom: number; longtasks: Array<[number, number]> }
      | null;

    const ws = loadInfo.ws.find((w) => w.url.includes(`:${collabPort}`)) ?? null;
    return {
      profile: profile ? summariseProfile(profile) : null,
      marks: loadInfo.marks,
      nav: loadInfo.nav,
      moleculesFetch: loadInfo.moleculesFetch,
      collabWs: ws,
      heapAtUsable,
      heapPerfMemory: loadInfo.heapPerfMemory,
      heapSettled,
      heapAfterGc,
      metricsAtUsable,
      domAtUsable: loadInfo.domAtUsable,
      domSettled: loadInfo.domSettled,
      picturesInView: loadInfo.pictures,
      loadLongTasks: loadInfo.loadLongTasks,
      idle: frameStats(idleRec.frames),
      drag: {
        ok: shown,
        regno: target.regno,
        toLane: target.toLane,
        movesMs,
        frames: frameStats(dragFrames),
        longTasks: dragInfo.rec.longtasks.filter(([s, d]) => s + d > dragInfo.downAt),
        moveToFrame: { p50: percentile(dragInfo.delays, 50), p95: percentile(dragInfo.delays, 95), max: dragInfo.delays.length ? Math.max(...dragInfo.delays) : NaN },
        upToDom: dragInfo.watch.dom === null ? null : dragInfo.watch.dom - dragInfo.upAt,
        upToPainted: dragInfo.watch.painted === null ? null : dragInfo.watch.painted - dragInfo.upAt,
        pointerupEvent: dragInfo.pointerup
      },
      scroll: scrollRec
        ? { frames: frameStats(scrollRec.frames), longTasks: scrollRec.longtasks, px: scrollRec.max, lastShown: scrollRec.lastShown, cardsInDom: scrollRec.cardsInDom }
        : null
    };
  } finally {
    await cdp.detach().catch(() => {});
    await page.close().catch(() => {});
  }
}

// ---------------------------------------------------------------- report

function row(label: string, page: string, ref: string, target: string) {
  return `  ${label.padEnd(48)} ${page.padStart(44)}   ${ref.padEnd(36)} ${target}`;
}
/** "run 1 · run 2 · run 3" of one figure. */
function perRun(runs: Run[], f: (r: Run) => number | null | undefined, d = 0) {
  return runs.map((r) => fmt(f(r), d)).join(' · ');
}

function printReport(opts: {
  setup: Setup;
  runs: Run[];
  refs: Reference[];
  chromiumVersion: string;
  load: number[];
  totalMs: number;
}) {
  const { setup, runs, refs } = opts;
  const refMed = (f: (r: Reference) => number) => fmt(median(refs.map(f)));
  const hocuspocus = versionOf('@hocuspocus/provider');
  console.log(
    `\n  bench/collab/board-load — ${fmt(setup.cards)} cards in one library (all in the first lane), Chromium ${opts.chromiumVersion} (headless, ${VIEWPORT.width}×${VIEWPORT.height}),` +
      `\n  Node ${process.versions.node}, @hocuspocus/provider ${hocuspocus}, ${os.cpus().length} cores; load average before the run ${opts.load.map((l) => l.toFixed(2)).join(' ')}; total ${fmt(opts.totalMs / 1000)} s`
  );
  console.log(`  setup through the API: ${fmt(setup.totalMs / 1000, 1)} s (${setup.timings.map(([w, ms]) => `${w} ${fmt(ms / 1000, 1)} s`).join('; ')}); import: ${setup.importCounts}`);
  console.log(`  page figures: run ${runs.map((_, i) => i + 1).join(' · ')} (run 1 = first visit of the board page: bundles and pictures not cached); ms from navigation start\n`);
  console.log(row('measure', 'Crosslink board page', 'reference (Node, same run, median)', 'target'));
  console.log(row('HTML received (navigation responseEnd)', perRun(runs, (r) => r.nav.responseEnd), '', ''));
  console.log(row('live session created (JS booted, onMount)', perRun(runs, (r) => r.marks.session), '', ''));
  console.log(row('collab WebSocket open', perRun(runs, (r) => r.collabWs?.open), '', ''));
  console.log(row(`Yjs synced, all ${fmt(setup.cards)} cards known`, perRun(runs, (r) => r.marks.cards), `${refMed((r) => r.sync.ms)} bare provider sync`, ''));
  console.log(row('  WebSocket open → all cards known', perRun(runs, (r) => (r.collabWs?.open != null && r.marks.cards !== undefined ? r.marks.cards - r.collabWs.open : null)), `${refMed((r) => r.both.syncMs)} sync while GETting`, ''));
  console.log(row('molecule data loaded (moleculesLoaded)', perRun(runs, (r) => r.marks.molecules), `${refMed((r) => r.rest.ms)} GET …/molecules?page_size=5000`, ''));
  console.log(row('  its GET sent at', perRun(runs, (r) => r.moleculesFetch?.start), '', ''));
  console.log(row('  its GET: sent → first byte / → last byte', runs.map((r) => (r.moleculesFetch ? `${fmt(r.moleculesFetch.responseStart - r.moleculesFetch.start)}/${fmt(r.moleculesFetch.end - r.moleculesFetch.start)}` : '—')).join(' · '), `${refMed((r) => r.both.restMs)} GET while syncing`, ''));
  console.log(row('  tables analysed since the import (planner stats)', runs.map((r) => r.analysed).join(' · '), '', ''));
  console.log(row('board usable (first card with its registry no.)', perRun(runs, (r) => r.marks.usable), `${refMed((r) => r.both.ms)} both at once (sync + GET)`, `≤ ${fmt(LOAD_TARGET_MS)} ms (issue 4)`));
  console.log(row('pictures in view loaded', perRun(runs, (r) => r.marks.pictures), '', ''));
  console.log(row('main-thread script until usable (ms)', perRun(runs, (r) => (r.metricsAtUsable.ScriptDuration ?? NaN) * 1000), '', ''));
  console.log(row('main-thread layout + style until usable (ms)', perRun(runs, (r) => ((r.metricsAtUsable.LayoutDuration ?? NaN) + (r.metricsAtUsable.RecalcStyleDuration ?? NaN)) * 1000), '', ''));
  console.log(row('long tasks until usable + 1 s (count / total ms)', runs.map((r) => `${r.loadLongTasks.length}/${fmt(longTaskTotal(r.loadLongTasks))}`).join(' · '), '', ''));
  console.log(row('longest task during load (ms)', perRun(runs, (r) => (r.loadLongTasks.length ? Math.max(...r.loadLongTasks.map(([, d]) => d)) : 0)), '', ''));
  console.log(row('JS heap used at usable (MB)', perRun(runs, (r) => mb(r.heapAtUsable), 1), '', ''));
  console.log(row('JS heap used settled / after GC (MB)', runs.map((r) => `${fmt(mb(r.heapSettled), 1)}/${fmt(mb(r.heapAfterGc), 1)}`).join(' · '), '', ''));
  console.log(row('card DOM nodes at usable / settled', runs.map((r) => `${fmt(r.domAtUsable?.cards)}/${fmt(r.domSettled.cards)}`).join(' · '), `of ${fmt(setup.cards)} cards (lanes windowed)`, ''));
  console.log(row('DOM elements settled', perRun(runs, (r) => r.domSettled.elements), '', ''));
  console.log(row('molecule JSON (MB on the wire / decoded)', runs.map((r) => `${fmt(mb(r.moleculesFetch?.bytes), 1)}/${fmt(mb(r.moleculesFetch?.decoded), 1)}`).join(' · '), `${fmt(mb(refs[0]?.rest.bytes), 1)} MB in Node`, ''));
  console.log(row('Yjs sync received on the WebSocket (MB)', perRun(runs, (r) => mb(r.collabWs?.bytes), 2), `${fmt(mb(refs[0]?.sync.docBytes), 2)} MB doc state`, ''));
  console.log('');
  console.log(row(`idle frame interval p50/p95/max (ms)`, runs.map((r) => `${fmt(r.idle.p50, 1)}/${fmt(r.idle.p95, 1)}/${fmt(r.idle.max)}`).join(' · '), '16.7 at 60 Hz', ''));
  console.log(
    row(`drag: ${DRAG_MOVES} moves took (ms)`, perRun(runs, (r) => r.drag.movesMs), `${fmt(DRAG_MS)} planned`, 'responsive while dragging (issue 4)')
  );
  console.log(row('drag: frame interval p50/p95/max (ms)', runs.map((r) => `${fmt(r.drag.frames.p50, 1)}/${fmt(r.drag.frames.p95, 1)}/${fmt(r.drag.frames.max)}`).join(' · '), 'idle frames above', 'our reading: no frame > 50 ms'));
  console.log(row('drag: frames > 50 ms (of frames)', runs.map((r) => `${r.drag.frames.over50}/${r.drag.frames.frames}`).join(' · '), '', '0'));
  console.log(row('drag: long tasks (count / total ms)', runs.map((r) => `${r.drag.longTasks.length}/${fmt(longTaskTotal(r.drag.longTasks))}`).join(' · '), '', '0'));
  console.log(row('drag: pointermove → next frame p95/max (ms)', runs.map((r) => `${fmt(r.drag.moveToFrame.p95, 1)}/${fmt(r.drag.moveToFrame.max)}`).join(' · '), '', ''));
  console.log(row('drop: mouse-up → card painted in target lane', perRun(runs, (r) => r.drag.upToPainted, 1), '', 'our reading: ≤ 100 ms (RAIL)'));
  console.log(row('drop: mouse-up → card in the DOM', perRun(runs, (r) => r.drag.upToDom, 1), '', ''));
  console.log(row('drop: pointerup Event Timing duration (ms)', perRun(runs, (r) => r.drag.pointerupEvent ?? (r.drag.ok ? 0 : NaN)), '', ''));
  console.log(
    row(
      `scroll lane 1 top→bottom, ${SCROLL_STEPS} steps: p50/p95/max (ms)`,
      runs.map((r) => (r.scroll ? `${fmt(r.scroll.frames.p50, 1)}/${fmt(r.scroll.frames.p95, 1)}/${fmt(r.scroll.frames.max)}` : '—')).join(' · '),
      'idle frames above',
      ''
    )
  );
  console.log(row('scroll: frames > 50 ms, long tasks total ms', runs.map((r) => (r.scroll ? `${r.scroll.frames.over50}, ${fmt(longTaskTotal(r.scroll.longTasks))}` : '—')).join(' · '), '', ''));
  console.log('');
  const failedDrags = runs.map((r, i) => (r.drag.ok ? null : `run ${i + 1}`)).filter(Boolean);
  if (failedDrags.length) console.log(`  the dragged card did NOT appear in the target lane within 10 s in ${failedDrags.join(', ')}`);
  const scrolls = runs.map((r) => r.scroll).filter((s) => s !== null);
  if (scrolls.length) {
    console.log(
      `  scroll: ${fmt(scrolls[0]!.px)} px per lane; last card shown at the bottom: ${scrolls.map((s) => (s!.lastShown ? 'yes' : 'NO')).join(' · ')}; ` +
        `card nodes in the lane at the bottom: ${scrolls.map((s) => s!.cardsInDom).join(' · ')}`
    );
  }
  console.log(
    `  reference per run (ms): GET alone ${refs.map((r) => fmt(r.rest.ms)).join(' · ')}; sync alone ${refs.map((r) => fmt(r.sync.ms)).join(' · ')}; ` +
      `both at once ${refs.map((r) => `${fmt(r.both.ms)} (GET ${fmt(r.both.restMs)}, sync ${fmt(r.both.syncMs)})`).join(' · ')}; ` +
      `${fmt(refs[0]?.rest.rows)} rows, ${fmt(refs[0]?.sync.cards)} cards`
  );
  runs.forEach((r, i) => {
    if (!r.profile) return;
    console.log(`\n  CPU profile of load ${i + 1} (${fmt(r.profile.ms)} ms recorded; .data/bench-board/load-run${i + 1}.cpuprofile), self time (ms):`);
    for (const [k, ms] of r.profile.self) console.log(`    ${fmt(ms, 1).padStart(8)}  ${k}`);
    console.log('  inclusive time (ms):');
    for (const [k, ms] of r.profile.total) console.log(`    ${fmt(ms, 1).padStart(8)}  ${k}`);
  });
  const pm = runs.map((r) => r.heapPerfMemory).filter((x): x is number => x !== null);
  if (pm.length) {
    console.log(
      `  performance.memory.usedJSHeapSize at usable: ${pm.map((x) => fmt(mb(x), 1)).join(' · ')} MB (bucketized and refreshed at most every 20 min without ` +
        `--enable-precise-memory-info, so the heap rows above come from the DevTools protocol instead)`
    );
  }
  console.log(
    '\n  usable = the first lane\'s first card rendered with its registry number (needs the synced document and the molecule data);' +
      '\n  page times are performance.now() in the page, read in requestAnimationFrame and a 10 ms timer; heap = Runtime.getHeapUsage one' +
      '\n  round trip after usable; main-thread script/layout = Performance.getMetrics at usable; frames = requestAnimationFrame intervals;' +
      '\n  long tasks = PerformanceObserver("longtask") (> 50 ms); painted = a task after the frame that had the card. The issue gives' +
      '\n  no number for "responsive": the 50 ms / 100 ms lines are our reading (long-task threshold, RAIL response budget).' +
      '\n  "tables analysed since the import": whether autovacuum had refreshed the planner statistics of molecules,' +
      '\n  library_molecules, molecule_identifiers and molecule_properties when the run began (run 1 starts seconds after the import).\n'
  );
}

/** A package's version, for the banner. */
function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

// ---------------------------------------------------------------- main

async function main() {
  const load = os.loadavg();
  const t0 = performance.now();
  log(`board of ${fmt(CARDS)} cards, ${RUNS} run${RUNS > 1 ? 's' : ''}; load average ${load.map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} cores)`);
  if (load[0] > os.cpus().length / 2) log(`note: the machine is busy (1-min load ${load[0].toFixed(2)}): figures will be slower than on a quiet machine`);

  // A data dir of its own: servers under .data/ may belong to someone's `npm start`, which can stop them mid-run.
  services = await ensureServices({ dataDir: path.join(root, '.data', 'bench-board'), database: 'crosslink_board_bench', log: (s) => log(s) });
  await runMigrations(services.databaseUrl);
  log('migrations applied');
  await buildWebIfStale(log, { quiet: true });

  const port = await freePort();
  const collabPort = await freePort();
  const collabInternalPort = await freePort();
  redisPrefix = `crosslink-bench-board-${Date.now().toString(36)}`;
  let unexpected: string | null = null;
  stack = startStack({
    port,
    collabPort,
    collabInternalPort,
    env: { DATABASE_URL: services.databaseUrl, REDIS_URL: services.redisUrl, REDIS_PREFIX: redisPrefix, LOG_LEVEL: 'warn' },
    log,
    onUnexpectedExit: (name, code, signal) => {
      unexpected = `${name} exited unexpectedly (${signal ?? `code ${code}`})`;
      console.error(`[bench] ${unexpected}: stopping`);
      void cleanup().finally(() => process.exit(1));
    }
  });
  await stack.ready();
  log(`stack up: web ${stack.url}, collab ${stack.collabUrl}`);
  const apiBase = `http://127.0.0.1:${port}`;
  const collabWs = `ws://127.0.0.1:${collabPort}`;

  log(`setting up the board through the API…`);
  const setup = await setUpBoard(apiBase);
  log(`setup took ${fmt(setup.totalMs / 1000, 1)} s: ${setup.timings.map(([w, ms]) => `${w} ${fmt(ms / 1000, 1)} s`).join('; ')}`);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
  const chromiumVersion = browser.version();
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addInitScript({ content: probeScript(setup.cards) });

  // Sign in through the page, as a person would.
  const login = await context.newPage();
  await login.goto(`${stack.url}/login`);
  await login.getByLabel('Email').fill(setup.email);
  await login.getByLabel('Password').fill(PASSWORD);
  await login.getByRole('button', { name: 'Sign in' }).click();
  await login.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 30_000 }).catch(() => fail(`signing in through /login did not leave the login page (${login.url()})`));
  await login.close();
  log(`signed in as ${setup.email} in Chromium ${chromiumVersion}`);

  const boardUrl = `${stack.url}/libraries/${setup.libraryId}`;
  const runs: Run[] = [];
  const refs: Reference[] = [];
  for (let i = 1; i <= RUNS; i++) {
    log(`run ${i}/${RUNS}: opening the board in the browser…`);
    const analysed = await analysedSinceImport(services.databaseUrl, setup.importFinishedAt);
    const r = { ...(await measureRun(context, boardUrl, collabPort, i)), analysed };
    runs.push(r);
    log(
      `  page: synced with all cards ${fmt(r.marks.cards)} ms, molecules ${fmt(r.marks.molecules)} ms, usable ${fmt(r.marks.usable)} ms; ` +
        `drag frames p95 ${fmt(r.drag.frames.p95, 1)} ms, drop→painted ${fmt(r.drag.upToPainted, 1)} ms`
    );
    await sleep(1000); // the tab's connection closes and the document is stored before the reference
    const ref = await reference(apiBase, collabWs, setup);
    refs.push(ref);
    log(`  reference: GET ${fmt(ref.rest.ms)} ms, sync ${fmt(ref.sync.ms)} ms, both at once ${fmt(ref.both.ms)} ms`);
    await sleep(500);
  }
  await writeFile(path.join(root, '.data', 'bench-board', 'last-run.json'), JSON.stringify({ setup: { ...setup, token: undefined }, runs, refs }, null, 2));
  if (unexpected) fail(unexpected);
  printReport({ setup, runs, refs, chromiumVersion, load, totalMs: performance.now() - t0 });
}

main().then(
  () => cleanup().then(() => process.exit(0)),
  (err: unknown) => {
    console.error(`\n[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    void cleanup().finally(() => process.exit(1));
  }
);
