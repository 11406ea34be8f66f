/**
 * What a stored `library:<id>` board becomes in Postgres, inside the
 * transaction that stores its Yjs state: `libraries.board_lanes` and one
 * `library_molecules` row per card (lane, lane order, rank in the lane, tags),
 * written as a diff against the rows already there, so a move touches only
 * what moved. The REST API reads this projection.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type * as Y from 'yjs';
import { readBoard, type BoardState } from '../../../common/board';
import { formatRegistryNumber } from '../../../db/access/molecules';
import { inUuids, type Tx } from '../../../db/client';
import { libraries, libraryMolecules, molecules } from '../../../db/schema';
import type { DocumentRef, PeopleLookup, StoreContext } from '../../core/kind';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INSERT_BATCH = 2000;

interface ProjectedRow {
  moleculeId: string;
  laneId: string;
  lane: string;
  laneOrder: number;
  position: number;
  tags: string[];
  addedBy: string | null;
  addedAt: Date;
}

function projectedRows(board: BoardState, known: { has(id: string): boolean }): ProjectedRow[] {
  const laneIndex = new Map(board.lanes.map((l, i) => [l.id, i]));
  const rank = new Map<string, number>();
  const rows: ProjectedRow[] = [];
  for (const c of board.cards) {
    // Cards of molecules that are gone (or were never this organisation's) are not projected.
    if (!known.has(c.moleculeId)) continue;
    const position = rank.get(c.lane) ?? 0;
    rank.set(c.lane, position + 1);
    const at = c.addedAt ? new Date(c.addedAt) : new Date();
    rows.push({
      moleculeId: c.moleculeId,
      laneId: c.lane,
      lane: board.lanes[laneIndex.get(c.lane) ?? 0]?.name ?? c.lane,
      laneOrder: laneIndex.get(c.lane) ?? 0,
      position,
      tags: c.tags,
      addedBy: c.addedBy && UUID.test(c.addedBy) ? c.addedBy : null,
      addedAt: Number.isNaN(at.getTime()) ? new Date() : at
    });
  }
  return rows;
}

const sameRow = (a: ProjectedRow, b: { laneId: string; lane: string; laneOrder: number; position: number; tags: string[] }) =>
  a.laneId === b.laneId && a.lane === b.lane && a.laneOrder === b.laneOrder && a.position === b.position && a.tags.join('\u0000') === b.tags.join('\u0000');

/**
 * Registry labels (CX-000123) of the board's molecules that belong to the
 * organisation, looked up once per store and shared by the projection (which
 * projects only known molecules) and the history (which names them).
 */
export class MoleculeLabels {
  private readonly labels = new Map<string, string>();
  private readonly looked = new Set<string>();
  constructor(
    private readonly tx: Tx,
    private readonly organizationId: string
  ) {}
  /** Looks up the ids not asked for yet (in one query). */
  async load(ids: Iterable<string>) {
    const missing = [...new Set(ids)].filter((id) => UUID.test(id) && !this.looked.has(id));
    if (!missing.length) return;
    for (const id of missing) this.looked.add(id);
    const rows = await this.tx
      .select({ id: molecules.id, number: molecules.registryNumber })
      .from(molecules)
      .where(and(eq(molecules.organizationId, this.organizationId), inUuids(molecules.id, missing)));
    for (const r of rows) this.labels.set(r.id, formatRegistryNumber(r.number));
  }
  known(id: string) {
    return this.labels.has(id);
  }
  label(id: string) {
    return this.labels.get(id) ?? 'a molecule';
  }
}

const LABELS = Symbol('library.labels');
/** This store's labels, shared by the projection and the history. */
export const labelsOf = (tx: Tx, store: StoreContext) => store.memo(LABELS, () => new MoleculeLabels(tx, store.organizationId));

async function writeProjection(tx: Tx, libraryId: string, board: BoardState, labels: MoleculeLabels, people: PeopleLookup) {
  const desired = projectedRows(board, { has: (id) => labels.known(id) });
  // The lanes written and the projected rows read in one round trip.
  const lanes = JSON.stringify(board.lanes.map((l) => ({ id: l.id, name: l.name })));
  const existing = (
    await tx.execute<{ moleculeId: string; laneId: string; lane: string; laneOrder: number; position: number; tags: string[] }>(sql`
      with lanes as (
        update ${libraries} set board_lanes = ${lanes}::jsonb, updated_at = now() where id = ${libraryId}
      )
      select molecule_id as "moleculeId", lane_id as "laneId", lane, lane_order as "laneOrder", position, tags
      from ${libraryMolecules} where library_id = ${libraryId}`)
  ).rows;
  const before = new Map(existing.map((r) => [r.moleculeId, r]));
  const wanted = new Set(desired.map((r) => r.moleculeId));
  const gone = existing.filter((r) => !wanted.has(r.moleculeId)).map((r) => r.moleculeId);
  const changed = desired.filter((r) => {
    const b = before.get(r.moleculeId);
    return !b || !sameRow(r, b);
  });
  if (gone.length) {
    await tx.delete(libraryMolecules).where(and(eq(libraryMolecules.libraryId, libraryId), inArray(libraryMolecules.moleculeId, gone)));
  }
  if (changed.length) {
    // added_by must name an existing user (the FK); a stale id becomes null.
    for (let i = 0; i < changed.length; i += INSERT_BATCH) {
      await tx
        .insert(libraryMolecules)
        .values(
          changed.slice(i, i + INSERT_BATCH).map((r) => ({
            libraryId,
            moleculeId: r.moleculeId,
            laneId: r.laneId,
            lane: r.lane,
            laneOrder: r.laneOrder,
            position: r.position,
            tags: r.tags,
            addedBy: r.addedBy && people.has(r.addedBy) ? r.addedBy : null,
            addedAt: r.addedAt
          }))
        )
        .onConflictDoUpdate({
          target: [libraryMolecules.libraryId, libraryMolecules.moleculeId],
          set: {
            laneId: sql`excluded.lane_id`,
            lane: sql`excluded.lane`,
            laneOrder: sql`excluded.lane_order`,
            position: sql`excluded.position`,
            tags: sql`excluded.tags`
          }
        });
    }
  }
  return { projected: desired.length, changed: changed.length, removed: gone.length };
}

/** The projector of the `library` document kind. */
export async function projectLibraryBoard(tx: Tx, _documentName: string, ydoc: Y.Doc, ref: DocumentRef, store: StoreContext) {
  const board = readBoard(ydoc);
  // Looked up once for the projection and the history (round trips were most of a store's cost on a busy server).
  const labels = labelsOf(tx, store);
  await labels.load(board.cards.map((c) => c.moleculeId));
  await store.people.load([...board.cards.map((c) => c.addedBy), ...store.changes.map((c) => c.userId)]);
  await writeProjection(tx, ref.id, board, labels, store.people);
}
