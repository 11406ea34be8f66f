/**
 * Durable live edits: every update the collab-server applies is in Postgres
 * (`collab_updates`) before the client hears it was applied.
 *
 * What "acknowledged" means (Hocuspocus 3.4, MessageReceiver.readSyncMessage):
 * the server applies a sync step 2 / update message and, in the same
 * synchronous step, replies `syncStatus(true)`; the provider counts that reply
 * down in `unsyncedChanges`. Before it, Hocuspocus awaits the
 * `beforeHandleMessage` hooks: this extension appends the message's update
 * there and returns only once the INSERT has committed. So a provider that
 * shows its edits as synced has them in the log, whatever happens to the
 * process afterwards (SIGKILL inside the 2 s store debounce included).
 *
 * - Group commit: appends waiting while an INSERT is in flight go out together
 *   in the next one (one statement, one commit, one fsync for the batch), so
 *   a busy server pays round trips per batch, not per edit.
 * - Changes that do not come from a client message (server-side edits over a
 *   direct connection, a kind's `initialize`) are appended as they are
 *   applied; a store waits for those appends (`settled`), so `withDocument`
 *   returns with the change both stored and out of the log.
 * - Load: the stored state, then the log rows after it (`replay`, in the
 *   extension's onLoadDocument, after Persistence's). The rows also go into
 *   the server's change log with their authors, so the next store writes the
 *   history of what the crash interrupted, credited to who made it.
 * - A store deletes, in its own transaction, the rows whose update the state
 *   it writes contains (`takeCovered` checks each row against the document:
 *   structs within its state vector, deletions within its delete set). Rows it
 *   cannot vouch for stay and are replayed (harmlessly, Yjs updates are
 *   idempotent) on the next load.
 * - Refusing to apply what is not durable: if the append fails (Postgres
 *   down), the message is not applied and the connection is closed with 1013
 *   (try again later); the provider reconnects and sends the edit again.
 *
 * Order: the extension has a priority below the default, so each of its hooks
 * runs after every other extension's: its beforeHandleMessage is the last
 * before Hocuspocus applies the message (it never logs an update the guard
 * or an access check refuses: a logged row is replayed), its onLoadDocument
 * comes after Persistence's (the rows go on top of the stored state).
 */
import {
  Connection,
  type Extension,
  type afterLoadDocumentPayload,
  type beforeHandleMessagePayload,
  type onLoadDocumentPayload
} from '@hocuspocus/server';
import { eq, sql } from 'drizzle-orm';
import * as Y from 'yjs';
import type { Db, Tx } from '../../db/client';
import { collabUpdates } from '../../db/schema';
import { clientUpdate } from './client-messages';
import type { RecordedChange } from './kind';

/** A row of `collab_updates`. */
export type LoggedUpdate = typeof collabUpdates.$inferSelect;
type NewLoggedUpdate = Pick<LoggedUpdate, 'documentName' | 'update' | 'userId' | 'restoredFrom' | 'createdAt'>;

/** Rows per INSERT, and bytes: a batch is one statement with array parameters. */
const MAX_BATCH_ROWS = 1000;
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

interface Logger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** An update with no structs and an empty delete set (a client already in sync). */
const isEmptyUpdate = (update: Uint8Array) => update.byteLength === 2 && update[0] === 0 && update[1] === 0;

/** Is the range [clock, clock + len) of a client deleted in `items` (sorted, adjacent ranges merged)? */
function rangeDeleted(items: readonly { clock: number; len: number }[], clock: number, len: number): boolean {
  let lo = 0;
  let hi = items.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const item = items[mid];
    if (item.clock + item.len <= clock) lo = mid + 1;
    else if (item.clock > clock) hi = mid - 1;
    else return clock + len <= item.clock + item.len;
  }
  return false;
}

/** Does the document whose snapshot this is contain everything `update` holds? */
function snapshotHolds(snapshot: Y.Snapshot, update: Uint8Array): boolean {
  const { structs, ds } = Y.decodeUpdate(update);
  for (const s of structs) {
    if (s instanceof Y.Skip) continue;
    if ((snapshot.sv.get(s.id.client) ?? 0) < s.id.clock + s.length) return false;
  }
  for (const [client, items] of ds.clients) {
    const deleted = snapshot.ds.clients.get(client) ?? [];
    for (const item of items) if (!rangeDeleted(deleted, item.clock, item.len)) return false;
  }
  return true;
}

