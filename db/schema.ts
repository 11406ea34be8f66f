/**
 * The system of record. Every table that holds an organisation's data has an
 * `organization_id`; the access layer in `db/access/` is the only code that
 * reads or writes these tables for a request and always scopes by it.
 * Change this file, then `npm run db:generate` and commit the migration.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type PgDoublePrecisionBuilderInitial,
  type PgIntegerBuilderInitial
} from 'drizzle-orm/pg-core';
import { DESCRIPTORS, type Descriptor } from '../chem/descriptors';

const bytea = customType<{ data: Uint8Array; driverData: Buffer }>({
  dataType: () => 'bytea',
  toDriver: (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength),
  fromDriver: (v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
});

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

type DescriptorColumn<D extends Descriptor> = D['type'] extends 'integer'
  ? PgIntegerBuilderInitial<D['key']>
  : PgDoublePrecisionBuilderInitial<D['key']>;
/** One nullable column per computed descriptor (chem/descriptors.ts), named by its key, in its order. */
const descriptorColumns = () =>
  Object.fromEntries(DESCRIPTORS.map((d) => [d.field, d.type === 'integer' ? integer(d.key) : doublePrecision(d.key)])) as {
    [D in Descriptor as D['field']]: DescriptorColumn<D>;
  };

export const organizationKind = pgEnum('organization_kind', ['pharma', 'cro']);
export const membershipRole = pgEnum('membership_role', ['owner', 'admin', 'scientist', 'viewer']);

export const organizations = pgTable('organizations', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  kind: organizationKind('kind').notNull(),
  /** Last registry number handed out; a chunk reserves a range with one UPDATE … RETURNING. */
  moleculeCounter: integer('molecule_counter').notNull().default(0),
  createdAt: createdAt()
});

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Stored lower-cased; unique. */
    email: text('email').notNull(),
    name: text('name').notNull(),
    /** argon2id PHC string. */
    passwordHash: text('password_hash').notNull(),
    createdAt: createdAt()
  },
  (t) => [uniqueIndex('users_email_key').on(t.email)]
);

export const memberships = pgTable(
  'memberships',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    role: membershipRole('role').notNull(),
    createdAt: createdAt()
  },
  (t) => [primaryKey({ columns: [t.userId, t.organizationId] }), index('memberships_org_idx').on(t.organizationId)]
);

/**
 * Lucia-style sessions: the client holds a random token, we store only
 * SHA-256(token) as the id, so a leaked table cannot be replayed.
 */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Organisation the user is working in; switched from the app shell. */
    activeOrganizationId: uuid('active_organization_id').references(() => organizations.id, {
      onDelete: 'set null'
    }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    userAgent: text('user_agent'),
    createdAt: createdAt()
  },
  (t) => [index('sessions_user_idx').on(t.userId)]
);

/** Long-lived tokens for scripts; bound to one organisation; stored hashed, shown once. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    /** First characters of the token, shown in lists so people can tell tokens apart. */
    prefix: text('prefix').notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt()
  },
  (t) => [uniqueIndex('api_tokens_hash_key').on(t.tokenHash), index('api_tokens_user_idx').on(t.userId)]
);

/** Invitation by link: the link carries a random token; we keep its hash. */
export const invitations = pgTable(
  'invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    role: membershipRole('role').notNull(),
    /** Optional: when set, only this address may accept. */
    email: text('email'),
    tokenHash: text('token_hash').notNull(),
    createdBy: uuid('created_by')
      .notNull()
      .references(() => users.id),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    acceptedBy: uuid('accepted_by').references(() => users.id),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt()
  },
  (t) => [uniqueIndex('invitations_token_key').on(t.tokenHash), index('invitations_org_idx').on(t.organizationId)]
);

/** Persisted notifications; the bell shows them and socket.io pushes new ones live. */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    organizationId: uuid('organization_id').references(() => organizations.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    title: text('title').notNull(),
    body: text('body'),
    link: text('link'),
    readAt: timestamp('read_at', { withTimezone: true }),
    createdAt: createdAt()
  },
  (t) => [index('notifications_user_idx').on(t.userId, t.createdAt)]
);

