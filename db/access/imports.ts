/**
 * Imports as people see them: create (after the upload is on disk), follow,
 * list rejected rows, cancel, revert; and the organisation's saved column
 * mappings. The bulk writes done by the worker are in ./ingest.ts.
 */
import { and, asc, count, desc, eq, sql } from 'drizzle-orm';
import { AppError, notFound } from '../../common/errors';
import type { Actor } from '../auth';
import { recordAudit } from '../audit';
import type { Db, DbOrTx } from '../client';
import { importErrors, importTemplates, imports, moleculeIdentifiers, moleculeInputs, moleculeProperties, users } from '../schema';
import { IMPORT_LOCK_SPACE } from './ingest';
import { formatRegistryNumber } from './molecules';
import type { ClientInfo } from './accounts';
import { requireRole } from './authorize';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type ImportRow = typeof imports.$inferSelect;
/** An import with who started it (null once that account is gone). */
export type ImportWithCreator = { import: ImportRow; createdBy: { id: string; name: string } | null };

export async function createImport(
  db: Db,
  actor: Actor | null,
  input: {
    filename: string;
    format: 'csv' | 'tsv' | 'sdf';
    compression: string | null;
    encoding: string;
    sizeBytes: number;
    storagePath: string;
    mapping: unknown;
    libraryId?: string | null;
  },
  client: ClientInfo
) {
  const a = requireRole(actor, 'scientist');
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(imports)
      .values({ ...input, libraryId: input.libraryId ?? null, organizationId: a.organization.id, createdBy: a.user.id, mapping: input.mapping })
      .returning();
    await recordAudit(tx, {
      organizationId: a.organization.id,
      actorUserId: a.user.id,
      action: 'import.created',
      entityType: 'import',
      entityId: row.id,
      after: { filename: row.filename, format: row.format, sizeBytes: row.sizeBytes, mapping: row.mapping },
      client
    });
    return row;
  });
}

async function findImport(db: DbOrTx, organizationId: string, id: string) {
  if (!UUID.test(id)) throw notFound('Import');
  const [row] = await db
    .select({ i: imports, by: { id: users.id, name: users.name } })
    .from(imports)
    .leftJoin(users, eq(users.id, imports.createdBy))
    .where(and(eq(imports.id, id), eq(imports.organizationId, organizationId)));
  if (!row) throw notFound('Import');
  return row;
}

export async function getImport(db: DbOrTx, actor: Actor | null, id: string) {
  const a = requireRole(actor, 'viewer');
  const row = await findImport(db, a.organization.id, id);
  return { import: row.i, createdBy: row.by?.id ? row.by : null } satisfies ImportWithCreator;
}

export async function listImports(db: DbOrTx, actor: Actor | null, page: { page: number; pageSize: number }) {
  const a = requireRole(actor, 'viewer');
  const where = eq(imports.organizationId, a.organization.id);
  const [rows, [{ total }]] = await Promise.all([
    db
      .select({ i: imports, by: { id: users.id, name: users.name } })
      .from(imports)
      .leftJoin(users, eq(users.id, imports.createdBy))
      .where(where)
      .orderBy(desc(imports.createdAt))
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize),
    db.select({ total: count() }).from(imports).where(where)
  ]);
  return { data: rows.map((r): ImportWithCreator => ({ import: r.i, createdBy: r.by?.id ? r.by : null })), total };
}

export async function listImportErrors(db: DbOrTx, actor: Actor | null, id: string, page: { page: number; pageSize: number }) {
  const a = requireRole(actor, 'viewer');
  await findImport(db, a.organization.id, id);
  const where = eq(importErrors.importId, id);
  const [rows, [{ total }]] = await Promise.all([
    db
      .select()
      .from(importErrors)
      .where(where)
      .orderBy(asc(importErrors.rowNumber))
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize),
    db.select({ total: count() }).from(importErrors).where(where)
  ]);
  return {
    data: rows.map((e) => ({ row_number: e.rowNumber, raw: e.raw, raw_truncated: e.rawTruncated, code: e.code, reason: e.reason })),
    total
  };
}

/**
 * Rows that matched a molecule already registered (before this import, or by
 * an earlier row of it), with the registry number they matched, in row order.
 * Read from the rows' inputs (one per import row); a row that registered a
 * new molecule is the molecule's first input from this import.
 */
