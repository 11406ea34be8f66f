/**
 * Where a file becomes molecules. Rows stream from the stored upload
 * (readers.ts), are mapped to a structure, name, identifiers and property
 * values, computed by the chemistry thread pool (chem/pool.ts) a batch at a
 * time, and committed in order, one transaction per chunk (db/access/ingest.ts).
 * Several batches are in the pool while one is being written, so the cores
 * stay busy and the database write overlaps the chemistry.
 *
 * Then a second pass computes descriptors for the molecules this import
 * created. Progress goes to the import's owner after every chunk.
 */
import { rm } from 'node:fs/promises';
import { eq } from 'drizzle-orm';
import { AppError } from '../../common/errors';
import { importMappingSchema, type ImportMapping } from '../../common/import-mapping';
import type { Db } from '../../db/client';
import { recordAudit } from '../../db/audit';
import { commitImportChunk, holdImport, pendingDescriptors, saveDescriptors, type InvalidChunkRow, type ValidChunkRow } from '../../db/access/ingest';
import type { ImportRow } from '../../db/access/imports';
import { imports } from '../../db/schema';
import type { ChemPool, DescribeRowResult } from '../../chem/pool';
import { Postpone, type ProcessorContext, type ProcessorJob, type Logger } from '../processor';
import { countRows, openReader, type ReadRow } from '../../ingest/readers';
import { addImportToLibrary } from './library';
import { parsePropertyValue, type ParseValueOptions } from '../../ingest/values';
import { ingestJobId, queueContract } from '../../common/queues';
import { DEFAULT_EXPANSION_LIMITS, type ExpansionLimits } from '../../ingest/source';

export interface IngestOptions {
  /** Rows computed and committed together. */
  chunkRows: number;
  /** Chunks (pass 1) and descriptor batches (pass 2) in the chemistry pool at once, beyond the one being written. */
  inFlight: number;
  /** Molecules per descriptor batch in the second pass. */
  describeBatch: number;
}

export const defaultIngestOptions = (threads: number): IngestOptions => ({
  chunkRows: 1000,
  inFlight: Math.max(2, threads + 1),
  describeBatch: 1000
});

/**
 * Molecules pass 1 hands to pass 2 in memory (~200 bytes each); past this,
 * pass 2 reads the rest from the database.
 */
const MAX_REMEMBERED = 250_000;

