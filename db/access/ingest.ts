/**
 * Bulk writes of the ingest worker. Not actor-scoped: the worker acts for the
 * import, and every statement is scoped by the import's organisation.
 *
 * One chunk = one transaction: rows arrive with COPY into a temporary table,
 * new structures are inserted (registry numbers reserved under the
 * organisation's row lock), identifiers/values/inputs are attached to new and
 * existing molecules, rejected rows are recorded, and the import's counters
 * and checkpoint move — all or nothing. A job restarted after a crash resumes
 * after `checkpoint_row`, so no row is counted twice and none is lost.
 */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Db } from '../client';
import { SYNONYM_LABEL, type ComputedDescriptors, type ComputedStructure } from './molecules';
import { DESCRIPTORS } from '../../chem/descriptors';

export interface ValidChunkRow {
  rowNumber: number;
  structure: ComputedStructure;
  /** The structure exactly as given (before salt stripping). */
  input: string;
  inputFormat: 'smiles' | 'molblock';
  name: string | null;
  identifiers: Array<{ label: string; value: string }>;
  properties: Array<{ name: string; num: number | null; text: string | null; unit: string | null }>;
}

export interface InvalidChunkRow {
  rowNumber: number;
  raw: string;
  rawTruncated: boolean;
  code: string;
  reason: string;
}

export interface ChunkOutcome {
  registered: number;
  duplicates: number;
  invalid: number;
  /** The import's state after the commit (a cancel may have been requested meanwhile). */
  cancelRequested: boolean;
  skipped: boolean;
  /** Rows this commit counted (rows an overlapping earlier attempt committed are left out). */
  processed: number;
  /** The molecules this chunk registered (for the descriptor pass, without reading them back). */
  created: Array<{ id: string; smiles: string }>;
}

/** A CSV field for COPY … (FORMAT csv): always quoted; null is an unquoted empty field. */
function csvField(v: string | null): string {
  return v === null ? '' : v.includes('"') ? `"${v.replace(/"/g, '""')}"` : `"${v}"`;
}
const hex = (b: Uint8Array) => '\\x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * COPY the lines in as one payload: a stream item per line would cost a
 * CopyData message and two socket writes each.
 */