export async function listImportDuplicates(db: DbOrTx, actor: Actor | null, id: string, page: { page: number; pageSize: number }) {
  const a = requireRole(actor, 'viewer');
  await findImport(db, a.organization.id, id);
  // The import's inputs read once (their first row per molecule by a window,
  // not a lookup per row), each molecule looked up by primary key (LATERAL,
  // OFFSET 0: never rejoined in a loop that re-reads the inputs). As a join
  // with a per-row lookup, statistics made before the import grew it led
  // PostgreSQL 18 to re-read all of the import's inputs per row (4–6 s per
  // statement in the e2e run, each time the import page polled).
  const duplicateRows = sql`
    from (
      select f.row_number, f.molecule_id, min(f.row_number) over (partition by f.molecule_id) as first_row
      from molecule_inputs f where f.import_id = ${id}
    ) x
    cross join lateral (
      select m.id, m.registry_number, m.name, m.canonical_smiles, m.created_by_import_id from molecules m
      where m.id = x.molecule_id and m.organization_id = ${a.organization.id} offset 0
    ) m
    where m.created_by_import_id is distinct from ${id}::uuid or x.row_number > x.first_row`;
  const [rows, totals] = await Promise.all([
    db.execute<{ row_number: number; molecule_id: string; registry_number: number; name: string | null; canonical_smiles: string; first_row: number | null }>(sql`
      select x.row_number, m.id as molecule_id, m.registry_number, m.name, m.canonical_smiles,
        case when m.created_by_import_id = ${id}::uuid then x.first_row end as first_row ${duplicateRows}
      order by x.row_number limit ${page.pageSize} offset ${(page.page - 1) * page.pageSize}`),
    db.execute<{ total: number }>(sql`select count(*)::int as total ${duplicateRows}`)
  ]);
  return {
    data: rows.rows.map((r) => ({
      row_number: r.row_number,
      molecule_id: r.molecule_id,
      registry_number: formatRegistryNumber(r.registry_number),
      name: r.name,
      canonical_smiles: r.canonical_smiles,
      /** The earlier row of this import that registered it; null when it was registered before the import. */
      same_as_row: r.first_row ?? null
    })),
    total: totals.rows[0].total
  };
}

/**
 * The upload could not be queued (Redis unavailable): the import is marked
 * failed at once, so nothing waits for a job that was never added.
 */
export async function abandonImport(db: Db, id: string, error: { code: string; message: string }) {
  await db.update(imports).set({ status: 'failed', finishedAt: new Date(), error }).where(and(eq(imports.id, id), eq(imports.status, 'queued')));
}

/** All rejected rows in row order, in pages, for the CSV download. */
export async function* allImportErrors(db: DbOrTx, actor: Actor | null, id: string, batchSize = 2000) {
  const a = requireRole(actor, 'viewer');
  await findImport(db, a.organization.id, id);
  let after = 0;
  for (;;) {
    const rows = await db
      .select()
      .from(importErrors)
      .where(and(eq(importErrors.importId, id), sql`${importErrors.rowNumber} > ${after}`))
      .orderBy(asc(importErrors.rowNumber))
      .limit(batchSize);
    if (!rows.length) return;
    yield rows;
    after = rows[rows.length - 1].rowNumber;
  }
}

/**
 * True when no worker is inside a slice of the import right now (workers hold
 * its advisory lock while they work: db/access/ingest.ts `holdImport`; a
 * dead worker's lock is gone with its connection). Held to the end of `tx`,
 * so no slice starts meanwhile.
 */
async function noWorkerOn(tx: DbOrTx, importId: string): Promise<boolean> {
  const res = await tx.execute<{ free: boolean }>(sql`select pg_try_advisory_xact_lock(${IMPORT_LOCK_SPACE}, hashtext(${importId})) as free`);
  return res.rows[0].free;
}

/**
 * Stop an import. When no worker is on it (queued, between slices, or its
 * worker died) it is cancelled at once; otherwise the worker stops after its
 * current chunk. Either way the molecules already registered keep getting
 * their descriptors (the workers finish pass 2 of a cancelled import).
 */
export async function requestCancel(db: Db, actor: Actor | null, id: string, client: ClientInfo) {
  const a = requireRole(actor, 'scientist');
  return db.transaction(async (tx) => {
    const { i } = await findImport(tx, a.organization.id, id);
    const [locked] = await tx.select().from(imports).where(eq(imports.id, i.id)).for('update');
    if (locked.status !== 'queued' && locked.status !== 'running') {
      throw new AppError('CONFLICT', `The import is ${locked.status}; only queued or running imports can be cancelled`);
    }
    const now = new Date();
    const atOnce = await noWorkerOn(tx, i.id);
    const [row] = await tx
      .update(imports)
      .set(atOnce ? { cancelRequestedAt: now, status: 'cancelled', finishedAt: now } : { cancelRequestedAt: now })
      .where(eq(imports.id, i.id))
      .returning();
    await recordAudit(tx, {
      organizationId: a.organization.id,
      actorUserId: a.user.id,
      action: 'import.cancel_requested',
      entityType: 'import',
      entityId: i.id,
      before: { status: i.status },
      client
    });
    return row;
  });
}

