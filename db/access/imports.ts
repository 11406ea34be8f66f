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
import type { ClientInfo } from './accounts';
import { requireRole } from './authorize';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type ImportRow = typeof imports.$inferSelect;

export function presentImport(i: ImportRow, createdBy?: { id: string; name: string } | null) {
  return {
    id: i.id,
    filename: i.filename,
    format: i.format,
    compression: i.compression,
    encoding: i.encoding,
    size_bytes: i.sizeBytes,
    status: i.status,
    total_rows: i.totalRows,
    processed_rows: i.processedRows,
    registered: i.registered,
    duplicates: i.duplicates,
    invalid: i.invalid,
    descriptors_done: i.descriptorsDone,
    mapping: i.mapping,
    library_id: i.libraryId,
    error: i.error,
    cancel_requested: i.cancelRequestedAt !== null,
    created_at: i.createdAt,
    started_at: i.startedAt,
    finished_at: i.finishedAt,
    reverted_at: i.revertedAt,
    created_by: createdBy ?? null
  };
}

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
  return presentImport(row.i, row.by?.id ? row.by : null);
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
  return { data: rows.map((r) => presentImport(r.i, r.by?.id ? r.by : null)), total };
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
 * Ask the worker to stop after its current chunk. A queued import that no
 * worker has started is cancelled at once.
 */
export async function requestCancel(db: Db, actor: Actor | null, id: string, client: ClientInfo) {
  const a = requireRole(actor, 'scientist');
  return db.transaction(async (tx) => {
    const { i } = await findImport(tx, a.organization.id, id);
    if (i.status !== 'queued' && i.status !== 'running') {
      throw new AppError('CONFLICT', `The import is ${i.status}; only queued or running imports can be cancelled`);
    }
    const now = new Date();
    const [row] = await tx
      .update(imports)
      .set(i.status === 'queued' ? { cancelRequestedAt: now, status: 'cancelled', finishedAt: now } : { cancelRequestedAt: now })
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
    if (locked.status === 'queued' || locked.status === 'running') {
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
  const rows = await db
    .select()
    .from(importTemplates)
    .where(eq(importTemplates.organizationId, a.organization.id))
    .orderBy(asc(importTemplates.name));
  return rows.map((t) => ({ id: t.id, name: t.name, mapping: t.mapping, created_at: t.createdAt, updated_at: t.updatedAt }));
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
  return { template: { id: row.id, name: row.name, mapping: row.mapping, created_at: row.createdAt, updated_at: row.updatedAt }, replaced: !!existing };
}

export async function deleteTemplate(db: Db, actor: Actor | null, id: string) {
  const a = requireRole(actor, 'scientist');
  if (!UUID.test(id)) throw notFound('Template');
  const res = await db.delete(importTemplates).where(and(eq(importTemplates.id, id), eq(importTemplates.organizationId, a.organization.id)));
  if (!res.rowCount) throw notFound('Template');
}

