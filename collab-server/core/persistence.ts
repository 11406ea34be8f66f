/**
 * CrosslinkPersistence: `@hocuspocus/extension-database` with a typed fetch
 * and a store of our own. A store decodes the state first (a state that does
 * not decode is never written), then, in ONE Postgres transaction, upserts it
 * into `collab_documents`, deletes the update-log rows it covers, and runs the
 * services the document's kind opted into: its projection, then its history
 * (services/history.ts: words, versions, audit, mentions). A failing service
 * rolls the state back. Failed stores are retried, the document is kept
 * "dirty" and stored again on the next change, on `flush()` and before it is
 * unloaded. After a store the document's clients get a `stored` notice
 * (common/collab-notices.ts) and notifications are queued.
 */
import { Database } from '@hocuspocus/extension-database';
import type { beforeUnloadDocumentPayload, Document, Hocuspocus, onChangePayload, onStoreDocumentPayload } from '@hocuspocus/server';
import { eq, sql } from 'drizzle-orm';
import * as Y from 'yjs';
import { storedNotice } from '../../common/collab-notices';
import { AppError } from '../../common/errors';
import type { QueueClient } from '../../common/queues';
import { collabDocuments } from '../../db/schema';
import { writeHistory } from '../services/history';
import { deliverNotices } from '../services/mentions';
import { peopleLookup } from '../services/people';
import { projectorOf } from '../services/projection';
import { resolveIn, type MentionNotice, type StoreContext } from './kind';
import { putBackChanges, type StoreState } from './state';