/**
 * Yjs state of each live document (`library:<id>`, `submission:<id>:draft`, …),
 * one row per document, written by the collab-server's persistence extension.
 */
export const collabDocuments = pgTable('collab_documents', {
  name: text('name').primaryKey(),
  organizationId: uuid('organization_id').references(() => organizations.id, { onDelete: 'cascade' }),
  state: bytea('state').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
});

/**
 * Append-only, hash-chained audit trail (21 CFR Part 11 style): each event's
 * hash covers its content and the previous event's hash in the same
 * organisation, so editing or deleting a row breaks the chain visibly.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    organizationId: uuid('organization_id').references(() => organizations.id, { onDelete: 'cascade' }),
    /** Who acted: kept when the user is deleted (no foreign key: it is hashed, so nothing may rewrite it; migration 0004). */
    actorUserId: uuid('actor_user_id'),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id'),
    before: jsonb('before'),
    after: jsonb('after'),
    /** Where the change came from: `web`, `api`, `collab`, `worker`, with client details. */
    client: jsonb('client'),
    createdAt: createdAt(),
    prevHash: text('prev_hash'),
    hash: text('hash').notNull()
  },
  (t) => [index('audit_events_org_idx').on(t.organizationId, t.id), index('audit_entity_idx').on(t.entityType, t.entityId)]
);

/**
 * Signed heads of each organisation's audit chain. A checkpoint names the last
 * event it covers, how many events the chain had up to it and that event's
 * hash, signed (HMAC-SHA256) with a key the database never holds
 * (AUDIT_CHECKPOINT_KEY). Rewriting the chain forward or deleting its newest
 * events no longer verifies against the checkpoints. Append-only for the app role.
 */
export const auditCheckpoints = pgTable(
  'audit_checkpoints',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** null: the chain of events that belong to no organisation. */
    organizationId: uuid('organization_id').references(() => organizations.id, { onDelete: 'cascade' }),
    lastEventId: bigint('last_event_id', { mode: 'number' }).notNull(),
    eventCount: bigint('event_count', { mode: 'number' }).notNull(),
    headHash: text('head_hash').notNull(),
    /** Which key signed it (a fingerprint of the key, never the key). */
    keyId: text('key_id').notNull(),
    signature: text('signature').notNull(),
    createdAt: createdAt()
  },
  (t) => [index('audit_checkpoints_org_idx').on(t.organizationId, t.id)]
);

/**
 * Durable log of live-document updates the collab-server has applied and not
 * yet folded into `collab_documents.state`: written as an update is applied
 * (before the client can see it acknowledged), replayed on load, deleted up to
 * the id a successful store covered. A collab-server killed within the store
 * debounce loses nothing it acknowledged.
 */
export const collabUpdates = pgTable(
  'collab_updates',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    documentName: text('document_name').notNull(),
    update: bytea('update').notNull(),
    /** Author of the update (null: the server itself). */
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    /** A restore says which change it goes back to. */
    restoredFrom: bigint('restored_from', { mode: 'number' }),
    createdAt: createdAt()
  },
  (t) => [index('collab_updates_document_idx').on(t.documentName, t.id)]
);

// ── Molecule registry ──────────────────────────────────────────────────────

export const importStatus = pgEnum('import_status', ['queued', 'running', 'completed', 'failed', 'cancelled', 'reverted']);
export const importFormat = pgEnum('import_format', ['csv', 'tsv', 'sdf']);

/**
 * One row per structure per organisation (standard InChIKey). Descriptor
 * columns are null until the second pass has computed them (`descriptors_at`).
 */