/** The `collab_updates` table: group-committed appends, reads for replay, deletes after a store. */
export class UpdateLog {
  private queue: Array<{ row: NewLoggedUpdate; resolve(id: number): void; reject(error: unknown): void }> = [];
  private writing: Promise<void> | null = null;
  /** Rows whose update is in the live document here and no store has covered yet, per document. */
  private readonly unstored = new Map<string, Array<{ id: number; update: Uint8Array }>>();
  /** Appends of server-side changes still in flight, per document (a store waits for them). */
  private readonly inflight = new Map<string, Set<Promise<void>>>();

  constructor(
    private readonly db: Db,
    private readonly log: Logger
  ) {}

  /** Resolves with the row's id once its INSERT has committed. */
  append(row: NewLoggedUpdate): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.writing ??= this.write();
    });
  }

  /**
   * One INSERT at a time; whatever queued up meanwhile is the next batch. The
   * first waits for the I/O callbacks already due (setImmediate): messages
   * that arrived together (one socket read holds several frames, several
   * sockets are readable at once) go out in one INSERT and are applied together.
   */
  private async write() {
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length) {
      let bytes = 0;
      let n = 0;
      while (n < this.queue.length && n < MAX_BATCH_ROWS && (n === 0 || bytes + this.queue[n].row.update.byteLength <= MAX_BATCH_BYTES)) {
        bytes += this.queue[n].row.update.byteLength;
        n++;
      }
      const batch = this.queue.splice(0, n);
      try {
        const ids = await this.insert(batch.map((b) => b.row));
        batch.forEach((b, i) => b.resolve(ids[i]));
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.writing = null;
  }

  private async insert(rows: NewLoggedUpdate[]): Promise<number[]> {
    const col = <T>(f: (r: NewLoggedUpdate) => T) => sql.param(rows.map(f));
    const result = await this.db.execute<{ id: string }>(sql`
      insert into ${collabUpdates} (document_name, update, user_id, restored_from, created_at)
      select * from unnest(${col((r) => r.documentName)}::text[], ${col((r) => r.update)}::bytea[], ${col((r) => r.userId)}::uuid[],
                           ${col((r) => r.restoredFrom)}::bigint[], ${col((r) => r.createdAt.toISOString())}::timestamptz[])
      returning id`);
    // Ids come from the sequence in the order the rows are inserted, which is the array order.
    return result.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  }

  /** The document's rows in log order. */
  async read(documentName: string): Promise<LoggedUpdate[]> {
    return this.db.select().from(collabUpdates).where(eq(collabUpdates.documentName, documentName)).orderBy(collabUpdates.id);
  }

  /** Row `id`'s update is (about to be) in the live document: a later store may delete it. */
  applied(documentName: string, id: number, update: Uint8Array) {
    const list = this.unstored.get(documentName) ?? [];
    list.push({ id, update });
    this.unstored.set(documentName, list);
  }

  /** A change the server made itself (applied already): logged without holding anything up. */
  appendServerChange(row: NewLoggedUpdate) {
    const { documentName } = row;
    const pending = this.inflight.get(documentName) ?? new Set<Promise<void>>();
    this.inflight.set(documentName, pending);
    const append: Promise<void> = this.append(row).then(
      (id) => this.applied(documentName, id, row.update),
      // The store that follows every server-side change makes it durable anyway.
      (error: Error) => this.log.warn(`logging a server-side change of ${documentName} failed:`, error?.message ?? error)
    );
    pending.add(append);
    void append.finally(() => pending.delete(append));
  }

  /** Resolves when the server-side changes appended so far are in the log. */
  async settled(documentName: string) {
    const pending = this.inflight.get(documentName);
    if (pending?.size) await Promise.all(pending);
  }

  /**
   * The rows a state encoded from `doc` right now contains (call it in the same
   * synchronous step as the encoding). They are taken out of `unstored`;
   * `putBack` returns them if the store fails.
   */
  takeCovered(documentName: string, doc: Y.Doc): { ids: number[]; putBack(): void } {
    const rows = this.unstored.get(documentName);
    if (!rows?.length) return { ids: [], putBack: () => {} };
    const snapshot = Y.snapshot(doc);
    const covered: typeof rows = [];
    const rest: typeof rows = [];
    for (const r of rows) (snapshotHolds(snapshot, r.update) ? covered : rest).push(r);
    this.unstored.set(documentName, rest);
    return {
      ids: covered.map((r) => r.id),
      putBack: () => this.unstored.set(documentName, [...covered, ...(this.unstored.get(documentName) ?? [])])
    };
  }

  /** Deletes rows a store has covered, in the store's transaction. */
  async discard(tx: Tx, ids: readonly number[]) {
    if (ids.length) await tx.execute(sql`delete from ${collabUpdates} where id = any(${sql.param(ids)}::bigint[])`);
  }

  /** Deletes a row whose update was logged but will not be applied (its connection became read-only). */
  drop(id: number) {
    this.db
      .execute(sql`delete from ${collabUpdates} where id = ${id}`)
      .catch((error: Error) => this.log.error(`deleting unapplied update ${id} failed (it would be replayed):`, error.message));
  }

  /** The document left memory: what was not covered stays in the table for the next load. */
  forget(documentName: string) {
    this.unstored.delete(documentName);
  }
}

