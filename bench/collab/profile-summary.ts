/**
 * Summarise a V8 CPU profile (`.cpuprofile`, written by `run.ts --profile`
 * into .data/bench-collab-profiles/): self time by package / source folder
 * and the hottest functions, plus the inclusive time under a few entry points.
 *
 *   node --import tsx bench/collab/profile-summary.ts <file.cpuprofile> [top=25] [fromUs toUs]
 *
 * `fromUs toUs` (CLOCK_MONOTONIC µs, printed by `run.ts --profile`) keep only
 * the samples of the measurement window: V8 stamps samples on the same clock.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) {
  console.error('usage: profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 25);
const fromUs = Number(process.argv[4] ?? -Infinity);
const toUs = Number(process.argv[5] ?? Infinity);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;

// Keep the samples inside the window (timestamps = startTime + running sum of deltas).
{
  let t = p.startTime;
  const samples: number[] = [];
  const deltas: number[] = [];
  p.samples.forEach((id, i) => {
    t += p.timeDeltas[i] ?? 0;
    if (t >= fromUs && t <= toUs) {
      samples.push(id);
      deltas.push(p.timeDeltas[i] ?? 0);
    }
  });
  p.samples = samples;
  p.timeDeltas = deltas;
}

const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from samples × time deltas (µs).
const self = new Map<number, number>();
p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

function bucket(url: string, fn: string): string {
  if (!url) return fn === '(garbage collector)' ? '(gc)' : fn === '(idle)' ? '(idle)' : fn === '(program)' ? '(program)' : '(native/other)';
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return url.split('/')[0].replace(/^node:/, 'node:');
  const m = url.match(/\/work\/main\/([^/]+\/[^/]+)/);
  return m ? m[1] : url;
}

const buckets = new Map<string, number>();
const fns = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const b = bucket(n.callFrame.url, n.callFrame.functionName);
  buckets.set(b, (buckets.get(b) ?? 0) + us);
  const short = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/\/work\/main\//, '');
  const key = `${n.callFrame.functionName || '(anonymous)'}  ${short}:${n.callFrame.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
}

const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
const busy = total - (buckets.get('(idle)') ?? 0);
console.log(`profile: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle (${((busy / total) * 100).toFixed(0)} %)`);
console.log('\nself time by package / folder:');
for (const [b, us] of [...buckets].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${b}`);
console.log('\nhottest functions (self):');
for (const [f, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${f}`);

// Whole stacks by cause: a sample counts for the first cause (in this order) any of its frames belongs to.
const causes: Array<[string, (url: string, fn: string) => boolean]> = [
  ['store: projection + history + audit (kinds/library, services/history.ts, audit.ts)', (u) => /collab-server\/kinds\/library\/|collab-server\/services\/|db\/audit\.ts|common\/board\.ts/.test(u)],
  ['store: persistence + Postgres client (server.ts persist, drizzle, pg)', (u, f) => /drizzle-orm|node_modules\/pg|pg-protocol|pg-pool|pg-types|extension-database/.test(u) || f === 'persist' || f === 'persistWithRetry'],
  ['Redis sync (extension-redis, ioredis)', (u) => /extension-redis|ioredis|redis-parser|denque/.test(u)],
  ['message guard (isCorruptSyncMessage)', (_u, f) => f === 'isCorruptSyncMessage'],
  ['auth (authenticateToken, libraryAccess)', (_u, f) => f === 'authenticateToken' || f === 'libraryAccess'],
  ['Hocuspocus + Yjs + ws (sync, broadcast)', (u) => /@hocuspocus\/server|node_modules\/yjs|node_modules\/lib0|node_modules\/ws\//.test(u)]
];
const byCause = new Map<string, number>();
const causeOf: string[] = [];
p.samples.forEach((id, i) => {
  const frames: Array<{ url: string; fn: string }> = [];
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur)!.callFrame;
    frames.push({ url: f.url, fn: f.functionName });
  }
  const leaf = frames[0].fn;
  let cause = leaf === '(idle)' ? '(idle)' : leaf === '(garbage collector)' ? '(gc)' : 'other';
  if (cause === 'other') {
    for (const [name, test] of causes) {
      if (frames.some((f) => test(f.url, f.fn))) {
        cause = name;
        break;
      }
    }
  }
  byCause.set(cause, (byCause.get(cause) ?? 0) + (p.timeDeltas[i] ?? 0));
  causeOf[i] = cause;
});
console.log('\nwhole stacks by cause (native leaves such as writev count for their JS caller):');
for (const [c, us] of [...byCause].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(us)}  ${(us / 1e6).toFixed(2).padStart(6)} s  ${c}`);

// Longest stretches without an idle sample: while one runs, an arriving update waits (event-loop blocking).
{
  const stretches: Array<{ start: number; us: number; causes: Map<string, number> }> = [];
  let cur: { start: number; us: number; causes: Map<string, number> } | null = null;
  let t = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    const leaf = byId.get(id)!.callFrame.functionName;
    if (leaf === '(idle)') {
      if (cur) stretches.push(cur);
      cur = null;
      return;
    }
    cur ??= { start: t, us: 0, causes: new Map() };
    cur.us += dt;
    const c = causeOf[i];
    cur.causes.set(c, (cur.causes.get(c) ?? 0) + dt);
  });
  if (cur) stretches.push(cur);
  stretches.sort((a, b) => b.us - a.us);
  const lengths = stretches.map((x) => x.us / 1000).sort((a, b) => a - b);
  const q = (f: number) => (lengths.length ? lengths[Math.min(lengths.length - 1, Math.floor(f * lengths.length))].toFixed(1) : '—');
  console.log(`\nbusy stretches (no idle sample in between): ${lengths.length}, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms; longest:`);
  for (const x of stretches.slice(0, 8)) {
    const parts = [...x.causes].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([c, us]) => `${Math.round((us / x.us) * 100)} % ${c.split(' (')[0]}`);
    console.log(`  ${(x.us / 1000).toFixed(1).padStart(7)} ms at +${(x.start / 1e6).toFixed(2)} s: ${parts.join(', ')}`);
  }
}

// Inclusive time under frames whose function name matches, counted once per sample.
const entries = ['persist', 'projectLibraryBoard', 'writeHistory', 'writeProjection', 'recordAudit', 'isCorruptSyncMessage', 'handleIncomingMessage', 'publishFirstSyncStep', 'authenticateToken', 'handleUpdate', 'onStoreDocument', 'encodeStateAsUpdate', 'readBoard'];
const inclusive = new Map<string, number>();
p.samples.forEach((id, i) => {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const name = byId.get(cur)!.callFrame.functionName;
    if (entries.includes(name) && !seen.has(name)) {
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + (p.timeDeltas[i] ?? 0));
    }
  }
});
console.log('\ninclusive time under (synchronous part; async continuations count where they resume):');
for (const name of entries) if (inclusive.get(name)) console.log(`  ${pct(inclusive.get(name)!)}  ${name}`);