export const molecules = pgTable(
  'molecules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** Per-organisation number shown as CX-000123. */
    registryNumber: integer('registry_number').notNull(),
    inchikey: text('inchikey').notNull(),
    inchi: text('inchi').notNull(),
    canonicalSmiles: text('canonical_smiles').notNull(),
    formula: text('formula').notNull(),
    name: text('name'),
    ...descriptorColumns(),
    /** Morgan radius 2, 2048 bits (256 bytes), for similarity. */
    morganFp: bytea('morgan_fp').notNull(),
    /** RDKit pattern fingerprint, 2048 bits, to screen substructure searches. */
    patternFp: bytea('pattern_fp').notNull(),
    descriptorsAt: timestamp('descriptors_at', { withTimezone: true }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    /** The import that first registered it (revert removes it if nothing else refers to it). */
    createdByImportId: uuid('created_by_import_id'),
    createdAt: createdAt()
  },
  (t) => [
    uniqueIndex('molecules_org_inchikey_key').on(t.organizationId, t.inchikey),
    uniqueIndex('molecules_org_number_key').on(t.organizationId, t.registryNumber),
    index('molecules_org_created_idx').on(t.organizationId, t.createdAt),
    index('molecules_import_idx').on(t.createdByImportId),
    // Pass 2 of an import (migration 0007).
    index('molecules_undescribed_idx').on(t.createdByImportId, t.id).where(sql`descriptors_at is null`)
  ]
);

/**
 * How many molecules each organisation has, exact: kept by statement-level
 * triggers on `molecules` (migration 0006, which also holds the registry's
 * search and sort indexes), read by the unfiltered registry list instead of
 * counting every row per request. Written only by those triggers.
 */
export const moleculeCounts = pgTable('molecule_counts', {
  organizationId: uuid('organization_id')
    .primaryKey()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  molecules: bigint('molecules', { mode: 'number' }).notNull().default(0)
});

/** Every identifier a sponsor or CRO gives a molecule, with its label (sponsor_id, cro_batch_id, …). */
export const moleculeIdentifiers = pgTable(
  'molecule_identifiers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    moleculeId: uuid('molecule_id')
      .notNull()
      .references(() => molecules.id, { onDelete: 'cascade' }),
    label: text('label').notNull(),
    value: text('value').notNull(),
    importId: uuid('import_id'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt()
  },
  (t) => [
    uniqueIndex('molecule_identifiers_key').on(t.moleculeId, t.label, t.value),
    index('molecule_identifiers_lookup_idx').on(t.organizationId, t.label, t.value),
    index('molecule_identifiers_import_idx').on(t.importId)
  ]
);

/** Uploaded property values (IC50, solubility, …) with unit and source; numeric when they parse. */
export const moleculeProperties = pgTable(
  'molecule_properties',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    moleculeId: uuid('molecule_id')
      .notNull()
      .references(() => molecules.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    valueNum: doublePrecision('value_num'),
    valueText: text('value_text'),
    unit: text('unit'),
    /** `import`, `api`, … with `import_id` when it came from a file. */
    source: text('source').notNull(),
    importId: uuid('import_id'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt()
  },
  (t) => [
    index('molecule_properties_molecule_idx').on(t.moleculeId),
    index('molecule_properties_org_name_idx').on(t.organizationId, t.name, t.valueNum),
    index('molecule_properties_import_idx').on(t.importId),
    // An imported value is stored once per molecule (migration 0007 adds NULLS NOT DISTINCT, which Drizzle cannot express).
    uniqueIndex('molecule_properties_import_value_key')
      .on(t.moleculeId, t.name, t.valueNum, t.valueText, t.unit)
      .where(sql`source = 'import'`)
  ]
);

/** The structure exactly as given (salts, solvents, original spelling) each time it was registered. */
export const moleculeInputs = pgTable(
  'molecule_inputs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    moleculeId: uuid('molecule_id')
      .notNull()
      .references(() => molecules.id, { onDelete: 'cascade' }),
    importId: uuid('import_id'),
    rowNumber: integer('row_number'),
    input: text('input').notNull(),
    inputFormat: text('input_format').notNull(),
    /** True when the registered parent differs from the input (salt or solvent stripped). */
    strippedFragments: boolean('stripped_fragments').notNull().default(false),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt()
  },
  (t) => [
    index('molecule_inputs_molecule_idx').on(t.moleculeId),
    index('molecule_inputs_import_idx').on(t.importId),
    // A row of an import is written once (migration 0007).
    uniqueIndex('molecule_inputs_import_row_key').on(t.importId, t.rowNumber).where(sql`import_id is not null`)
  ]
);

