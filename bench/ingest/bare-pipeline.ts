/**
 * The compute limit of an ingest: only the RDKit work (register every row,
 * then describe every distinct new parent) through the same chemistry pool
 * the workers use, with no parsing, database or queue. The ingest benchmark
 * compares its end-to-end rate against this.
 *
 *   node --import tsx bench/ingest/bare-pipeline.ts [--rows 100000 | --csv file.csv] [--threads N]
 *        [--batch 1000] [--compare] [--profile] [--memory-check 50000]
 *
 * --compare       also run with one thread and print the speed-up
 * --profile       microseconds per molecule for each RDKit step (one thread, in-process)
 * --memory-check  push N molecules through one pool thread; fail if its wasm heap grows
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createChemPool, type ChemPool, type RegisterRowResult } from '../../chem/pool';
import { profileSteps } from '../../chem/profile';
import { generateMolecules } from './generate';

export interface BarePipelineOptions {
  threads?: number;
  /** Rows per `pool.register` call (the ingest's chunk size). Default 1000. */
  batchSize?: number;
  /** Reuse a pool (its thread count wins); otherwise one is created and destroyed. */
  pool?: ChemPool;
}

export interface BarePipelineResult {
  rows: number;
  threads: number;
  registered: number;
  invalid: number;
  /** Distinct parents (by InChIKey): what the descriptor pass computes. */
  distinctParents: number;
  registerMs: number;
  describeMs: number;
  /** register + describe wall time (pool start-up and warm-up excluded). */
  ms: number;
  /** Rows through registration per second. */
  registerPerSec: number;
  /** Rows fully processed (registered and described) per second. */
  completePerSec: number;
}

/** Batches in flight: one can be split across threads while the next is queued behind it. */
const IN_FLIGHT = 2;

async function inBatches<T, R>(items: T[], size: number, run: (batch: T[]) => Promise<R[]>): Promise<R[]> {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  const results: R[][] = new Array(batches.length);
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      const i = next++;
      results[i] = await run(batches[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, batches.length) }, lane));
  return results.flat();
}

export async function runBarePipeline(rows: string[], options: BarePipelineOptions = {}): Promise<BarePipelineResult> {
  const batchSize = options.batchSize ?? 1000;
  const pool = options.pool ?? createChemPool({ threads: options.threads });
  try {
    await pool.ready();
    // V8 compiles the wasm lazily and tiers hot functions up; keep that out of the figures.
    await pool.register(rows.slice(0, 100 * pool.threads).map((input, row) => ({ row, input, format: 'smiles' as const })));

    const started = performance.now();
    const registered = await inBatches(
      rows.map((input, row) => ({ row, input, format: 'smiles' as const })),
      batchSize,
      (batch) => pool.register(batch)
    );
    const registerMs = performance.now() - started;

    const parents = new Map<string, string>();
    for (const r of registered) if (r.ok && !parents.has(r.inchikey)) parents.set(r.inchikey, r.canonicalSmiles);
    const describeStarted = performance.now();
    await inBatches([...parents].map(([id, smiles]) => ({ id, smiles })), batchSize, (batch) => pool.describe(batch));
    const describeMs = performance.now() - describeStarted;

    const ms = registerMs + describeMs;
    const ok = registered.filter((r: RegisterRowResult) => r.ok).length;
    return {
      rows: rows.length,
      threads: pool.threads,
      registered: ok,
      invalid: rows.length - ok,
      distinctParents: parents.size,
      registerMs,
      describeMs,
      ms,
      registerPerSec: (rows.length / registerMs) * 1000,
      completePerSec: (rows.length / ms) * 1000
    };
  } finally {
    if (!options.pool) await pool.destroy();
  }
}

export interface MemoryCheckResult {
  molecules: number;
  wasmHeapBefore: number;
  wasmHeapAfter: number;
  rssBefore: number;
  rssAfter: number;
  ok: boolean;
}

