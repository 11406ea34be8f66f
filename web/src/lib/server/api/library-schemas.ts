/** Request and response schemas of the libraries API; see schemas.ts for how they are used. */
import { z } from 'zod';
import type { BoardState } from '$common/board';
import { libraryAccess, libraryMemberAccess } from '$db/schema';
import { moleculeRow } from './registry-schemas';
import { organization, page, timestamp, uuid } from './schemas';

const name = z.string().trim().min(1, { error: 'Give the library a name' }).max(120, { error: 'At most 120 characters' });
const description = z.string().trim().max(2000, { error: 'At most 2,000 characters' });
const memberAccess = z.enum(libraryMemberAccess.enumValues, { error: 'member_access is none, view or edit' });
const access = z.enum(libraryAccess.enumValues, { error: 'access is view or edit' });

export const createLibraryRequest = z.object({ name, description: description.optional(), member_access: memberAccess.optional() });

export const updateLibraryRequest = z
  .object({ name: name.optional(), description: description.optional(), archived: z.boolean().optional(), member_access: memberAccess.optional() })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { error: 'Change at least one of name, description, archived, member_access' });

/** At most this many molecules per request (a 100k-row import is added in several calls). */
export const MAX_ADD_PER_REQUEST = 20_000;

export const addLibraryMoleculesRequest = z
  .object({
    molecule_ids: z.array(z.uuid({ error: 'Each molecule id must be a UUID' })).max(MAX_ADD_PER_REQUEST).optional(),
    import_id: z.uuid({ error: 'import_id must be a UUID' }).optional(),
    smiles: z.array(z.string().trim().min(1).max(10_000)).max(500, { error: 'At most 500 SMILES at once; import a file for more' }).optional(),
    /** Every registry molecule matching this search, as GET /molecules reads it (`q`, `filter=field:op:value`, `import_id`). */
    query: z
      .object({
        q: z.string().trim().max(500).optional(),
        filter: z.array(z.string().min(1).max(500)).max(20).optional(),
        import_id: z.uuid({ error: 'query.import_id must be a UUID' }).optional()
      })
      .optional(),
    lane_id: z.string().trim().min(1).max(100).optional()
  })
  .refine((v) => !!(v.molecule_ids?.length || v.import_id || v.smiles?.length || v.query), { error: 'Give molecule_ids, import_id, query or smiles' });

export const shareLibraryRequest = z
  .object({
    user_id: z.uuid().optional(),
    organization_id: z.uuid().optional(),
    access
  })
  .refine((v) => !!v.user_id !== !!v.organization_id, { error: 'Give user_id or organization_id (one of them)' });

export const restoreRequest = z.object({}).optional();

// ---------------------------------------------------------------- responses

/** A person as the board shows them (history, @mentions). */
export const person = z.object({ id: uuid, name: z.string() }).meta({ id: 'Person' });

export const share = z
  .object({
    id: uuid,
    access,
    user: z.object({ id: uuid, name: z.string(), email: z.string() }).nullable(),
    organization: organization.nullable(),
    created_at: timestamp
  })
  .meta({ id: 'LibraryShare' });
export const sharesResponse = z.object({ data: z.array(share) });
/** POST /libraries/{id}/shares: the share as stored. */
export const sharedResponse = z.object({ data: z.object({ id: uuid, access, user_id: uuid.nullable(), organization_id: uuid.nullable() }) });

/** One row of GET /libraries, and what create returns. */
export const librarySummary = z
  .object({
    id: uuid,
    name: z.string(),
    description: z.string(),
    organization,
    member_access: memberAccess,
    archived_at: timestamp.nullable(),
    /** Your access. */
    access,
    can_manage: z.boolean(),
    /** Reached through a share with your (partner) organisation. */
    shared_with_you: z.boolean(),
    molecule_count: z.number().int(),
    created_at: timestamp,
    updated_at: timestamp
  })
  .meta({ id: 'LibrarySummary' });
export const librariesResponse = z.object({ data: z.array(librarySummary) });

export const libraryDetail = librarySummary
  .extend({
    lanes: z.array(z.object({ id: z.string(), name: z.string(), count: z.number().int() })),
    /** Only for those who manage the library. */
    shares: z.array(share).optional()
  })
  .meta({ id: 'Library' });
export const libraryResponse = z.object({ data: libraryDetail });
export const createdLibraryResponse = z.object({ data: librarySummary });

/** One card of GET /libraries/{id}/molecules: the molecule and where it sits (the projection). */
export const libraryMoleculeRow = z
  .object({
    molecule: moleculeRow,
    lane_id: z.string(),
    lane: z.string(),
    position: z.number().int(),
    tags: z.array(z.string()),
    added_at: timestamp
  })
  .meta({ id: 'LibraryMolecule' });
export const libraryMoleculesResponse = page(libraryMoleculeRow);

export const addedMoleculesResponse = z.object({
  data: z.object({
    added: z.number().int(),
    already_present: z.number().int(),
    /** SMILES that RDKit could not read, with why. */
    rejected: z.array(z.object({ smiles: z.string(), reason: z.string() }))
  })
});
export const removedCardResponse = z.object({ data: z.object({ removed: z.number().int() }) });
export const shareRemovedResponse = z.object({ data: z.object({ removed: z.literal(true) }) });
export const peopleResponse = z.object({ data: z.array(person) });
export const directoryResponse = z.object({ data: z.array(organization) });

export const historyEntry = z
  .object({
    id: z.number().int(),
    at: timestamp,
    /** Null for changes the server made (e.g. the first lanes). */
    user: person.nullable(),
    summary: z.array(z.object({ text: z.string(), kind: z.string(), moleculeId: z.string().optional() })),
    restored_from: z.number().int().nullable()
  })
  .meta({ id: 'BoardChange' });
export const historyResponse = z.object({ data: z.array(historyEntry) });

/** The board as plain data (common/board.ts `BoardState`). */
export const boardState = z
  .object({
    lanes: z.array(z.object({ id: z.string(), name: z.string(), pos: z.string() })),
    cards: z.array(
      z.object({
        moleculeId: z.string(),
        lane: z.string(),
        pos: z.string(),
        tags: z.array(z.string()),
        addedBy: z.string().nullable(),
        addedAt: z.string().nullable()
      })
    ),
    /** moleculeId → note as text. */
    notes: z.record(z.string(), z.string()),
    comments: z.record(
      z.string(),
      z.array(z.object({ id: z.string(), authorId: z.string(), authorName: z.string(), text: z.string(), mentions: z.array(z.string()), at: z.string() }))
    )
  })
  .meta({ id: 'BoardState' }) satisfies z.ZodType<BoardState>;
export const boardVersionResponse = z.object({ data: z.object({ change_id: z.number().int(), board: boardState }) });
export const restoredResponse = z.object({ data: z.object({ restored_from: z.number().int() }) });
