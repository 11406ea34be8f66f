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
import type { ComputedDescriptors, ComputedStructure } from './molecules';

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
}

/** A CSV field for COPY … (FORMAT csv): always quoted; null is an unquoted empty field. */
function csvField(v: string | null): string {
  return v === null ? '' : `"${v.replace(/"/g, '""')}"`;
}
const hex = (b: Uint8Array) => '\\x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

async function copyRows(client: pg.PoolClient, table: string, lines: string[]): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} FROM STDIN WITH (FORMAT csv)`));
  await pipeline(Readable.from(lines.map((l) => l + '\n')), stream);
}

async function inTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.$client.connect();
  try {
    await client.query('BEGIN');
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

export async function commitImportChunk(
  db: Db,
  target: { importId: string; organizationId: string; userId: string | null },
  chunk: { valid: ValidChunkRow[]; invalid: InvalidChunkRow[]; firstRow: number; lastRow: number }
): Promise<ChunkOutcome> {
  const { importId, organizationId, userId } = target;
  return inTransaction(db, async (client) => {
    const state = await client.query<{ checkpoint_row: number; cancel_requested_at: Date | null }>(
      'select checkpoint_row, cancel_requested_at from imports where id = $1 for update',
      [importId]
    );
    if (!state.rows[0]) throw new Error(`import ${importId} disappeared`);
    if (state.rows[0].checkpoint_row >= chunk.lastRow) {
      // Already committed by an earlier attempt of this job: never count twice.
      return { registered: 0, duplicates: 0, invalid: 0, cancelRequested: !!state.rows[0].cancel_requested_at, skipped: true };
    }
    // Serialises registrations per organisation (dedup by InChIKey and registry numbers).
    await client.query('select 1 from organizations where id = $1 for update', [organizationId]);

    let registered = 0;
    if (chunk.valid.length) {
      await client.query(`create temp table ingest_rows (
        row_number int, inchikey text, inchi text, smiles text, formula text, name text,
        morgan bytea, pattern bytea, input text, input_format text, stripped boolean,
        identifiers jsonb, properties jsonb) on commit drop`);
      await copyRows(
        client,
        'ingest_rows',
        chunk.valid.map((r) =>
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
      const inserted = await client.query(
        `with firsts as (
           select distinct on (r.inchikey) r.* from ingest_rows r
           where not exists (select 1 from molecules m where m.organization_id = $1 and m.inchikey = r.inchikey)
           order by r.inchikey, r.row_number
         ), numbered as (
           select f.*, row_number() over (order by f.row_number) as n from firsts f
         ), counter as (
           update organizations set molecule_counter = molecule_counter + (select count(*) from numbered)
           where id = $1 returning molecule_counter - (select count(*) from numbered) as base
         )
         insert into molecules (organization_id, registry_number, inchikey, inchi, canonical_smiles, formula, name,
                                morgan_fp, pattern_fp, created_by, created_by_import_id)
         select $1, counter.base + numbered.n, numbered.inchikey, numbered.inchi, numbered.smiles, numbered.formula,
                numbered.name, numbered.morgan, numbered.pattern, $2, $3
         from numbered, counter`,
        [organizationId, userId, importId]
      );
      registered = inserted.rowCount ?? 0;
      const join = `from ingest_rows r join molecules m on m.organization_id = $1 and m.inchikey = r.inchikey`;
      await client.query(
        `insert into molecule_inputs (organization_id, molecule_id, import_id, row_number, input, input_format, stripped_fragments, created_by)
         select $1, m.id, $3, r.row_number, r.input, r.input_format, r.stripped, $2 ${join}`,
        [organizationId, userId, importId]
      );
      await client.query(
        `insert into molecule_identifiers (organization_id, molecule_id, label, value, import_id, created_by)
         select $1, m.id, x.label, x.value, $3, $2 ${join}
         cross join jsonb_to_recordset(r.identifiers) as x(label text, value text)
         on conflict do nothing`,
        [organizationId, userId, importId]
      );
      await client.query(
        `insert into molecule_properties (organization_id, molecule_id, name, value_num, value_text, unit, source, import_id, created_by)
         select $1, m.id, x.name, x.num, x.text, x.unit, 'import', $3, $2 ${join}
         cross join jsonb_to_recordset(r.properties) as x(name text, num float8, text text, unit text)`,
        [organizationId, userId, importId]
      );
      // A name given later fills in a molecule registered without one.
      await client.query(
        `update molecules m set name = n.name
         from (select distinct on (inchikey) inchikey, name from ingest_rows where name is not null order by inchikey, row_number) n
         where m.organization_id = $1 and m.inchikey = n.inchikey and m.name is null`,
        [organizationId]
      );
    }
    if (chunk.invalid.length) {
      await client.query(
        `insert into import_errors (import_id, row_number, raw, raw_truncated, code, reason)
         select $1, * from unnest($2::int[], $3::text[], $4::bool[], $5::text[], $6::text[])
         on conflict do nothing`,
        [
          importId,
          chunk.invalid.map((r) => r.rowNumber),
          chunk.invalid.map((r) => r.raw),
          chunk.invalid.map((r) => r.rawTruncated),
          chunk.invalid.map((r) => r.code),
          chunk.invalid.map((r) => r.reason)
        ]
      );
    }
    const duplicates = chunk.valid.length - registered;
    const invalid = chunk.invalid.length;
    await client.query(
      `update imports set registered = registered + $2, duplicates = duplicates + $3, invalid = invalid + $4,
         processed_rows = processed_rows + $5, checkpoint_row = $6
       where id = $1`,
      [importId, registered, duplicates, invalid, chunk.valid.length + invalid, chunk.lastRow]
    );
    return { registered, duplicates, invalid, cancelRequested: !!state.rows[0].cancel_requested_at, skipped: false };
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
  await inTransaction(db, async (client) => {
    await client.query(`create temp table ingest_descriptors (
      id uuid, average_mw float8, exact_mass float8, clogp float8, tpsa float8, hbd int, hba int,
      rotatable_bonds int, heavy_atoms int, aromatic_rings int, fraction_csp3 float8) on commit drop`);
    const n = (v: number | undefined) => (v === undefined || v === null || !Number.isFinite(v) ? '' : String(v));
    await copyRows(
      client,
      'ingest_descriptors',
      rows.map(({ id, descriptors: d }) =>
        [id, n(d?.averageMw), n(d?.exactMass), n(d?.clogp), n(d?.tpsa), n(d?.hbd), n(d?.hba), n(d?.rotatableBonds), n(d?.heavyAtoms), n(d?.aromaticRings), n(d?.fractionCsp3)].join(',')
      )
    );
    await client.query(
      `update molecules m set average_mw = d.average_mw, exact_mass = d.exact_mass, clogp = d.clogp, tpsa = d.tpsa,
         hbd = d.hbd, hba = d.hba, rotatable_bonds = d.rotatable_bonds, heavy_atoms = d.heavy_atoms,
         aromatic_rings = d.aromatic_rings, fraction_csp3 = d.fraction_csp3, descriptors_at = now()
       from ingest_descriptors d where m.id = d.id`
    );
    await client.query('update imports set descriptors_done = descriptors_done + $2 where id = $1', [importId, rows.length]);
  });
}

export type ImportState = { status: string; cancelRequested: boolean };