/** The importer strips the apostrophe our CSV export puts before formula-like text. */
const unneutralise = (v: string) => (/^'[=+\-@\t\r]/.test(v) ? v.slice(1) : v);

interface MappedRow {
  rowNumber: number;
  raw: string;
  rawTruncated: boolean;
  input: string;
  name: string | null;
  identifiers: ValidChunkRow['identifiers'];
  properties: ValidChunkRow['properties'];
}

export function mapRow(
  row: Extract<ReadRow, { fields: Record<string, string> }>,
  mapping: ImportMapping,
  valueOptions: ParseValueOptions = {}
): MappedRow | InvalidChunkRow {
  const field = (column: string) => unneutralise((row.fields[column] ?? '').trim());
  const input = mapping.structure.type === 'molblock' ? (row.fields[mapping.structure.column] ?? '') : field(mapping.structure.column);
  if (!input.trim()) {
    return { rowNumber: row.rowNumber, raw: row.raw, rawTruncated: row.rawTruncated, code: 'STRUCTURE_EMPTY', reason: `No structure in column "${mapping.structure.column}"` };
  }
  const identifiers: MappedRow['identifiers'] = [];
  for (const id of mapping.identifiers) {
    const value = field(id.column);
    if (value) identifiers.push({ label: id.label, value });
  }
  const properties: MappedRow['properties'] = [];
  for (const p of mapping.properties) {
    const text = field(p.column);
    if (!text) continue;
    const parsed = parsePropertyValue(text, valueOptions);
    if (parsed === null) continue; // NaN, N/A, #DIV/0!: no value for this row
    // Keep the text as written when the number alone would lose something
    // (a qualifier such as "<10", "1,5", "inactive"); plain numbers store only num.
    const plain = parsed.num !== null && parsed.qualifier === null && parsed.text === String(parsed.num);
    properties.push({ name: p.name, num: parsed.num, text: plain ? null : parsed.text, unit: p.unit || parsed.unit || null });
  }
  return {
    rowNumber: row.rowNumber,
    raw: row.raw,
    rawTruncated: row.rawTruncated,
    input,
    name: mapping.name ? field(mapping.name.column) || null : null,
    identifiers,
    properties
  };
}

type Chunk = { firstRow: number; lastRow: number; valid: ValidChunkRow[]; invalid: InvalidChunkRow[] };

async function computeChunk(pool: ChemPool, rows: Array<MappedRow | InvalidChunkRow>, format: 'smiles' | 'molblock'): Promise<Chunk> {
  const mapped = rows.filter((r): r is MappedRow => 'input' in r);
  const invalid = rows.filter((r): r is InvalidChunkRow => !('input' in r));
  const results = await pool.register(mapped.map((r) => ({ row: r.rowNumber, input: r.input, format })));
  const valid: ValidChunkRow[] = [];
  results.forEach((res, i) => {
    const r = mapped[i];
    if (res.ok) {
      valid.push({ rowNumber: r.rowNumber, structure: res, input: r.input, inputFormat: format, name: r.name, identifiers: r.identifiers, properties: r.properties });
    } else {
      invalid.push({ rowNumber: r.rowNumber, raw: r.raw, rawTruncated: r.rawTruncated, code: res.code, reason: res.reason });
    }
  });
  invalid.sort((a, b) => a.rowNumber - b.rowNumber);
  return { firstRow: rows[0].rowNumber, lastRow: rows[rows.length - 1].rowNumber, valid, invalid };
}

/** A computation awaited later, in order: a failure meanwhile must not count as an unhandled rejection. */
function computing<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

export interface RunImportDeps {
  db: Db;
  pool: ChemPool;
  log: Logger;
  options: IngestOptions;
  /** Slice bounds and decompression limits (env); defaults for tests. */
  slicing?: Partial<SliceOptions>;
  /** Adds the job that continues this import (idempotent id from `ingestJobId`). */
  enqueue?: ProcessorContext['enqueue'];
}

export interface SliceOptions {
  /** A slice stops taking new work after this long (IMPORT_SLICE_MS). */
  sliceMs: number;
  /** Slices of one organisation running at once, over all worker processes (IMPORT_ORG_CONCURRENCY). */
  orgSlots: number;
  expansion: ExpansionLimits;
}

export const DEFAULT_SLICING: SliceOptions = { sliceMs: 10_000, orgSlots: 1, expansion: DEFAULT_EXPANSION_LIMITS };

type ImportJob = ProcessorJob<{ importId: string; owner: { userId: string; organizationId: string | null } }>;

/**
 * Fair imports (ARCHITECTURE.md "Imports"). An `ingest/import` job runs one
 * bounded slice of an import — rows until `sliceMs` have passed, then the
 * descriptor pass likewise — and, if the import is not finished, enqueues
 * the job that continues from its checkpoint at the back of the queue. So
 * every active import takes turns, a one-row import waits for at most one
 * slice of somebody else's, and any worker process can run the next slice.
 * BullMQ OSS has no per-group concurrency, so the per-organisation cap and
 * "one slice of an import at a time" are Postgres advisory locks
 * (`holdImport`), which die with the process that held them; a job that
 * finds either busy is postponed (delayed, no attempt used).
 */
export async function runImport(job: ImportJob, deps: RunImportDeps, signal?: AbortSignal) {
  const { db } = deps;
  const slicing = { ...DEFAULT_SLICING, ...deps.slicing };
  const [head] = await db.select({ organizationId: imports.organizationId }).from(imports).where(eq(imports.id, job.data.importId));
  if (!head) throw new AppError('NOT_FOUND', `Import ${job.data.importId} not found`);
  const lease = await holdImport(db, { importId: job.data.importId, organizationId: head.organizationId }, slicing.orgSlots);
  if ('busy' in lease) {
    throw new Postpone(lease.busy === 'import' ? 2000 : 1000, `import ${job.data.importId}: ${lease.busy} busy`);
  }
  /** Set when the import goes on: the job for where it stands is added once the lease is let go. */
  let next: ImportRow | null = null;
  try {
    const [imp] = await db.select().from(imports).where(eq(imports.id, job.data.importId));
    if (job.id && job.id !== ingestJobId(imp)) {
      // A stale job (an attempt that committed more before it died, a second
      // sweep): make sure the job for where the import stands exists, and stop.
      if (imp.status === 'completed' || imp.status === 'reverted') return { status: imp.status, skipped: true };
      next = imp;
      return { status: imp.status, skipped: true, continues: ingestJobId(imp) };
    }
    const outcome = await runSlice(imp, job, deps, slicing, signal);
    if (outcome.continues) next = outcome.imp;
    return outcome.result;
  } finally {
    await lease.release();
    if (next && deps.enqueue) {
      await deps.enqueue('ingest', 'import', { owner: job.data.owner, importId: next.id }, { jobId: ingestJobId(next) });
    }
  }
}

async function runSlice(imp: ImportRow, job: ImportJob, deps: RunImportDeps, slicing: SliceOptions, signal?: AbortSignal) {
  const { db, pool, log, options } = deps;
  const deadline = Date.now() + slicing.sliceMs;
  const done = (result: Record<string, unknown>) => ({ continues: false as const, imp, result });
  if (imp.status === 'completed' || imp.status === 'reverted') {
    return done({ status: imp.status, skipped: true }); // a duplicate delivery of a finished job
  }
  /** Stopped from outside (cancelled, or failed) with molecules still to describe: only pass 2 is left. */
  const stopped = imp.status === 'cancelled' || imp.status === 'failed';
  const mapping = importMappingSchema.parse(imp.mapping);
  const format = mapping.structure.type;
  const target = { importId: imp.id, organizationId: imp.organizationId, userId: imp.createdBy };
  const counts = { registered: imp.registered, duplicates: imp.duplicates, invalid: imp.invalid, processed: imp.processedRows };
  let total = imp.totalRows;
  const fileOptions = { format: imp.format, encoding: imp.encoding, compression: imp.compression, expansion: slicing.expansion };

  const finish = async (status: 'completed' | 'cancelled' | 'failed', error?: { code: string; message: string }) => {
    await db.transaction(async (tx) => {
      await tx
        .update(imports)
        .set({ status, finishedAt: new Date(), ...(error ? { error } : {}), ...(status === 'completed' ? { totalRows: counts.processed } : {}) })
        .where(eq(imports.id, imp.id));
      await recordAudit(tx, {
        organizationId: imp.organizationId,
        actorUserId: imp.createdBy,
        action: `import.${status}`,
        entityType: 'import',
        entityId: imp.id,
        after: { ...counts, totalRows: total, ...(error ? { error } : {}) },
        client: { via: 'worker', job: job.id }
      });
    });
  };
  const removeUpload = () => rm(imp.storagePath, { force: true }).catch(() => {});
  const report = (phase: string, message: string, done = counts.processed, of = total ?? counts.processed) =>
    job.updateProgress({ done, total: Math.max(of, done), message, data: { ...counts, phase, status: 'running' } });
  /** The slice's time is up (or the import failed with descriptors to compute): the import continues in the next job. */
  const pause = async () => {
    const [now] = await db.select().from(imports).where(eq(imports.id, imp.id));
    return { continues: true as const, imp: now, result: { status: now.status, continues: ingestJobId(now), ...counts } };
  };

  if (!stopped) await db.update(imports).set({ status: 'running', startedAt: imp.startedAt ?? new Date() }).where(eq(imports.id, imp.id));
  let cancelled = stopped || !!imp.cancelRequestedAt;

  try {
    if (!cancelled && total === null) {
      // A cheap first pass gives the progress bar its denominator (and meets a gzip bomb's limit before any row is written).
      total = await countRows(imp.storagePath, fileOptions);
      await db.update(imports).set({ totalRows: total }).where(eq(imports.id, imp.id));
    }
    // ── Pass 1: register, in order, with chunks computing ahead of the writer.
    /** Molecules this slice registered, for pass 2 in the same slice. */
    const created: Array<{ id: string; smiles: string }> = [];
    const pass1Done = cancelled || (total !== null && counts.processed >= total);
    if (!pass1Done) {
      await report('registering', imp.checkpointRow ? `Resuming after row ${imp.checkpointRow}` : 'Registering structures');
      const pending: Promise<Chunk>[] = [];
      let outOfTime = false;
      const commitOldest = async () => {
        const chunk = await pending.shift()!;
        const outcome = await commitImportChunk(db, target, chunk);
        counts.registered += outcome.registered;
        counts.duplicates += outcome.duplicates;
        counts.invalid += outcome.invalid;
        counts.processed += outcome.processed;
        if (created.length + outcome.created.length <= MAX_REMEMBERED) created.push(...outcome.created);
        await report('registering', `${counts.processed.toLocaleString('en')} of ${total!.toLocaleString('en')} rows`);
        if (outcome.cancelRequested) cancelled = true;
        if (Date.now() > deadline) outOfTime = true;
      };
      let batch: Array<MappedRow | InvalidChunkRow> = [];
      let ended = true;
      const reader = await openReader(imp.storagePath, { ...fileOptions, startAfterRow: imp.checkpointRow });
      const valueOptions = { decimalComma: reader.decimalComma };
      for await (const row of reader) {
        batch.push(
          'error' in row
            ? { rowNumber: row.rowNumber, raw: row.raw, rawTruncated: row.rawTruncated, code: row.error.code, reason: row.error.reason }
            : mapRow(row, mapping, valueOptions)
        );
        if (batch.length >= options.chunkRows) {
          pending.push(computing(computeChunk(pool, batch, format)));
          batch = [];
          if (pending.length > options.inFlight) await commitOldest();
          if (cancelled || outOfTime) {
            ended = false;
            break;
          }
          // Shutdown: stop between chunks; the retry resumes after the checkpoint.
          signal?.throwIfAborted();
        }
      }
      if (ended && !cancelled && batch.length) pending.push(computing(computeChunk(pool, batch, format)));
      // What is computed is written (a cancel drops it: chunks computed past a cancel are never written).
      while (pending.length && !cancelled) await commitOldest();
      await Promise.allSettled(pending);
      if (!ended && !cancelled) return await pause();
      if (!cancelled) {
        await db.update(imports).set({ totalRows: counts.processed }).where(eq(imports.id, imp.id));
        total = counts.processed;
      }
    }

    // ── Pass 2: descriptors for the molecules this import created, always —
    // also when it was cancelled or stopped, since what it registered stays in
    // the registry. First the ones this slice registered (known from its
    // commits), then whatever the database still lists (earlier slices,
    // attempts, or more than MAX_REMEMBERED). Batches are read ahead and
    // written behind while the pool computes the next ones.
    const [{ descriptorsDone }] = await db.select({ descriptorsDone: imports.descriptorsDone }).from(imports).where(eq(imports.id, imp.id));
    let described = descriptorsDone;
    const toDescribe = counts.registered;
    let remembered = 0;
    let after: string | null = null;
    let exhausted = false;
    let savedAny = false;
    const describing: Array<{ rows: Array<{ id: string; smiles: string }>; results: Promise<DescribeRowResult[]> }> = [];
    const nextBatch = async (): Promise<Array<{ id: string; smiles: string }> | null> => {
      if (remembered < created.length) {
        const rows = created.slice(remembered, remembered + options.describeBatch);
        remembered += rows.length;
        if (remembered === created.length) created.length = 0;
        return rows;
      }
      // The database lists a batch as pending until it is saved: let those in flight land first.
      if (describing.length) return null;
      const rows = await pendingDescriptors(db, imp.id, after, options.describeBatch);
      if (!rows.length) {
        exhausted = true;
        return null;
      }
      after = rows[rows.length - 1].id;
      return rows;
    };
    await report('describing', 'Computing descriptors', described, toDescribe);
    for (;;) {
      // After the deadline no new batch starts, but a slice always saves at least one
      // (its successor's job id comes from the progress it made).
      while (!exhausted && describing.length < options.inFlight && (Date.now() <= deadline || (!savedAny && !describing.length))) {
        signal?.throwIfAborted();
        const rows = await nextBatch();
        if (!rows) break;
        describing.push({ rows, results: computing(pool.describe(rows)) });
      }
      // Nothing in flight only once the database has nothing left either (or the slice's time is up).
      const batch = describing.shift();
      if (!batch) break;
      const results = await batch.results;
      await saveDescriptors(db, imp.id, results.map((r, i) => ({ id: batch.rows[i].id, descriptors: r.ok ? r : null })));
      described += batch.rows.length;
      savedAny = true;
      await report('describing', `Descriptors for ${described.toLocaleString('en')} of ${toDescribe.toLocaleString('en')} new molecules`, described, toDescribe);
    }
    if (!exhausted) return await pause();

    if (stopped) return done({ status: imp.status, described: described - descriptorsDone });
    if (cancelled) {
      await finish('cancelled');
      await removeUpload();
      return done({ status: 'cancelled', ...counts });
    }
    await finish('completed');
    await removeUpload();
    if (imp.libraryId) {
      // The import stands whatever happens here; a failure is kept on the import for the user to see.
      const outcome = await addImportToLibrary(db, imp, log);
      if ('error' in outcome) {
        log.warn(`import ${imp.id}: adding to library ${imp.libraryId} failed: ${outcome.error}`);
        await db.update(imports).set({ error: { code: 'LIBRARY_ADD_FAILED', message: `Imported, but not added to the library: ${outcome.error}` } }).where(eq(imports.id, imp.id));
      }
    }
    log.info(`import ${imp.id}: ${counts.registered} registered, ${counts.duplicates} duplicates, ${counts.invalid} invalid of ${counts.processed}`);
    return done({ status: 'completed', ...counts });
  } catch (err) {
    const lastAttempt = job.attemptsMade + 1 >= (queueContract.ingest.defaultJobOptions.attempts ?? 1);
    if (stopped) throw err;
    if (err instanceof AppError && err.status < 500) {
      // A file-level problem (empty file, no header, too large once decompressed, gone…): retrying cannot help.
      await finish('failed', { code: err.code, message: err.message });
      await removeUpload();
      // Rows committed before it stay: the next job computes their descriptors (pass 2 of a stopped import).
      return await pause();
    } else if (lastAttempt && !signal?.aborted) {
      await finish('failed', { code: 'INTERNAL_ERROR', message: 'The import stopped unexpectedly; rows committed so far are kept and can be reverted' });
    }
    throw err;
  }
}