class CorruptStateError extends Error {
  constructor(documentName: string, cause: unknown) {
    super(`${documentName}: refusing to store a state that does not decode`, { cause });
    this.name = 'CorruptStateError';
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface PersistenceOptions {
  /** Waits between store attempts; attempts = length + 1. */
  storeRetryDelaysMs: readonly number[];
  /** Where notifications go (the `notifications` queue). */
  queues?: Pick<QueueClient, 'enqueue'>;
  /** The running Hocuspocus (for the `stored` notice), known once the server is built. */
  hocuspocus(): Hocuspocus;
}

export function persistence(state: StoreState, opts: PersistenceOptions) {
  const { db, kinds, log, events, changes, dirty, owners, durable } = state;

  /** Encode and decode the live document, then upsert state + run the kind's services in one transaction. */
  async function persist(documentName: string, document: Y.Doc) {
    const ref = resolveIn(documentName, kinds);
    if (!ref) throw new AppError('NOT_FOUND', `${documentName}: no document kind matches this name`);
    await durable.settled(documentName);
    // State, changes and covered log rows taken together, after the last await: the
    // changes are exactly those in `state` not yet stored by this node (a retry takes both again).
    const encoded = Y.encodeStateAsUpdate(document);
    const taken = changes.get(documentName) ?? [];
    changes.delete(documentName);
    const logged = durable.takeCovered(documentName, document);
    const notices: MentionNotice[] = [];
    // A guid given, not generated: Y.Doc's default (uuidv4) draws 31 random numbers, one
    // getRandomValues call each, and that was 4 % of the server's CPU under load.
    const snapshot = new Y.Doc({ guid: documentName });
    try {
      try {
        Y.applyUpdate(snapshot, encoded);
      } catch (error) {
        throw new CorruptStateError(documentName, error);
      }
      const projector = projectorOf(ref.kind, state.projectors);
      const history = ref.kind.history;
      const organizationId = await db.transaction(async (tx) => {
        // A document's owner never changes: asked once per load (one round trip less per store).
        const organizationId = owners.get(documentName) ?? (await ref.kind.organizationId(tx, ref.id));
        if (!organizationId) throw new AppError('NOT_FOUND', `${documentName}: owning organisation not found`);
        const [prev] =
          projector || history
            ? await tx.select({ state: collabDocuments.state }).from(collabDocuments).where(eq(collabDocuments.name, documentName)).for('update')
            : [];
        await tx
          .insert(collabDocuments)
          .values({ name: documentName, organizationId, state: encoded })
          .onConflictDoUpdate({
            target: collabDocuments.name,
            set: { organizationId, state: encoded, updatedAt: sql`now()` }
          });
        await durable.discard(tx, logged.ids);
        if (projector || history) {
          const memo = new Map<symbol, unknown>();
          const store: StoreContext = {
            organizationId,
            previous: prev?.state ?? null,
            changes: taken,
            notify: (n) => notices.push(n),
            people: peopleLookup(tx),
            memo: <T>(key: symbol, make: () => T): T => {
              if (!memo.has(key)) memo.set(key, make());
              return memo.get(key) as T;
            }
          };
          if (projector) await projector(tx, documentName, snapshot, ref, store);
          if (history) await writeHistory(tx, ref, store, history);
        }
        return organizationId;
      });
      owners.set(documentName, organizationId);
      deliverNotices(opts.queues, log, notices);
      return { organizationId, bytes: encoded.byteLength };
    } catch (error) {
      // Not stored: keep the changes for the next attempt, before any that came in meanwhile.
      putBackChanges(changes, documentName, taken);
      logged.putBack();
      throw error;
    } finally {
      snapshot.destroy();
    }
  }

  /**
   * Never throws: a rejection here would surface as an unhandled rejection from
   * Hocuspocus's debounce timer and take the process down. Failure is reported
   * through `storeFailed`, the log and `isDirty()`.
   */
  async function persistWithRetry(documentName: string, document: Y.Doc): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await state.storeSlots.runExclusive(() => persist(documentName, document));
        dirty.delete(documentName);
        // Tell the document's clients (on every node) that what they have is stored.
        opts.hocuspocus().documents.get(documentName)?.broadcastStateless(storedNotice());
        events.emit('stored', { documentName, ...result });
        return true;
      } catch (error) {
        const final = attempt > opts.storeRetryDelaysMs.length || error instanceof CorruptStateError;
        events.emit('storeFailed', { documentName, error, attempt, final });
        if (final) {
          dirty.add(documentName);
          log.error(`storing ${documentName} failed (attempt ${attempt}, giving up until the next change):`, error);
          return false;
        }
        log.warn(`storing ${documentName} failed (attempt ${attempt}, retrying):`, (error as Error)?.message ?? error);
        await delay(opts.storeRetryDelaysMs[attempt - 1]);
      }
    }
  }

  /** Store the live document again if its last store failed. */
  async function storeIfDirty(document: Document) {
    if (!dirty.has(document.name)) return;
    await document.saveMutex.runExclusive(() => persistWithRetry(document.name, document));
  }

  // The Database extension with a typed fetch, plus: stores encode the live
  // document themselves, when a store slot is free (the extension's own
  // onStoreDocument encodes it before `store` and that state could be older
  // than the changes taken with it); and a last chance for a dirty document
  // before it leaves memory (e.g. the database was down during its last store
  // and came back while the document sat idle).
  class Persistence extends Database {
    async onStoreDocument({ documentName, document }: onStoreDocumentPayload) {
      await persistWithRetry(documentName, document);
    }
    async beforeUnloadDocument({ document }: beforeUnloadDocumentPayload) {
      await storeIfDirty(document);
    }
    // Hocuspocus stores only changes that came from this node's own
    // connections; store changes that arrived from other nodes as well (see redis-sync.ts).
    async onChange(data: onChangePayload) {
      if (state.fromOtherNode(data.transactionOrigin)) {
        void data.instance.storeDocumentHooks(data.document, data);
      }
    }
  }
  const extension = new Persistence({
    async fetch({ documentName }) {
      // Throw rather than return null on errors: an empty document stored over
      // the real one would lose it.
      if (!resolveIn(documentName, kinds)) {
        throw new AppError('NOT_FOUND', `${documentName}: no document kind matches this name`);
      }
      const [row] = await db.select({ state: collabDocuments.state }).from(collabDocuments).where(eq(collabDocuments.name, documentName));
      return row?.state ?? null;
    }
  });

  return { extension, persistWithRetry, storeIfDirty };
}
