/**
 * "Import into library X": once an import has completed, its molecules are
 * put on the library's board. Like every server-side board change this goes
 * through the collab-server (its internal API, common/collab-internal.ts), so
 * open boards show the cards at once and history attributes them — to the
 * person who started the import: the call names them and their organisation,
 * and the collab-server checks that they may still edit the library. No
 * session is minted for it (one minted and then lost to a SIGKILL would stay
 * valid for 30 days).
 */
import { eq } from 'drizzle-orm';
import { callCollabInternal, collabInternalTarget, MAX_CARDS_PER_CALL, type CollabInternalTarget } from '../../common/collab-internal';
import { AppError } from '../../common/errors';
import { workersEnvSchema } from '../../common/env';
import { moleculesOfImport } from '../../db/access/libraries';
import type { Db } from '../../db/client';
import { libraries, type Import } from '../../db/schema';
import type { Logger } from '../processor';

const internalEnv = workersEnvSchema.pick({ COLLAB_INTERNAL_URL: true, COLLAB_INTERNAL_PORT: true, COLLAB_SERVICE_SECRET: true });

/** The internal API from the workers' environment; throws AppError when COLLAB_SERVICE_SECRET is missing. */
export function collabInternalFromEnv(env: NodeJS.ProcessEnv = process.env): CollabInternalTarget {
  return collabInternalTarget(internalEnv.parse(env));
}

export async function addImportToLibrary(
  db: Db,
  imp: Import,
  log: Logger,
  target: () => CollabInternalTarget = () => collabInternalFromEnv()
): Promise<{ added: number } | { error: string }> {
  if (!imp.libraryId || !imp.createdBy) return { added: 0 };
  const [library] = await db.select().from(libraries).where(eq(libraries.id, imp.libraryId));
  if (!library) return { error: 'The library no longer exists' };
  const ids = await moleculesOfImport(db, library, imp.id);
  // The import's molecules are its organisation's, so only that membership counts.
  const onBehalfOf = { user_id: imp.createdBy, organization_id: imp.organizationId, scope: 'organization' } as const;
  let added = 0;
  try {
    const to = target();
    for (let i = 0; i < ids.length; i += MAX_CARDS_PER_CALL) {
      const r = await callCollabInternal(to, 'libraryCards', library.id, { on_behalf_of: onBehalfOf, add: ids.slice(i, i + MAX_CARDS_PER_CALL) }, { timeoutMs: 120_000 });
      added += r.added;
    }
    log.info(`import ${imp.id}: ${added} molecules added to library ${library.id}`);
    return { added };
  } catch (err) {
    if (err instanceof AppError) return { error: err.message };
    return { error: `The collaboration server could not be reached: ${(err as Error).message}` };
  }
}
