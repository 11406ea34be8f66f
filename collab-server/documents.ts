/**
 * Document-kind registry: which live documents exist, who may open them, which
 * organisation owns their stored state, and what (if anything) is derived from
 * them when they are stored.
 *
 * A document name is `<kind>:<id>[:<suffix>]`. Adding a kind (`library:<id>`,
 * `submission:<id>:draft`, `submission:<id>:quote`, `dashboard:<id>`) is one
 * more entry in `documentKinds` below; nothing else in the server changes.
 * A name no kind matches is refused, both on connect and on load/store.
 */
import { and, eq } from 'drizzle-orm';
import type * as Y from 'yjs';
import type { Actor } from '../db/auth';
import type { DbOrTx, Tx } from '../db/client';
import { libraryAccess } from '../db/access/libraries';
import { libraries, memberships, type MembershipRole } from '../db/schema';
import { ensureLanes } from '../common/board';
import { projectLibraryBoard } from './library-board';

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
  /** Set by server-side edits that restore an earlier version (board history). */
  restoredFrom?: number | null;
}

/** A mention in a comment, to be turned into a notification (deduplicated by `key`). */
export interface MentionNotice {
  key: string;
  userId: string;
  organizationId: string | null;
  title: string;
  body: string | null;
  link: string;
}

/** What a projector gets besides the state: what was stored before, and what changed since, by whom. */
export interface StoreContext {
  /** The organisation owning the document (from `kind.organizationId`, read in this transaction). */
  organizationId: string;
  /** The state stored before this one (null for a new document). */
  previous: Uint8Array | null;
  /** Changes made through this node's connections since the last successful store, in order. */
  changes: RecordedChange[];
  /** Queue a notification (after the transaction commits). */
  notify(notice: MentionNotice): void;
}

/**
 * Derives rows from a document inside the transaction that stores its state.
 * `ydoc` is decoded from exactly the bytes being written (not the live document),
 * so the projection always matches the stored state. Throwing rolls back the
 * state write too; the store is retried (with the same recorded changes) and
 * the document stays dirty.
 */
export type Projector = (tx: Tx, documentName: string, ydoc: Y.Doc, ref: DocumentRef, store: StoreContext) => Promise<void>;

export interface DocumentKind {
  /** Short name used in logs and as the key of `projectors` overrides. */
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
}

/** Longest document name we look at; anything longer is refused without a query. */
export const MAX_DOCUMENT_NAME_LENGTH = 200;

/** Lower-case only, so one organisation has exactly one document name. */
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** Owners, admins and scientists edit; viewers read. */
export function accessForRole(role: MembershipRole | null | undefined): Access | null {
  switch (role) {
    case 'owner':
    case 'admin':
    case 'scientist':
      return 'edit';
    case 'viewer':
      return 'read';
    default:
      return null;
  }
}

/**
 * Access of `actor` to anything owned by `organizationId`, from the membership
 * row (not `actor.role`, which is the role in the session's *active*
 * organisation). An API token acts only in the organisation it is bound to.
 */
export async function organizationAccess(db: DbOrTx, actor: Actor, organizationId: string): Promise<Access | null> {
  if (actor.via === 'api_token' && actor.organization?.id !== organizationId) return null;
  const [m] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.userId, actor.user.id), eq(memberships.organizationId, organizationId)));
  return accessForRole(m?.role);
}

/** `organization:<uuid>`: one organisation-wide shared document (team notes). */
export const organizationDocument: DocumentKind = {
  kind: 'organization',
  noun: 'organisation',
  pattern: new RegExp(`^organization:(${UUID})$`),
  authorize: (db, actor, id) => organizationAccess(db, actor, id),
  organizationId: async (_db, id) => id
};

/**
 * `library:<uuid>`: a library's live board (see common/board.ts). Access from
 * the library's shares (db/access/libraries.ts): `edit` edits, `view` reads.
 */
export const libraryDocument: DocumentKind = {
  kind: 'library',
  noun: 'library',
  pattern: new RegExp(`^library:(${UUID})$`),
  async authorize(db, actor, id) {
    const grant = await libraryAccess(db, actor, id);
    return grant ? (grant.access === 'edit' ? 'edit' : 'read') : null;
  },
  async organizationId(db, id) {
    const [row] = await db.select({ organizationId: libraries.organizationId }).from(libraries).where(eq(libraries.id, id));
    return row?.organizationId ?? null;
  },
  project: projectLibraryBoard,
  initialize: (doc, origin) => void ensureLanes(doc, origin)
};

/** The registry. Order matters only if patterns overlap: the first match wins. */
export const documentKinds: readonly DocumentKind[] = [organizationDocument, libraryDocument];

export function resolveDocument(name: string, kinds: readonly DocumentKind[] = documentKinds): DocumentRef | null {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_DOCUMENT_NAME_LENGTH) return null;
  for (const kind of kinds) {
    const match = kind.pattern.exec(name);
    if (match?.[1]) return { name, kind, id: match[1] };
  }
  return null;
}
