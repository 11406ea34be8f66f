/**
 * What a live-document kind is, as the generic server sees it: a name
 * pattern, who may open a document, which organisation owns it, and the
 * services it opts into (projection, history with versions, restore and
 * mentions). Types only: kinds (collab-server/kinds/<kind>/) import this
 * file, the registry (documents.ts) imports the kinds, the core imports both,
 * so nothing here imports a kind and there is no cycle.
 */
import type * as Y from 'yjs';
import type { AccessEvent } from '../../common/access-events';
import type { Actor } from '../../db/auth';
import type { DbOrTx, Tx } from '../../db/client';

/** What a connection may do with a document. Read-only connections get `connectionConfig.readOnly`. */
export type Access = 'edit' | 'read';

/** A document name resolved against the registry. */
export interface DocumentRef {
  name: string;
  kind: DocumentKind;
  /** First capture group of `kind.pattern`, e.g. the organisation or library id. */
  id: string;
}

/** One change this node applied to a document since its last store, with who made it. */
export interface RecordedChange {
  /** The user whose connection sent it; null for the server itself (imports, restores by the system). */
  userId: string | null;
  update: Uint8Array;
  at: Date;
  /** Set by server-side edits that restore an earlier version (services/versions.ts). */
  restoredFrom?: number | null;
}

/** A notification to queue after the store commits (deduplicated by `key`): services/mentions.ts. */
export interface MentionNotice {
  key: string;
  userId: string;
  organizationId: string | null;
  /** Notification kind, from the document kind's `history.mentions.notification` (e.g. `library.mention`). */
  kind: string;
  title: string;
  body: string | null;
  link: string;
}

/** Someone a store names (change authors, card adders). */
export interface Person {
  id: string;
  name: string;
  email: string;
}

/** People looked up once per store, shared by the projection and the history (services/people.ts). */
export interface PeopleLookup {
  /** Looks up the ids not asked for yet, in one query; ids that are not users' stay unknown. */
  load(ids: Iterable<string | null | undefined>): Promise<void>;
  get(id: string | null | undefined): Person | null;
  has(id: string | null | undefined): boolean;
}

/** What a projector gets besides the state: what was stored before, and what changed since, by whom. */
export interface StoreContext {
  /** The organisation owning the document (from `kind.organizationId`, read in this transaction). */
  organizationId: string;
  /** The state stored before this one (null for a new document; read only for kinds with a projector or history). */
  previous: Uint8Array | null;
  /** Changes made through this node's connections since the last successful store, in order. */
  changes: RecordedChange[];
  /** Queue a notification (after the transaction commits). */
  notify(notice: MentionNotice): void;
  people: PeopleLookup;
  /**
   * A value made once per store and shared by a kind's projector and its
   * history (e.g. registry labels looked up once for both): round trips are
   * most of a store's cost on a busy server.
   */
  memo<T>(key: symbol, make: () => T): T;
}

/**
 * Derives rows from a document inside the transaction that stores its state.
 * `ydoc` is decoded from exactly the bytes being written (not the live document),
 * so the projection always matches the stored state. Throwing rolls back the
 * state write too; the store is retried (with the same recorded changes) and
 * the document stays dirty.
 */
export type Projector = (tx: Tx, documentName: string, ydoc: Y.Doc, ref: DocumentRef, store: StoreContext) => Promise<void>;

/** One line of a history entry, e.g. `{ kind: 'card.moved', text: 'moved CX-000012 from Make to Test' }`. */
export interface ChangeSummary {
  kind: string;
  text: string;
}

/** What a history describer and a mention finder are given. */
export interface HistoryScope {
  tx: Tx;
  ref: DocumentRef;
  store: StoreContext;
}

/** A history entry as a mention finder sees it: what it says, the state after it, who made it. */
export interface HistoryEntryView<State, Summary extends ChangeSummary> {
  summary: Summary[];
  after: State;
  author: Person;
}

/** A person named in a change; services/mentions.ts checks they exist and may open the document. */
export interface Mention {
  /** One notification per key (a retried store finds the same mention again). */
  key: string;
  userId: string;
  title: string;
  body: string | null;
  link: string;
}

/**
 * History, and with it versions and restore (services/history.ts,
 * services/versions.ts): one `document_changes` row per run of changes by one
 * person per store, described in words by the kind, a snapshot every
 * SNAPSHOT_EVERY rows, an audit event per row.
 */
export interface HistoryConfig<State = any, Summary extends ChangeSummary = any> {
  /** Reads a document into what `describe` compares. */
  read(doc: Y.Doc): State;
  /** What changed, in words; empty when nothing worth telling did (the entry is skipped). */
  describe(before: State, after: State, scope: HistoryScope): Summary[] | Promise<Summary[]>;
  /** The first line of an entry that restored change `changeId`. */
  restored(changeId: number): Summary;
  /** Makes `doc` look like `version` (an earlier state), as one change (restoreVersion). */
  restore(doc: Y.Doc, version: Y.Doc): void;
  /** Audit event per entry: entity type (id = the document's id) and actions. */
  audit: { entityType: string; changed: string; restored: string };
  /** @mentions become notifications for the people named who may open the document. */
  mentions?: {
    /** `notifications.kind` of what is sent. */
    notification: string;
    find(entry: HistoryEntryView<State, Summary>, scope: HistoryScope): Mention[] | Promise<Mention[]>;
  };
}

export interface DocumentKind {
  /** Short name used in logs, in `document_changes.kind`, and as the key of `projectors` overrides. */
  kind: string;
  /** What people call it, in messages such as "Your access to this library was removed". Default "document". */
  noun?: string;
  /** Matches the whole document name; capture group 1 is the id. Anchor it (`^…$`). */
  pattern: RegExp;
  /** May `actor` open document `id`? `null` refuses the connection. */
  authorize(db: DbOrTx, actor: Actor, id: string): Promise<Access | null>;
  /** Organisation owning the document (written to `collab_documents.organization_id`); null refuses to store. */
  organizationId(db: DbOrTx, id: string): Promise<string | null>;
  project?: Projector;
  /** Shapes a document after it is loaded (e.g. default lanes); must be idempotent. Runs in one transaction with `origin`. */
  initialize?(doc: Y.Doc, origin: unknown): void;
  /** Opts into history, versions, restore and (with `mentions`) @mention notifications. */
  history?: HistoryConfig;
  /**
   * Does an access event about something of this kind (e.g. a library's
   * shares) concern document `id`? Membership, session and token events are
   * matched for every kind by the access watch.
   */
  concerns?(event: AccessEvent, id: string): boolean;
}

/** Longest document name we look at; anything longer is refused without a query. */
export const MAX_DOCUMENT_NAME_LENGTH = 200;

/** Lower-case only, so one document has exactly one name. */
export const UUID_PATTERN = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** The registry's lookup: the first kind whose pattern matches the whole name. */
export function resolveIn(name: string, kinds: readonly DocumentKind[]): DocumentRef | null {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_DOCUMENT_NAME_LENGTH) return null;
  for (const kind of kinds) {
    const match = kind.pattern.exec(name);
    if (match?.[1]) return { name, kind, id: match[1] };
  }
  return null;
}
