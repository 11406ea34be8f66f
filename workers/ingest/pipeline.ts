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
import { commitImportChunk, pendingDescriptors, saveDescriptors, type InvalidChunkRow, type ValidChunkRow } from '../../db/access/ingest';
import { imports } from '../../db/schema';
import type { ChemPool, DescribeRowResult } from '../../chem/pool';
import type { ProcessorJob, Logger } from '../processor';
import { countRows, openReader, type ReadRow } from './readers';
import { addImportToLibrary } from './library';
import { parsePropertyValue, type ParseValueOptions } from './values';
import { queueContract } from '../../common/queues';

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
}

export async function runImport(
  job: ProcessorJob<{ importId: string; owner: { userId: string; organizationId: string | null } }>,
  deps: RunImportDeps,
  signal?: AbortSignal
) {
  const { db, pool, log, options } = deps;
  const [imp] = await db.select().from(imports).where(eq(imports.id, job.data.importId));
  if (!imp) throw new AppError('NOT_FOUND', `Import ${job.data.importId} not found`);
  if (imp.status === 'completed' || imp.status === 'cancelled' || imp.status === 'reverted') {
    return { status: imp.status, skipped: true }; // a duplicate delivery of a finished job
  }
  const mapping = importMappingSchema.parse(imp.mapping);
  const format = mapping.structure.type;
  const target = { importId: imp.id, organizationId: imp.organizationId, userId: imp.createdBy };
  const counts = { registered: imp.registered, duplicates: imp.duplicates, invalid: imp.invalid, processed: imp.processedRows };
  let total = imp.totalRows;

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
    await rm(imp.storagePath, { force: true }).catch(() => {});
  };
  const report = (phase: string, message: string, done = counts.processed, of = total ?? counts.processed) =>
    job.updateProgress({ done, total: Math.max(of, done), message, data: { ...counts, phase, status: 'running' } });

  if (imp.cancelRequestedAt) {
    await finish('cancelled');
    return { status: 'cancelled', ...counts };
  }
  await db.update(imports).set({ status: 'running', startedAt: imp.startedAt ?? new Date() }).where(eq(imports.id, imp.id));

  try {
    if (total === null) {
      // A cheap first pass gives the progress bar its denominator.
      total = await countRows(imp.storagePath, { format: imp.format, encoding: imp.encoding, compression: imp.compression });
      await db.update(imports).set({ totalRows: total }).where(eq(imports.id, imp.id));
    }
    await report('registering', imp.checkpointRow ? `Resuming after row ${imp.checkpointRow}` : 'Registering structures');

    // ── Pass 1: register, in order, with chunks computing ahead of the writer.
    const pending: Promise<Chunk>[] = [];
    /** Molecules pass 1 registered, for pass 2. */
    const created: Array<{ id: string; smiles: string }> = [];
    let cancelled = false;
    const commitOldest = async () => {
      const chunk = await pending.shift()!;
      const outcome = await commitImportChunk(db, target, chunk);
      counts.registered += outcome.registered;
      counts.duplicates += outcome.duplicates;
      counts.invalid += outcome.invalid;
      if (!outcome.skipped) counts.processed += chunk.valid.length + chunk.invalid.length;
      if (created.length + outcome.created.length <= MAX_REMEMBERED) created.push(...outcome.created);
      await report('registering', `${counts.processed.toLocaleString('en')} of ${total!.toLocaleString('en')} rows`);
      if (outcome.cancelRequested) cancelled = true;
    };
    let batch: Array<MappedRow | InvalidChunkRow> = [];
    const reader = await openReader(imp.storagePath, {
      format: imp.format,
      encoding: imp.encoding,
      compression: imp.compression,
      startAfterRow: imp.checkpointRow
    });
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
        if (cancelled) break;
        // Shutdown: stop between chunks; the retry resumes after the checkpoint.
        signal?.throwIfAborted();
      }
    }
    if (!cancelled && batch.length) pending.push(computing(computeChunk(pool, batch, format)));
    while (pending.length && !cancelled) await commitOldest();
    await Promise.allSettled(pending); // chunks computed past a cancel are dropped, never written
    if (cancelled) {
      await finish('cancelled');
      return { status: 'cancelled', ...counts };
    }
    await db.update(imports).set({ totalRows: counts.processed }).where(eq(imports.id, imp.id));
    total = counts.processed;

    // ── Pass 2: descriptors for the molecules this import created: first the
    // ones pass 1 just registered (known from its commits, so not read back),
    // then whatever else the database still lists (rows an earlier attempt
    // committed, or more than MAX_REMEMBERED). Batches are read ahead and
    // written behind while the pool computes the next ones, so the threads
    // never wait for the database between batches.
    let described = 0;
    const toDescribe = counts.registered;
    let remembered = 0;
    let after: string | null = null;
    let exhausted = false;
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
    await report('describing', 'Computing descriptors', 0, toDescribe);
    for (;;) {
      while (!exhausted && describing.length < options.inFlight) {
        signal?.throwIfAborted();
        const rows = await nextBatch();
        if (!rows) break;
        describing.push({ rows, results: computing(pool.describe(rows)) });
      }
      // Nothing in flight only once the database has nothing left either (nextBatch
      // answers null without `exhausted` only while batches are in flight).
      const batch = describing.shift();
      if (!batch) break;
      const results = await batch.results;
      await saveDescriptors(db, imp.id, results.map((r, i) => ({ id: batch.rows[i].id, descriptors: r.ok ? r : null })));
      described += batch.rows.length;
      await report('describing', `Descriptors for ${described.toLocaleString('en')} of ${toDescribe.toLocaleString('en')} new molecules`, described, toDescribe);
    }
    await finish('completed');
    if (imp.libraryId) {
      // The import stands whatever happens here; a failure is kept on the import for the user to see.
      const outcome = await addImportToLibrary(db, imp, log);
      if ('error' in outcome) {
        log.warn(`import ${imp.id}: adding to library ${imp.libraryId} failed: ${outcome.error}`);
        await db.update(imports).set({ error: { code: 'LIBRARY_ADD_FAILED', message: `Imported, but not added to the library: ${outcome.error}` } }).where(eq(imports.id, imp.id));
      }
    }
    log.info(`import ${imp.id}: ${counts.registered} registered, ${counts.duplicates} duplicates, ${counts.invalid} invalid of ${counts.processed}`);
    return { status: 'completed', ...counts };
  } catch (err) {
    const lastAttempt = job.attemptsMade + 1 >= (queueContract.ingest.defaultJobOptions.attempts ?? 1);
    if (err instanceof AppError && err.status < 500) {
      // A file-level problem (empty file, no header…): retrying cannot help.
      await finish('failed', { code: err.code, message: err.message });
    } else if (lastAttempt && !signal?.aborted) {
      await finish('failed', { code: 'INTERNAL_ERROR', message: 'The import stopped unexpectedly; rows committed so far are kept and can be reverted' });
    }
    throw err;
  }
}