async function copyRows(client: pg.PoolClient, table: string, lines: string[]): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} FROM STDIN WITH (FORMAT csv)`));
  await pipeline(Readable.from([lines.join('\n') + '\n']), stream);
}

/**
 * Staging tables, one per session, created by the first chunk a connection
 * commits and emptied at every commit (cheaper than creating and dropping a
 * table, and its catalog rows, in every transaction). Created inside the
 * transaction, so a rollback cannot leave a session believing it has one.
 */
const STAGING = {
  ingest_rows: `row_number int, inchikey text, inchi text, smiles text, formula text, name text,
    morgan bytea, pattern bytea, input text, input_format text, stripped boolean,
    identifiers jsonb, properties jsonb`,
  ingest_descriptors: `id uuid, ${DESCRIPTORS.map((d) => `${d.key} ${d.type === 'integer' ? 'int' : 'float8'}`).join(', ')}`
} as const;

async function inTransaction<T>(db: Db, staging: keyof typeof STAGING | null, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.$client.connect();
  try {
    // One round trip (simple protocol: several statements). "if not exists" is a
    // catalog look-up once the session has the table.
    await client.query(staging ? `BEGIN; create temp table if not exists ${staging} (${STAGING[staging]}) on commit delete rows` : 'BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Everything a chunk writes after its rows are staged, as one statement:
 * new molecules (registry numbers reserved from the organisation's counter),
 * names filled in, inputs / identifiers / property values attached to new
 * and existing molecules, rejected rows, and the import's counters and
 * checkpoint. Data-modifying CTEs all see the snapshot from before the
 * statement, so rows inserted here are found through `inserted`, and the
 * name update only reaches molecules that existed before.
 */
const WRITE_CHUNK = `
with staged as materialized (
  -- One probe of the (organization, InChIKey) index per row. The organisation
  -- comes in as (select $1): planned as "some organisation", not this one,
  -- whose statistics lag far behind while an import grows it — believing it
  -- nearly empty, the planner would find each row by reading all of the
  -- organisation's molecules (through molecules_org_created_idx).
  select r.*, e.id as existing_id, e.name as existing_name
  from ingest_rows r
  left join lateral (select m.id, m.name from molecules m where m.organization_id = (select $1::uuid) and m.inchikey = r.inchikey) e on true
), names as (
  -- the first name given for each structure in this chunk
  select distinct on (inchikey) inchikey, existing_id, name from staged where name is not null order by inchikey, row_number
), firsts as (
  select distinct on (s.inchikey) s.row_number, s.inchikey, s.inchi, s.smiles, s.formula, s.morgan, s.pattern
  from staged s where s.existing_id is null
  order by s.inchikey, s.row_number
), numbered as (
  select f.*, n.name, row_number() over (order by f.row_number) as n
  from firsts f left join names n on n.inchikey = f.inchikey
), counter as (
  update organizations set molecule_counter = molecule_counter + (select count(*) from numbered)
  where id = $1 and exists (select 1 from numbered)
  returning molecule_counter - (select count(*) from numbered) as base
), inserted as (
  insert into molecules (organization_id, registry_number, inchikey, inchi, canonical_smiles, formula, name,
                         morgan_fp, pattern_fp, created_by, created_by_import_id)
  select $1, counter.base + numbered.n, numbered.inchikey, numbered.inchi, numbered.smiles, numbered.formula,
         numbered.name, numbered.morgan, numbered.pattern, $2, $3
  from numbered, counter
  returning id, inchikey, canonical_smiles
), renamed as (
  -- a name given now fills in an existing molecule registered without one
  update molecules m set name = n.name
  from names n
  where n.existing_id is not null and m.id = n.existing_id and m.name is null
), attached as (
  select s.row_number, s.inchikey, s.name, s.existing_name, s.input, s.input_format, s.stripped, s.identifiers, s.properties,
         coalesce(s.existing_id, i.id) as molecule_id
  from staged s left join inserted i on s.existing_id is null and i.inchikey = s.inchikey
), inputs as (
  -- one per (import, row): a row written by an earlier attempt is not written again
  insert into molecule_inputs (organization_id, molecule_id, import_id, row_number, input, input_format, stripped_fragments, created_by)
  select $1, a.molecule_id, $3, a.row_number, a.input, a.input_format, a.stripped, $2 from attached a
  on conflict do nothing
), synonyms as (
  -- a name other than the one the molecule goes by (an earlier name, or the
  -- first given in this chunk) is kept as a synonym, never dropped
  insert into molecule_identifiers (organization_id, molecule_id, label, value, import_id, created_by)
  select distinct $1::uuid, a.molecule_id, '${SYNONYM_LABEL}', a.name, $3::uuid, $2::uuid
  from attached a left join names n on n.inchikey = a.inchikey
  where a.name is not null and a.name is distinct from coalesce(a.existing_name, n.name)
  on conflict do nothing
), identifiers as (
  insert into molecule_identifiers (organization_id, molecule_id, label, value, import_id, created_by)
  select $1, a.molecule_id, x.label, x.value, $3, $2
  from attached a cross join jsonb_to_recordset(a.identifiers) as x(label text, value text)
  on conflict do nothing
), properties as (
  insert into molecule_properties (organization_id, molecule_id, name, value_num, value_text, unit, source, import_id, created_by)
  select $1, a.molecule_id, x.name, x.num, x.text, x.unit, 'import', $3, $2
  from attached a cross join jsonb_to_recordset(a.properties) as x(name text, num float8, text text, unit text)
  -- a value the molecule already has from an import (same name, number, text, unit) is not stored twice
  on conflict do nothing
), errors as (
  insert into import_errors (import_id, row_number, raw, raw_truncated, code, reason)
  select $3, * from unnest($4::int[], $5::text[], $6::bool[], $7::text[], $8::text[])
  on conflict do nothing
), progress as (
  update imports set registered = registered + (select count(*) from inserted),
    duplicates = duplicates + $9::int - (select count(*) from inserted),
    invalid = invalid + cardinality($4::int[]),
    processed_rows = processed_rows + $9::int + cardinality($4::int[]),
    checkpoint_row = $10
  where id = $3
)
select id, canonical_smiles as smiles from inserted`;

export async function commitImportChunk(
  db: Db,
  target: { importId: string; organizationId: string; userId: string | null },
  chunk: { valid: ValidChunkRow[]; invalid: InvalidChunkRow[]; firstRow: number; lastRow: number }
): Promise<ChunkOutcome> {
  const { importId, organizationId, userId } = target;
  return inTransaction(db, 'ingest_rows', async (client) => {
    const state = await client.query<{ checkpoint_row: number; cancel_requested_at: Date | null; status: string }>(
      'select checkpoint_row, cancel_requested_at, status from imports where id = $1 for update',
      [importId]
    );
    if (!state.rows[0]) throw new Error(`import ${importId} disappeared`);
    const { checkpoint_row: checkpoint, status } = state.rows[0];
    // Cancelled or reverted from the web while no worker held the import: write nothing more.
    const stopped = status !== 'running' && status !== 'queued';
    if (stopped || checkpoint >= chunk.lastRow) {
      // Already committed by an earlier attempt of this job: never count twice.
      return { registered: 0, duplicates: 0, invalid: 0, cancelRequested: stopped || !!state.rows[0].cancel_requested_at, skipped: true, processed: 0, created: [] };
    }
    // An attempt that began before the last commit overlaps it: only rows after the checkpoint count.
    const valid = chunk.valid.filter((r) => r.rowNumber > checkpoint);
    const invalid = chunk.invalid.filter((r) => r.rowNumber > checkpoint);
    // Serialises registrations per organisation (dedup by InChIKey and registry numbers).
    await client.query('select 1 from organizations where id = $1 for update', [organizationId]);

    if (valid.length) {
      await copyRows(
        client,
        'ingest_rows',
        valid.map((r) =>
          [
            String(r.rowNumber),
            csvField(r.structure.inchikey),
            csvField(r.structure.inchi),
            csvField(r.structure.canonicalSmiles),
            csvField(r.structure.formula),
            csvField(r.name),
            hex(r.structure.morganFp),
            hex(r.structure.patternFp),
            csvField(r.input),
            r.inputFormat,
            r.structure.strippedFragments ? 't' : 'f',
            csvField(JSON.stringify(r.identifiers)),
            csvField(JSON.stringify(r.properties))
          ].join(',')
        )
      );
    }
    const written = await client.query<{ id: string; smiles: string }>(WRITE_CHUNK, [
      organizationId,
      userId,
      importId,
      invalid.map((r) => r.rowNumber),
      invalid.map((r) => r.raw),
      invalid.map((r) => r.rawTruncated),
      invalid.map((r) => r.code),
      invalid.map((r) => r.reason),
      valid.length,
      chunk.lastRow
    ]);
    const registered = written.rows.length;
    return {
      registered,
      duplicates: valid.length - registered,
      invalid: invalid.length,
      processed: valid.length + invalid.length,
      cancelRequested: !!state.rows[0].cancel_requested_at,
      skipped: false,
      created: written.rows
    };
  });
}

/** Molecules this import created whose descriptors are not computed yet, in id order. */
export async function pendingDescriptors(db: Db, importId: string, afterId: string | null, limit: number) {
  const res = await db.$client.query<{ id: string; smiles: string }>(
    `select id, canonical_smiles as smiles from molecules
     where created_by_import_id = $1 and descriptors_at is null and ($2::uuid is null or id > $2::uuid)
     order by id limit $3`,
    [importId, afterId, limit]
  );
  return res.rows;
}

/** Store computed descriptors (null for a molecule the engine could not describe). */
export async function saveDescriptors(db: Db, importId: string, rows: Array<{ id: string; descriptors: ComputedDescriptors | null }>) {
  if (!rows.length) return;
  await inTransaction(db, 'ingest_descriptors', async (client) => {
    const n = (v: number | undefined) => (v === undefined || v === null || !Number.isFinite(v) ? '' : String(v));
    await copyRows(
      client,
      'ingest_descriptors',
      rows.map(({ id, descriptors: d }) =>
        [id, ...DESCRIPTORS.map((spec) => n(d?.[spec.field]))].join(',')
      )
    );
    await client.query(
      `with saved as (
         update molecules m set ${DESCRIPTORS.map((spec) => `${spec.key} = d.${spec.key}`).join(', ')}, descriptors_at = now()
         from ingest_descriptors d where m.id = d.id
       )
       update imports set descriptors_done = descriptors_done + $2 where id = $1`,
      [importId, rows.length]
    );
  });
}

export type ImportState = { status: string; cancelRequested: boolean };

// ── Who is working on an import ─────────────────────────────────────────────
//
// A worker holds an import while it runs a slice of it: a session-level
// advisory lock on a connection of its own, which Postgres drops the moment
// that process dies (SIGKILL included). So "is a worker on this import?" has
// a true answer without heartbeats: the web app's cancel and revert try the
// same lock, and act at once when nobody holds it. The same mechanism caps
// the slices one organisation runs at once (a slot lock per slot), across
// every worker process.

/** Advisory lock spaces (two-key form, so they cannot collide with the one-key locks of audit and migrations). */
export const IMPORT_LOCK_SPACE = 0x1d5;
const ORG_SLOT_LOCK_SPACE = 0x1d6;

export type ImportLease = { release(): Promise<void> } | { busy: 'import' | 'organization' };

/**
 * Hold the import and one of its organisation's `orgSlots` slots, or say
 * which one is busy. `release` unlocks and returns the connection.
 */
export async function holdImport(db: Db, target: { importId: string; organizationId: string }, orgSlots: number): Promise<ImportLease> {
  const client = await db.$client.connect();
  const tryLock = async (space: number, key: string) =>
    (await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [space, key])).rows[0].ok;
  const letGo = async () => {
    await client.query('select pg_advisory_unlock_all()').catch(() => {});
    client.release();
  };
  try {
    if (!(await tryLock(IMPORT_LOCK_SPACE, target.importId))) {
      client.release();
      return { busy: 'import' };
    }
    for (let slot = 0; slot < orgSlots; slot++) {
      if (await tryLock(ORG_SLOT_LOCK_SPACE, `${target.organizationId}:${slot}`)) return { release: letGo };
    }
  } catch (err) {
    await letGo();
    throw err;
  }
  await letGo();
  return { busy: 'organization' };
}

/**
 * Imports a worker should be running but none is on (none holds it: see
 * holdImport): running, queued for more than 30 s, or stopped (cancelled,
 * failed) with molecules still waiting for descriptors. Redis may have lost
 * their jobs (it keeps nothing on disk); Postgres has not. An import a worker
 * holds is left out: that worker queues what follows itself.
 */
export async function importsToResume(db: Db, limit = 500) {
  const res = await db.$client.query<{
    id: string;
    organization_id: string;
    created_by: string | null;
    status: string;
    checkpoint_row: number;
    descriptors_done: number;
  }>(
    `select i.id, i.organization_id, i.created_by, i.status, i.checkpoint_row, i.descriptors_done from imports i
     where (i.status = 'running'
        -- A just-created import is being queued by the web request that made it (which marks it
        -- failed and deletes its file if it cannot): only one that has waited a while was lost with Redis.
        or (i.status = 'queued' and i.created_at < now() - interval '30 seconds')
        or (i.status in ('cancelled', 'failed') and exists (select 1 from molecules m where m.created_by_import_id = i.id and m.descriptors_at is null)))
       -- holdImport's lock on the import (two-key form: classid, objid as an unsigned int4)
       and not exists (select 1 from pg_locks l where l.locktype = 'advisory' and l.database = (select oid from pg_database where datname = current_database())
                       and l.classid = $2 and l.objsubid = 2 and l.objid::int8 = (hashtext(i.id::text)::int8 & 4294967295))
     order by i.created_at limit $1`,
    [limit, IMPORT_LOCK_SPACE]
  );
  return res.rows.map((r) => ({
    id: r.id,
    organizationId: r.organization_id,
    createdBy: r.created_by,
    status: r.status,
    checkpointRow: r.checkpoint_row,
    descriptorsDone: r.descriptors_done
  }));
}
