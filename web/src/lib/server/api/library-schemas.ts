/** Request bodies of the libraries API; they validate and also describe the API (openapi.ts). */
import { z } from 'zod';

const name = z.string().trim().min(1, { error: 'Give the library a name' }).max(120, { error: 'At most 120 characters' });
const description = z.string().trim().max(2000, { error: 'At most 2,000 characters' });
const memberAccess = z.enum(['none', 'view', 'edit'], { error: 'member_access is none, view or edit' });

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
    access: z.enum(['view', 'edit'], { error: 'access is view or edit' })
  })
  .refine((v) => !!v.user_id !== !!v.organization_id, { error: 'Give user_id or organization_id (one of them)' });

export const restoreRequest = z.object({}).optional();