/**
 * Undo an import: remove the identifiers, property values and inputs it added,
 * then the molecules it created that nothing else refers to any more.
 */
export async function revertImport(db: Db, actor: Actor | null, id: string, client: ClientInfo) {
  const a = requireRole(actor, 'scientist');
  return db.transaction(async (tx) => {
    const { i } = await findImport(tx, a.organization.id, id);
    const [locked] = await tx.select().from(imports).where(eq(imports.id, i.id)).for('update');
    if (locked.status === 'reverted') throw new AppError('CONFLICT', 'This import has already been reverted');
    // An import nobody is working on (its worker died, or it waits between slices) can be reverted as it stands.
    if ((locked.status === 'queued' || locked.status === 'running') && !(await noWorkerOn(tx, i.id))) {
      throw new AppError('CONFLICT', 'The import is still running; cancel it first, then revert');
    }
    const removed = {
      identifiers: (await tx.delete(moleculeIdentifiers).where(eq(moleculeIdentifiers.importId, i.id))).rowCount ?? 0,
      properties: (await tx.delete(moleculeProperties).where(eq(moleculeProperties.importId, i.id))).rowCount ?? 0,
      inputs: (await tx.delete(moleculeInputs).where(eq(moleculeInputs.importId, i.id))).rowCount ?? 0,
      molecules: 0
    };
    const gone = await tx.execute(sql`
      delete from molecules m
      where m.organization_id = ${a.organization.id} and m.created_by_import_id = ${i.id}
        and not exists (select 1 from molecule_inputs x where x.molecule_id = m.id)
        and not exists (select 1 from molecule_identifiers x where x.molecule_id = m.id)
        and not exists (select 1 from molecule_properties x where x.molecule_id = m.id)`);
    removed.molecules = gone.rowCount ?? 0;
    const now = new Date();
    const [row] = await tx.update(imports).set({ status: 'reverted', revertedAt: now, revertedBy: a.user.id }).where(eq(imports.id, i.id)).returning();
    await recordAudit(tx, {
      organizationId: a.organization.id,
      actorUserId: a.user.id,
      action: 'import.reverted',
      entityType: 'import',
      entityId: i.id,
      before: { status: locked.status, registered: locked.registered, duplicates: locked.duplicates, invalid: locked.invalid },
      after: { status: 'reverted', removed },
      client
    });
    return { import: row, removed };
  });
}

// ── Templates ──────────────────────────────────────────────────────────────

export async function listTemplates(db: DbOrTx, actor: Actor | null) {
  const a = requireRole(actor, 'viewer');
  return db
    .select()
    .from(importTemplates)
    .where(eq(importTemplates.organizationId, a.organization.id))
    .orderBy(asc(importTemplates.name));
}

export async function getTemplate(db: DbOrTx, actor: Actor | null, id: string) {
  const a = requireRole(actor, 'viewer');
  if (!UUID.test(id)) throw notFound('Template');
  const [t] = await db
    .select()
    .from(importTemplates)
    .where(and(eq(importTemplates.id, id), eq(importTemplates.organizationId, a.organization.id)));
  if (!t) throw notFound('Template');
  return t;
}

/** Save a mapping under a name; the same name replaces the earlier mapping. */
export async function saveTemplate(db: Db, actor: Actor | null, input: { name: string; mapping: unknown }) {
  const a = requireRole(actor, 'scientist');
  const [existing] = await db
    .select({ id: importTemplates.id })
    .from(importTemplates)
    .where(and(eq(importTemplates.organizationId, a.organization.id), eq(importTemplates.name, input.name)));
  const [row] = await db
    .insert(importTemplates)
    .values({ organizationId: a.organization.id, name: input.name, mapping: input.mapping, createdBy: a.user.id })
    .onConflictDoUpdate({
      target: [importTemplates.organizationId, importTemplates.name],
      set: { mapping: input.mapping, updatedAt: new Date() }
    })
    .returning();
  return { template: row, replaced: !!existing };
}

export async function deleteTemplate(db: Db, actor: Actor | null, id: string) {
  const a = requireRole(actor, 'scientist');
  if (!UUID.test(id)) throw notFound('Template');
  const res = await db.delete(importTemplates).where(and(eq(importTemplates.id, id), eq(importTemplates.organizationId, a.organization.id)));
  if (!res.rowCount) throw notFound('Template');
}

