/**
 * What a stored `library:<id>` board becomes in Postgres, inside the
 * transaction that stores its Yjs state (see `persist` in server.ts):
 *
 *  - the projection: `libraries.board_lanes` and one `library_molecules` row
 *    per card (lane, lane order, rank in the lane, tags), written as a diff
 *    against the rows already there, so a move touches only what moved;
 *  - the history: one `board_changes` row per run of consecutive changes by
 *    one person, with the merged Yjs update, a description in words, and a
 *    full snapshot every SNAPSHOT_EVERY rows (versions are rebuilt from the
 *    nearest snapshot: db/access/libraries.ts `boardDocAt`);
 *  - an audit event per history row, and a notification per @mention.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import * as Y from 'yjs';
import { describeChanges, readBoard, type BoardState, type ChangeDescription } from '../common/board';
import { cooperative } from '../common/cooperative';
import { libraryAccess } from '../db/access/libraries';
import { formatRegistryNumber } from '../db/access/molecules';
import { recordAudits } from '../db/audit';
import { inUuids, type Tx } from '../db/client';
import { libraries, libraryMolecules, molecules, users } from '../db/schema';
import type { DocumentRef, RecordedChange, StoreContext } from './documents';

/** A full state is kept with every this-many history rows (bounded replay when viewing a version). */
export const SNAPSHOT_EVERY = 50;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INSERT_BATCH = 2000;
/** History rows per INSERT (the merged updates make rows large). */
const HISTORY_INSERT_BATCH = 200;

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
class MoleculeLabels {
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

type Person = { id: string; name: string; email: string };

/** The people a store mentions (card adders, change authors), in one query; unknown ids are absent. */
async function peopleById(tx: Tx, ids: Iterable<string | null | undefined>): Promise<Map<string, Person>> {
  const valid = [...new Set(ids)].filter((x): x is string => !!x && UUID.test(x));
  if (!valid.length) return new Map();
  const rows = await tx.select({ id: users.id, name: users.name, email: users.email }).from(users).where(inArray(users.id, valid));
  return new Map(rows.map((u) => [u.id, u]));
}

async function writeProjection(tx: Tx, libraryId: string, board: BoardState, labels: MoleculeLabels, people: Map<string, Person>) {
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

/** Consecutive changes by the same person (and the same restore) form one history entry. */
function groupChanges(changes: RecordedChange[]) {
  const groups: Array<{ userId: string | null; restoredFrom: number | null; updates: Uint8Array[]; at: Date }> = [];
  for (const c of changes) {
    const last = groups.at(-1);
    const restoredFrom = c.restoredFrom ?? null;
    if (last && last.userId === c.userId && last.restoredFrom === restoredFrom) {
      last.updates.push(c.update);
      last.at = c.at;
    } else groups.push({ userId: c.userId, restoredFrom, updates: [c.update], at: c.at });
  }
  return groups;
}

async function writeHistory(tx: Tx, ref: DocumentRef, store: StoreContext, labels: MoleculeLabels, people: Map<string, Person>): Promise<void> {
  const libraryId = ref.id;
  const { organizationId } = store;
  const groups = groupChanges(store.changes);
  if (!groups.length) return;
  const doc = new Y.Doc({ gc: false, guid: ref.name }); // guid given: see persist in server.ts
  try {
    if (store.previous) Y.applyUpdate(doc, store.previous);
    const [{ sinceSnapshot, hasSnapshot }] = (
      await tx.execute<{ sinceSnapshot: number; hasSnapshot: boolean }>(sql`
        with last as (select max(id) as id from board_changes where library_id = ${libraryId} and snapshot is not null)
        select (select count(*)::int from board_changes where library_id = ${libraryId} and id > coalesce((select id from last), 0)) as "sinceSnapshot",
               (select id is not null from last) as "hasSnapshot"`)
    ).rows;
    let untilSnapshot = hasSnapshot ? SNAPSHOT_EVERY - sinceSnapshot : 0;

    type Entry = {
      id: number;
      update: Uint8Array;
      snapshot: Uint8Array | null;
      at: Date;
      user: Person | null;
      summary: ChangeDescription[];
      restoredFrom: number | null;
      comments: BoardState['comments'];
    };
    const entries: Entry[] = [];
    // Each group's "after" is the next one's "before": one read of the board per group.
    let after = readBoard(doc);
    const pause = cooperative();
    for (const group of groups) {
      await pause();
      const before = after;
      for (const u of group.updates) Y.applyUpdate(doc, u);
      after = readBoard(doc);
      // Usually known already (the board's cards): only cards removed since are looked up.
      await labels.load([...before.cards, ...after.cards].map((c) => c.moleculeId));
      let summary: ChangeDescription[] = describeChanges(before, after, (id) => labels.label(id));
      if (group.restoredFrom) summary = [{ kind: 'card.moved', text: `restored the board to change #${group.restoredFrom}` } as ChangeDescription, ...summary.slice(0, 20)];
      if (!summary.length) continue; // e.g. an edit undone before it was stored: nothing to tell
      const user = group.userId ? people.get(group.userId) ?? null : null;
      const snapshot = untilSnapshot <= 0 ? Y.encodeStateAsUpdate(doc) : null;
      untilSnapshot = snapshot ? SNAPSHOT_EVERY - 1 : untilSnapshot - 1;
      entries.push({
        id: 0,
        update: group.updates.length === 1 ? group.updates[0] : Y.mergeUpdates(group.updates),
        snapshot,
        at: group.at,
        user,
        summary,
        restoredFrom: group.restoredFrom,
        comments: after.comments
      });
    }
    if (!entries.length) return;

    // Written in a handful of statements, not a few per entry: a busy board
    // brings dozens of entries per store, and round trips (and building big
    // INSERTs through the query builder) were most of its cost. Ids come from
    // the sequence first and go out ascending, so history order is change order.
    const idRows = await tx.execute<{ id: string }>(
      sql`select nextval(pg_get_serial_sequence('board_changes', 'id')) as id from generate_series(1, ${entries.length})`
    );
    const ids = idRows.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    entries.forEach((e, i) => (e.id = ids[i]));
    for (let i = 0; i < entries.length; i += HISTORY_INSERT_BATCH) {
      const batch = entries.slice(i, i + HISTORY_INSERT_BATCH);
      const col = <T>(f: (e: Entry) => T) => sql.param(batch.map(f));
      await tx.execute(sql`
        insert into board_changes (id, library_id, user_id, update, snapshot, summary, restored_from, created_at)
        select u.id, ${libraryId}::uuid, u.user_id, u.update, u.snapshot, u.summary, u.restored_from, u.created_at
        from unnest(${col((e) => e.id)}::bigint[], ${col((e) => e.user?.id ?? null)}::uuid[], ${col((e) => e.update)}::bytea[],
                    ${col((e) => e.snapshot)}::bytea[], ${col((e) => JSON.stringify(e.summary))}::jsonb[], ${col((e) => e.restoredFrom)}::bigint[],
                    ${col((e) => e.at.toISOString())}::timestamptz[])
          as u(id, user_id, update, snapshot, summary, restored_from, created_at)`);
    }
    await recordAudits(
      tx,
      entries.map((e) => ({
        organizationId,
        actorUserId: e.user?.id ?? null,
        action: e.restoredFrom ? 'library.board_restored' : 'library.board_changed',
        entityType: 'library',
        entityId: libraryId,
        after: { changeId: e.id, summary: e.summary.map((s) => s.text), ...(e.restoredFrom ? { restoredFrom: e.restoredFrom } : {}) },
        client: { via: 'collab', document: ref.name }
      }))
    );

    // @mentions: notify each mentioned person who can see the board (not the author).
    for (const { user, summary, comments } of entries) {
      for (const d of summary) {
        if (d.kind !== 'comment.added' || !d.mentions?.length || !user) continue;
        for (const mentioned of d.mentions) {
          if (mentioned === user.id || !UUID.test(mentioned)) continue;
          const [target] = await tx.select({ id: users.id, name: users.name, email: users.email }).from(users).where(eq(users.id, mentioned));
          if (!target) continue;
          const grant = await libraryAccess(tx, { user: target, organization: null, role: null, via: 'session', credentialId: '' }, libraryId);
          if (!grant) continue;
          const comment = comments[d.moleculeId!]?.find((c) => c.id === d.commentId);
          store.notify({
            key: `mention:${d.commentId}:${mentioned}`,
            userId: mentioned,
            organizationId: null,
            title: `${user.name} mentioned you on ${labels.label(d.moleculeId!)} in ${grant.library.name}`,
            body: comment ? comment.text.replace(/@\[([^\]]+)\]\([0-9a-f-]{36}\)/g, '@$1').slice(0, 500) : null,
            link: `/libraries/${libraryId}?card=${d.moleculeId}`
          });
        }
      }
    }
  } finally {
    doc.destroy();
  }
}

/** The projector of the `library` document kind. */
export async function projectLibraryBoard(tx: Tx, _documentName: string, ydoc: Y.Doc, ref: DocumentRef, store: StoreContext) {
  const board = readBoard(ydoc);
  // Looked up once for both (round trips were most of a store's cost on a busy server).
  const labels = new MoleculeLabels(tx, store.organizationId);
  await labels.load(board.cards.map((c) => c.moleculeId));
  const people = await peopleById(tx, [...board.cards.map((c) => c.addedBy), ...store.changes.map((c) => c.userId)]);
  await writeProjection(tx, ref.id, board, labels, people);
  await writeHistory(tx, ref, store, labels, people);
}