export interface DurableUpdatesOptions {
  db: Db;
  logger: Logger;
  /** The user a connection's context stands for (null: the server itself). */
  authorOf(context: unknown): string | null;
  /** Puts replayed rows into the server's change log, ahead of anything later (the history of the next store). */
  record(documentName: string, changes: RecordedChange[]): void;
}

/**
 * The durable log wired for the server (collab-server/server.ts): one extension (client messages, load),
 * and what the change recorder and the store call.
 *
 * Authorship needs nothing more: every edit the server acknowledged is in the
 * log with its sender, and a load replays the log before any client message
 * is handled, so what a client resends after a restart is already in the
 * document (credited from its row) and whatever is new in a message is the
 * sender's own.
 */
export function durableUpdates(opts: DurableUpdatesOptions) {
  const log = new UpdateLog(opts.db, opts.logger);
  /** Documents whose load replayed log rows (a store is scheduled once they are loaded). */
  const replayed = new Set<string>();
  const closing = (reason: string) => Object.assign(new Error(`update not applied: ${reason}`), { code: 1013, reason });

  const extension: Extension = {
    extensionName: 'CrosslinkUpdateLog',
    // Below the default (100): last in every hook chain (see the header).
    priority: 10,
    async beforeHandleMessage({ update: data, connection, documentName, context }: beforeHandleMessagePayload) {
      // Read-only connections' updates are not applied (Hocuspocus answers them itself).
      if (connection.readOnly) return;
      const update = clientUpdate(data);
      if (!update || isEmptyUpdate(update)) return;
      let id: number;
      try {
        id = await log.append({ documentName, update, userId: opts.authorOf(context), restoredFrom: null, createdAt: new Date() });
      } catch (error) {
        opts.logger.error(`logging an update to ${documentName} failed; closing ${connection.socketId} so its client resends later:`, (error as Error)?.message ?? error);
        throw closing('update-log-unavailable');
      }
      // Access may have changed while the INSERT ran: Hocuspocus checks readOnly when it applies.
      if (connection.readOnly) log.drop(id);
      else log.applied(documentName, id, update);
    },

    async onLoadDocument({ documentName, document }: onLoadDocumentPayload) {
      const rows = (await log.read(documentName)).filter((r) => {
        try {
          Y.decodeUpdate(r.update);
          return true;
        } catch (error) {
          opts.logger.error(`${documentName}: skipping log row ${r.id}, its update does not decode:`, error);
          return false;
        }
      });
      if (!rows.length) return;
      Y.applyUpdate(document, Y.mergeUpdates(rows.map((r) => r.update)));
      for (const r of rows) log.applied(documentName, r.id, r.update);
      opts.record(
        documentName,
        rows.map((r) => ({ userId: r.userId, update: r.update, at: r.createdAt, restoredFrom: r.restoredFrom }))
      );
      replayed.add(documentName);
      opts.logger.info(`${documentName}: replayed ${rows.length} logged update(s) not yet in the stored state`);
    },

    async afterLoadDocument(payload: afterLoadDocumentPayload) {
      if (!replayed.delete(payload.documentName)) return;
      // What the replay brought back is a change like any other: stored (with
      // its projection and history) after the debounce, or when the last client
      // leaves. Without this a board nobody edits again would keep it only in the log.
      void payload.instance.storeDocumentHooks(payload.document, { ...payload, clientsCount: payload.document.getConnectionsCount() });
    },

    async afterUnloadDocument({ documentName }) {
      log.forget(documentName);
    }
  };

  return {
    extension,

    /**
     * Called for every change applied on this node (not those from other nodes:
     * they log their own). Client messages were logged before they were
     * applied; the server's own changes are logged now.
     */
    changed(documentName: string, update: Uint8Array, origin: unknown, context: unknown, restoredFrom: number | null) {
      if (origin instanceof Connection) return;
      log.appendServerChange({ documentName, update, userId: opts.authorOf(context), restoredFrom, createdAt: new Date() });
    },

    /** Before a store takes the state: server-side changes so far are in the log. */
    settled: (documentName: string) => log.settled(documentName),
    takeCovered: (documentName: string, doc: Y.Doc) => log.takeCovered(documentName, doc),
    discard: (tx: Tx, ids: readonly number[]) => log.discard(tx, ids)
  };
}
