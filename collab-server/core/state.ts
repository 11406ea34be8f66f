/**
 * The one store-state object the core extensions share (guard, auth,
 * persistence, change log, Redis sync, update log). Everything mutable a
 * document's life touches across extensions lives here, with who writes it:
 *
 *  - `changes`: what this node applied to each document since its last
 *    successful store, with authors (written by the change log and the update
 *    log's replay, taken by a store, put back when the store fails);
 *  - `dirty`: documents whose last store failed (persistence);
 *  - `owners`: each loaded document's organisation, from its first store
 *    (persistence; forgotten on unload by the change log);
 *  - `storeSlots`: stores running at once, across documents.
 */
import { EventEmitter } from 'node:events';
import { Semaphore } from 'async-mutex';
import type { Db } from '../../db/client';
import type { CollabEvents, CollabLogger } from './context';
import { actorUserId, type CollabContext } from './context';
import type { DocumentKind, Projector, RecordedChange } from './kind';
import { durableUpdates } from './update-log';

export interface StoreState {
  readonly db: Db;
  readonly kinds: readonly DocumentKind[];
  /** Projector overrides by kind name; take precedence over `kind.project`. */
  readonly projectors: Readonly<Record<string, Projector>>;
  readonly log: CollabLogger;
  readonly events: EventEmitter<CollabEvents>;
  readonly changes: Map<string, RecordedChange[]>;
  readonly dirty: Set<string>;
  readonly owners: Map<string, string>;
  /**
   * Stores running at once, across documents. Boards that started together
   * reach their debounce limit together; a few hundred stores at once would
   * queue their CPU work (and Postgres replies) in front of live messages for
   * a whole burst, where a few at a time let messages through in between.
   */
  readonly storeSlots: Semaphore;
  /** The durable update log (update-log.ts): its extension and what the change log and stores call. */
  readonly durable: ReturnType<typeof durableUpdates>;
  /** Did this transaction come from another node (Redis)? Those nodes record and log their own changes. Set by redis-sync.ts. */
  fromOtherNode(origin: unknown): boolean;
}

export function createStoreState(opts: {
  db: Db;
  kinds: readonly DocumentKind[];
  projectors: Readonly<Record<string, Projector>>;
  log: CollabLogger;
  concurrentStores: number;
}): StoreState {
  const changes = new Map<string, RecordedChange[]>();
  return {
    db: opts.db,
    kinds: opts.kinds,
    projectors: opts.projectors,
    log: opts.log,
    events: new EventEmitter<CollabEvents>(),
    changes,
    dirty: new Set(),
    owners: new Map(),
    storeSlots: new Semaphore(opts.concurrentStores),
    durable: durableUpdates({
      db: opts.db,
      logger: opts.log,
      authorOf: (context) => actorUserId((context as Partial<CollabContext> | undefined)?.actor),
      // Replayed at load, so ahead of any change made since.
      record: (documentName, replayed) => putBackChanges(changes, documentName, replayed)
    }),
    fromOtherNode: () => false
  };
}

/** Puts `earlier` in front of whatever was recorded for the document since (a failed store's changes, a replay). */
export function putBackChanges(changes: Map<string, RecordedChange[]>, documentName: string, earlier: RecordedChange[]) {
  changes.set(documentName, [...earlier, ...(changes.get(documentName) ?? [])]);
}
