/**
 * History for kinds that opt in (`DocumentKind.history`), written in the
 * transaction that stores the document's state:
 *
 *  - one `document_changes` row per run of consecutive changes by one person
 *    (and one restore), with the merged Yjs update and the kind's description
 *    in words, and a full snapshot every SNAPSHOT_EVERY rows of the document
 *    (versions are rebuilt from the nearest snapshot: services/versions.ts);
 *  - an audit event per row (the kind names the entity and actions);
 *  - the @mentions the kind finds in each row (services/mentions.ts).
 */
import { sql } from 'drizzle-orm';
import * as Y from 'yjs';
import { cooperative } from '../../common/cooperative';
import { recordAudits } from '../../db/audit';
import type { Tx } from '../../db/client';
import type { ChangeSummary, DocumentRef, HistoryConfig, Person, RecordedChange, StoreContext } from '../core/kind';
import { notifyMentions } from './mentions';

/** A full state is kept with every this-many history rows of a document (bounded replay when viewing a version). */
export const SNAPSHOT_EVERY = 50;
/** History rows per INSERT (the merged updates make rows large). */
const HISTORY_INSERT_BATCH = 200;
/** Lines kept after a restore's own line (a restore can undo a lot). */
const RESTORE_SUMMARY_LINES = 20;

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

export async function writeHistory(tx: Tx, ref: DocumentRef, store: StoreContext, history: HistoryConfig): Promise<void> {
  const { organizationId } = store;
  const groups = groupChanges(store.changes);
  if (!groups.length) return;
  // Already looked up when the projector asked (one query per store either way).
  await store.people.load(groups.map((g) => g.userId));
  const scope = { tx, ref, store };
  const doc = new Y.Doc({ gc: false, guid: ref.name }); // guid given: see persist in core/persistence.ts
  try {
    if (store.previous) Y.applyUpdate(doc, store.previous);
    const [{ sinceSnapshot, hasSnapshot }] = (
      await tx.execute<{ sinceSnapshot: number; hasSnapshot: boolean }>(sql`
        with last as (select max(id) as id from document_changes where document_name = ${ref.name} and snapshot is not null)
        select (select count(*)::int from document_changes where document_name = ${ref.name} and id > coalesce((select id from last), 0)) as "sinceSnapshot",
               (select id is not null from last) as "hasSnapshot"`)
    ).rows;
    let untilSnapshot = hasSnapshot ? SNAPSHOT_EVERY - sinceSnapshot : 0;

    type Entry = {
      id: number;
      update: Uint8Array;
      snapshot: Uint8Array | null;
      at: Date;
      user: Person | null;
      summary: ChangeSummary[];
      restoredFrom: number | null;
      after: unknown;
    };
    const entries: Entry[] = [];
    // Each group's "after" is the next one's "before": one read of the document per group.
    let after = history.read(doc);
    const pause = cooperative();
    for (const group of groups) {
      await pause();
      const before = after;
      for (const u of group.updates) Y.applyUpdate(doc, u);
      after = history.read(doc);
      let summary: ChangeSummary[] = await history.describe(before, after, scope);
      if (group.restoredFrom) summary = [history.restored(group.restoredFrom), ...summary.slice(0, RESTORE_SUMMARY_LINES)];
      if (!summary.length) continue; // e.g. an edit undone before it was stored: nothing to tell
      const snapshot = untilSnapshot <= 0 ? Y.encodeStateAsUpdate(doc) : null;
      untilSnapshot = snapshot ? SNAPSHOT_EVERY - 1 : untilSnapshot - 1;
      entries.push({
        id: 0,
        update: group.updates.length === 1 ? group.updates[0] : Y.mergeUpdates(group.updates),
        snapshot,
        at: group.at,
        user: store.people.get(group.userId),
        summary,
        restoredFrom: group.restoredFrom,
        after
      });
    }
    if (!entries.length) return;

    // Written in a handful of statements, not a few per entry: a busy board
    // brings dozens of entries per store, and round trips (and building big
    // INSERTs through the query builder) were most of its cost. Ids come from
    // the sequence first and go out ascending, so history order is change order.
    const idRows = await tx.execute<{ id: string }>(
      sql`select nextval(pg_get_serial_sequence('document_changes', 'id')) as id from generate_series(1, ${entries.length})`
    );
    const ids = idRows.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    entries.forEach((e, i) => (e.id = ids[i]));
    for (let i = 0; i < entries.length; i += HISTORY_INSERT_BATCH) {
      const batch = entries.slice(i, i + HISTORY_INSERT_BATCH);
      const col = <T>(f: (e: Entry) => T) => sql.param(batch.map(f));
      await tx.execute(sql`
        insert into document_changes (id, document_name, kind, user_id, update, snapshot, summary, restored_from, created_at)
        select u.id, ${ref.name}, ${ref.kind.kind}, u.user_id, u.update, u.snapshot, u.summary, u.restored_from, u.created_at
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
        action: e.restoredFrom ? history.audit.restored : history.audit.changed,
        entityType: history.audit.entityType,
        entityId: ref.id,
        after: { changeId: e.id, summary: e.summary.map((s) => s.text), ...(e.restoredFrom ? { restoredFrom: e.restoredFrom } : {}) },
        client: { via: 'collab', document: ref.name }
      }))
    );

    // @mentions: notify each mentioned person who can open the document (not the author).
    if (history.mentions) {
      for (const { user, summary, after: state } of entries) {
        if (user) await notifyMentions(history, { summary: summary as never[], after: state, author: user }, scope);
      }
    }
  } finally {
    doc.destroy();
  }
}