/** Push `rows` through one pool thread (register + describe); its wasm heap must not grow after warm-up. */
export async function runMemoryCheck(rows: string[], { batchSize = 1000, toleranceBytes = 4 * 2 ** 20 } = {}): Promise<MemoryCheckResult> {
  const pool = createChemPool({ threads: 1 });
  try {
    const toRows = (smiles: string[], from: number) => smiles.map((input, i) => ({ row: from + i, input, format: 'smiles' as const }));
    const warm = Math.min(2000, Math.floor(rows.length / 10));
    await pool.register(toRows(rows.slice(0, warm), 0));
    const before = await pool.memory();
    for (let i = warm; i < rows.length; i += batchSize) {
      const batch = await pool.register(toRows(rows.slice(i, i + batchSize), i));
      await pool.describe(batch.flatMap((r) => (r.ok ? [{ id: String(r.row), smiles: r.canonicalSmiles }] : [])));
    }
    const after = await pool.memory();
    return {
      molecules: rows.length - warm,
      wasmHeapBefore: before.wasmHeapBytes,
      wasmHeapAfter: after.wasmHeapBytes,
      rssBefore: before.rssBytes,
      rssAfter: after.rssBytes,
      ok: after.wasmHeapBytes - before.wasmHeapBytes <= toleranceBytes
    };
  } finally {
    await pool.destroy();
  }
}

async function loadRows(csv: string | undefined, count: number): Promise<string[]> {
  if (!csv) return (await generateMolecules(count)).map((m) => m.smiles);
  const lines = (await readFile(csv, 'utf8')).split(/\r?\n/).slice(1).filter((l) => l.length > 0);
  // The first column is SMILES; generated files never quote it, but allow it.
  return lines.slice(0, count).map((line) => {
    if (line.startsWith('"')) return line.slice(1, line.indexOf('"', 1));
    const comma = line.indexOf(',');
    return comma < 0 ? line : line.slice(0, comma);
  });
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mib = (bytes: number) => `${fmt(bytes / 2 ** 20, 1)} MiB`;

function printRun(label: string, r: BarePipelineResult) {
  const perMol = (ms: number, n: number) => fmt((ms * 1000) / Math.max(1, n));
  console.log(
    `${label}: ${fmt(r.rows)} rows on ${r.threads} thread(s) — register ${fmt(r.registerMs / 1000, 1)} s ` +
      `(${fmt(r.registerPerSec)}/s, ${perMol(r.registerMs * r.threads, r.rows)} µs·thread/row), ` +
      `describe ${fmt(r.describeMs / 1000, 1)} s for ${fmt(r.distinctParents)} parents ` +
      `(${perMol(r.describeMs * r.threads, r.distinctParents)} µs·thread/parent), ` +
      `complete ${fmt(r.completePerSec)} rows/s; ${fmt(r.invalid)} invalid`
  );
}

async function main() {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '100000' },
      csv: { type: 'string' },
      threads: { type: 'string' },
      batch: { type: 'string', default: '1000' },
      compare: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'memory-check': { type: 'string' }
    }
  });
  const threads = Number(values.threads ?? availableParallelism());
  const batchSize = Number(values.batch);

  if (values['memory-check']) {
    const n = Number(values['memory-check']);
    const rows = await loadRows(values.csv, n);
    const started = performance.now();
    const m = await runMemoryCheck(rows, { batchSize });
    console.log(
      `memory check: ${fmt(m.molecules)} molecules through one thread in ${fmt((performance.now() - started) / 1000, 1)} s — ` +
        `wasm heap ${mib(m.wasmHeapBefore)} → ${mib(m.wasmHeapAfter)}, process RSS ${mib(m.rssBefore)} → ${mib(m.rssAfter)}: ` +
        (m.ok ? 'flat, no leak' : 'GREW — something is not deleted')
    );
    if (!m.ok) process.exitCode = 1;
    return;
  }

  const rows = await loadRows(values.csv, Number(values.rows));
  if (values.profile) {
    const p = await profileSteps(rows.slice(0, 2000));
    console.log(`per-step cost, one thread, ${p.molecules} molecules (µs/molecule):`);
    for (const [step, us] of Object.entries(p.microseconds)) console.log(`  ${step.padEnd(20)} ${fmt(us).padStart(7)}`);
  }
  if (values.compare && threads > 1) printRun('single thread', await runBarePipeline(rows, { threads: 1, batchSize }));
  printRun('pool', await runBarePipeline(rows, { threads, batchSize }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