export const imports = pgTable(
  'imports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    /** Library to add registered rows to (libraries arrive with the library issue). */
    libraryId: uuid('library_id'),
    filename: text('filename').notNull(),
    format: importFormat('format').notNull(),
    compression: text('compression'),
    encoding: text('encoding').notNull().default('utf-8'),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    /** Where the uploaded file is kept (UPLOAD_DIR) until the import ends. */
    storagePath: text('storage_path').notNull(),
    mapping: jsonb('mapping').notNull(),
    status: importStatus('status').notNull().default('queued'),
    totalRows: integer('total_rows'),
    processedRows: integer('processed_rows').notNull().default(0),
    registered: integer('registered').notNull().default(0),
    duplicates: integer('duplicates').notNull().default(0),
    invalid: integer('invalid').notNull().default(0),
    /** Molecules of this import whose descriptors are computed (second pass). */
    descriptorsDone: integer('descriptors_done').notNull().default(0),
    /** Last input row whose outcome is committed; a restarted job resumes after it. */
    checkpointRow: integer('checkpoint_row').notNull().default(0),
    error: jsonb('error'),
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    revertedAt: timestamp('reverted_at', { withTimezone: true }),
    revertedBy: uuid('reverted_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt()
  },
  (t) => [index('imports_org_created_idx').on(t.organizationId, t.createdAt)]
);

/** Each rejected row: where, what was there, why. */
export const importErrors = pgTable(
  'import_errors',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    importId: uuid('import_id')
      .notNull()
      .references(() => imports.id, { onDelete: 'cascade' }),
    rowNumber: integer('row_number').notNull(),
    /** The row as read (truncated for very long lines; see `raw_truncated`). */
    raw: text('raw').notNull(),
    rawTruncated: boolean('raw_truncated').notNull().default(false),
    code: text('code').notNull(),
    reason: text('reason').notNull()
  },
  (t) => [uniqueIndex('import_errors_row_key').on(t.importId, t.rowNumber)]
);

/** Saved column mappings, one per CRO format. */
export const importTemplates = pgTable(
  'import_templates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    mapping: jsonb('mapping').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
  },
  (t) => [uniqueIndex('import_templates_org_name_key').on(t.organizationId, t.name)]
);

// ── Libraries and live boards ──────────────────────────────────────────────

export const libraryAccess = pgEnum('library_access', ['view', 'edit']);
/** What members of the owning organisation get without a personal share (capped by their role). */
export const libraryMemberAccess = pgEnum('library_member_access', ['none', 'view', 'edit']);

/**
 * A named set of molecules a team triages on a live board (`library:<id>`).
 * Membership, lanes, order, tags, notes and comments live in the Yjs document;
 * `library_molecules` is its projection, written in the transaction that stores it.
 */
export const libraries = pgTable(
  'libraries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    memberAccess: libraryMemberAccess('member_access').notNull().default('edit'),
    /** Projected from the board: its lanes in order, `[{ id, name }]`. */
    boardLanes: jsonb('board_lanes').$type<Array<{ id: string; name: string }>>().notNull().default(sql`'[]'::jsonb`),
    archivedAt: timestamp('archived_at', { withTimezone: true }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
  },
  (t) => [index('libraries_org_idx').on(t.organizationId, t.archivedAt)]
);

/** A share of one library with one member of the owning organisation or with a partner organisation. */
export const libraryShares = pgTable(
  'library_shares',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    libraryId: uuid('library_id')
      .notNull()
      .references(() => libraries.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    organizationId: uuid('organization_id').references(() => organizations.id, { onDelete: 'cascade' }),
    access: libraryAccess('access').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt()
  },
  (t) => [
    uniqueIndex('library_shares_user_key').on(t.libraryId, t.userId).where(sql`user_id is not null`),
    uniqueIndex('library_shares_org_key').on(t.libraryId, t.organizationId).where(sql`organization_id is not null`),
    index('library_shares_org_idx').on(t.organizationId),
    check('library_shares_one_grantee', sql`(user_id is null) <> (organization_id is null)`)
  ]
);

