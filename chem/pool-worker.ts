/**
 * The chemistry pool's thread side (loaded by pool-worker-entry.mjs). Each
 * thread owns one RDKit instance; tasks are whole batches so the per-message
 * cost is paid once per ~1,000 molecules.
 */
import { threadId } from 'node:worker_threads';
import { getRDKit, wasmHeapBytes } from './rdkit';
import { computeDescriptors, FINGERPRINT_BYTES, registerStructure } from './standardize';
import type { DescribeRow, DescribeRowResult, PackedRegisterBatch, PackedRegisterResult, RegisterRow, ThreadMemory } from './pool';

/** What a task hands back, with the buffers the entry should transfer instead of copying. */
export interface TaskOutput<T> {
  value: T;
  transfer: ArrayBuffer[];
}

// Start loading as soon as the thread starts, so the first batch does not pay for it.
const ready = getRDKit();

export async function register(rows: RegisterRow[]): Promise<TaskOutput<PackedRegisterBatch>> {
  await ready;
  // Both fingerprints of row i at i * 512: one buffer per batch crosses the
  // thread boundary by transfer, not 2 × rows small copies.
  const fingerprints = new Uint8Array(rows.length * 2 * FINGERPRINT_BYTES);
  const results: PackedRegisterResult[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const { row, input, format } = rows[i];
    // Per row, not per batch: after a WebAssembly trap the instance is replaced.
    const rdkit = await getRDKit();
    const result = registerStructure(input, format, rdkit);
    if (result.ok) {
      const { morganFp, patternFp, ...identity } = result;
      fingerprints.set(morganFp, i * 2 * FINGERPRINT_BYTES);
      fingerprints.set(patternFp, (i * 2 + 1) * FINGERPRINT_BYTES);
      results[i] = { row, ...identity };
    } else {
      results[i] = { row, ...result };
    }
  }
  return { value: { results, fingerprints: fingerprints.buffer }, transfer: [fingerprints.buffer] };
}

export async function describe(rows: DescribeRow[]): Promise<TaskOutput<DescribeRowResult[]>> {
  await ready;
  const results: DescribeRowResult[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const rdkit = await getRDKit();
    results[i] = { id: rows[i].id, ...computeDescriptors(rows[i].smiles, rdkit) };
  }
  return { value: results, transfer: [] };
}

export async function memory(): Promise<TaskOutput<ThreadMemory>> {
  await ready;
  const usage = process.memoryUsage();
  return {
    value: { threadId, wasmHeapBytes: wasmHeapBytes(), rssBytes: usage.rss, jsHeapUsedBytes: usage.heapUsed },
    transfer: []
  };
}
