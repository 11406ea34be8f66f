/**
 * A worker-thread pool for bulk chemistry, so one process uses every core:
 * RDKit.js is single-threaded WebAssembly and registration costs ~1 ms per
 * molecule. Each thread loads RDKit once (~0.3 s) and keeps it.
 *
 *   const pool = createChemPool();                 // threads = os.availableParallelism()
 *   const results = await pool.register(rows);     // same order as rows
 *   const described = await pool.describe(parents);
 *   await pool.destroy();                          // on shutdown: live threads keep the process alive
 *
 * A call's batch is split across the threads, so even one call at a time
 * keeps all cores busy; concurrent calls queue behind each other. Results
 * are plain data; fingerprints are `Uint8Array` views into one buffer per
 * thread-chunk that was transferred, not copied.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { AppError } from '../common/errors';
import {
  FINGERPRINT_BYTES,
  type ChemFailure,
  type DescriptorResult,
  type RegisteredStructure,
  type StructureFormat,
  type StructureResult
} from './standardize';

export interface RegisterRow {
  /** The caller's row number, echoed back. */
  row: number;
  input: string;
  format: StructureFormat;
}
export type RegisterRowResult = { row: number } & StructureResult;

export interface DescribeRow {
  id: string;
  /** Canonical SMILES of a registered parent. */
  smiles: string;
}
export type DescribeRowResult = { id: string } & DescriptorResult;

export interface ThreadMemory {
  threadId: number;
  /** The thread's RDKit linear memory: grows on demand, never shrinks; flat over time = no leak. */
  wasmHeapBytes: number;
  /** Process-wide resident set (all threads). */
  rssBytes: number;
  jsHeapUsedBytes: number;
}

export interface ChemPoolOptions {
  /** Worker threads; default `os.availableParallelism()`. */
  threads?: number;
  /** Smallest piece a batch is split into across threads; default 64. */
  minChunk?: number;
}

export interface ChemPool {
  readonly threads: number;
  /** Resolves when every thread has loaded RDKit (optional: the first batch waits anyway). */
  ready(): Promise<void>;
  register(batch: RegisterRow[]): Promise<RegisterRowResult[]>;
  describe(batch: DescribeRow[]): Promise<DescribeRowResult[]>;
  /** Memory of whichever thread runs the probe; with `threads: 1`, that thread. */
  memory(): Promise<ThreadMemory>;
  destroy(): Promise<void>;
}

/** What a thread returns for register: fingerprints travel separately, packed. */
export type PackedRegisterResult = { row: number } & (Omit<RegisteredStructure, 'morganFp' | 'patternFp'> | ChemFailure);
export interface PackedRegisterBatch {
  results: PackedRegisterResult[];
  /** Row i's Morgan fingerprint at i × 512, its pattern fingerprint at i × 512 + 256. */
  fingerprints: ArrayBuffer;
}

export function createChemPool(options: ChemPoolOptions = {}): ChemPool {
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  const minChunk = Math.max(1, options.minChunk ?? 64);
  const piscina = new Piscina({
    filename: new URL('./pool-worker-entry.mjs', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    // Threads hold a loaded RDKit; never let them idle out and reload.
    idleTimeout: 2 ** 31 - 1,
    concurrentTasksPerWorker: 1,
    // Tasks start in the order they were submitted. Piscina's default moves a
    // task it cannot place yet (every thread busy) to the back of its queue, so
    // with several batches queued the oldest could finish last and the
    // importer, which commits in row order, would wait while the threads run
    // out of work.
    stricterFIFO: true,
    // The entry registers tsx itself; an inherited `--import tsx` would register it twice.
    // A profiled process (node --cpu-prof, bench/ingest/run.ts --profile) profiles its threads too.
    execArgv: process.execArgv.filter((a) => a.startsWith('--cpu-prof'))
  });
  let destroyed = false;

  async function run<T>(name: 'register' | 'describe' | 'memory', task: unknown): Promise<T> {
    if (destroyed) throw new AppError('INTERNAL_ERROR', 'the chemistry pool has been destroyed');
    try {
      return (await piscina.run(task, { name })) as T;
    } catch (err) {
      throw new AppError('INTERNAL_ERROR', `chemistry worker failed (${name}): ${(err as Error)?.message ?? err}`);
    }
  }

  /** Split so every thread gets a share, run, and put the pieces back in order. */
  async function fanOut<Row, Out>(batch: Row[], runChunk: (chunk: Row[]) => Promise<Out[]>): Promise<Out[]> {
    if (batch.length === 0) return [];
    const size = Math.max(minChunk, Math.ceil(batch.length / threads));
    const chunks: Row[][] = [];
    for (let i = 0; i < batch.length; i += size) chunks.push(batch.slice(i, i + size));
    return (await Promise.all(chunks.map(runChunk))).flat();
  }

  return {
    threads,
    async ready() {
      await Promise.all(Array.from({ length: threads }, () => run('memory', null)));
    },
    register: (batch) =>
      fanOut(batch, async (chunk) => {
        const packed = await run<PackedRegisterBatch>('register', chunk);
        const fps = new Uint8Array(packed.fingerprints);
        return packed.results.map((r, i): RegisterRowResult => {
          if (!r.ok) return r;
          const at = i * 2 * FINGERPRINT_BYTES;
          return {
            ...r,
            morganFp: fps.subarray(at, at + FINGERPRINT_BYTES),
            patternFp: fps.subarray(at + FINGERPRINT_BYTES, at + 2 * FINGERPRINT_BYTES)
          };
        });
      }),
    describe: (batch) => fanOut(batch, (chunk) => run<DescribeRowResult[]>('describe', chunk)),
    memory: () => run<ThreadMemory>('memory', null),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await piscina.destroy();
    }
  };
}