/** Projection of each board's cards: which molecules, in which lane, at which position, with which tags. */
export const libraryMolecules = pgTable(
  'library_molecules',
  {
    libraryId: uuid('library_id')
      .notNull()
      .references(() => libraries.id, { onDelete: 'cascade' }),
    moleculeId: uuid('molecule_id')
      .notNull()
      .references(() => molecules.id, { onDelete: 'cascade' }),
    laneId: text('lane_id').notNull(),
    lane: text('lane').notNull(),
    /** 0-based index of the lane on the board (sorting by lane, then position, gives board order). */
    laneOrder: integer('lane_order').notNull(),
    /** 0-based rank within the lane. */
    position: integer('position').notNull(),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    addedBy: uuid('added_by').references(() => users.id, { onDelete: 'set null' }),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow()
  },
  (t) => [
    primaryKey({ columns: [t.libraryId, t.moleculeId] }),
    index('library_molecules_molecule_idx').on(t.moleculeId),
    index('library_molecules_order_idx').on(t.libraryId, t.laneOrder, t.position)
  ]
);

/**
 * History of live documents whose kind keeps one (collab-server/services/history.ts):
 * every stored batch of changes, attributed to the user whose connection made
 * it, with the Yjs update and a description in words. Every SNAPSHOT_EVERY
 * changes of a document a full state is kept beside the update (compaction: a
 * version is rebuilt from the nearest snapshot, never from the first update).
 * Keyed by document; it goes with its document's row (and so with the
 * organisation). Was `board_changes`, keyed by library (migration 0008).
 */
export const documentChanges = pgTable(
  'document_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** `collab_documents.name`, e.g. `library:<uuid>`. */
    documentName: text('document_name')
      .notNull()
      .references(() => collabDocuments.name, { onDelete: 'cascade' }),
    /** The document kind (`library`, …): the part of the name before the first `:`. */
    kind: text('kind').notNull(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    update: bytea('update').notNull(),
    /** Full document state after this change, kept every SNAPSHOT_EVERY changes. */
    snapshot: bytea('snapshot'),
    /** What changed, in words: `[{ text: 'moved CX-000012 from Make to Test', … }]`. */
    summary: jsonb('summary').notNull(),
    /** A restore records which change it went back to. */
    restoredFrom: bigint('restored_from', { mode: 'number' }),
    createdAt: createdAt()
  },
  (t) => [index('document_changes_document_idx').on(t.documentName, t.id)]
);

export type Library = typeof libraries.$inferSelect;
export type LibraryAccess = (typeof libraryAccess.enumValues)[number];
export type LibraryMemberAccess = (typeof libraryMemberAccess.enumValues)[number];
export type DocumentChange = typeof documentChanges.$inferSelect;

export type Molecule = typeof molecules.$inferSelect;
export type Import = typeof imports.$inferSelect;
export type ImportStatus = (typeof importStatus.enumValues)[number];

export type Organization = typeof organizations.$inferSelect;
export type User = typeof users.$inferSelect;
export type Membership = typeof memberships.$inferSelect;
export type Session = typeof sessions.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
export type Invitation = typeof invitations.$inferSelect;
export type Notification = typeof notifications.$inferSelect;
export type AuditEvent = typeof auditEvents.$inferSelect;
export type AuditCheckpoint = typeof auditCheckpoints.$inferSelect;
export type CollabUpdate = typeof collabUpdates.$inferSelect;
export type OrganizationKind = (typeof organizationKind.enumValues)[number];
export type MembershipRole = (typeof membershipRole.enumValues)[number];

// Referenced by `sql` in access-layer queries; re-exported so callers import one module.
export { sql };
