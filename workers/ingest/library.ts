/**
 * "Import into library X": once an import has completed, its molecules are
 * put on the library's board. Like every server-side board change this goes
 * through the collab-server (its internal API), so open boards show the cards
 * at once and history attributes them — to the person who started the import:
 * the worker acts for them with a session minted for this call and ended
 * right after (access is checked again by the collab-server).
 */
import { eq } from 'drizzle-orm';
import { moleculesOfImport } from '../../db/access/libraries';
import { createSession, invalidateSession } from '../../db/auth';
import type { Db } from '../../db/client';
import { libraries, type Import } from '../../db/schema';
import type { Logger } from '../processor';

const BATCH = 20_000;

export function collabInternalUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.COLLAB_INTERNAL_URL || `http://127.0.0.1:${env.COLLAB_PORT || 1234}`;
}

export async function addImportToLibrary(db: Db, imp: Import, log: Logger, baseUrl = collabInternalUrl()): Promise<{ added: number } | { error: string }> {
  if (!imp.libraryId || !imp.createdBy) return { added: 0 };
  const [library] = await db.select().from(libraries).where(eq(libraries.id, imp.libraryId));
  if (!library) return { error: 'The library no longer exists' };
  const ids = await moleculesOfImport(db, library, imp.id);
  const { token } = await createSession(db, imp.createdBy, { organizationId: imp.organizationId, userAgent: 'crosslink-worker: import into library' });
  let added = 0;
  try {
    for (let i = 0; i < ids.length; i += BATCH) {
      const res = await fetch(new URL(`/internal/v1/libraries/${library.id}/cards`, baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ add: ids.slice(i, i + BATCH) }),
        signal: AbortSignal.timeout(120_000)
      });
      const body = (await res.json().catch(() => null)) as { data?: { added: number }; error?: { message: string } } | null;
      if (!res.ok || !body?.data) return { error: body?.error?.message ?? `The collaboration server answered ${res.status}` };
      added += body.data.added;
    }
    log.info(`import ${imp.id}: ${added} molecules added to library ${library.id}`);
    return { added };
  } catch (err) {
    return { error: `The collaboration server could not be reached: ${(err as Error).message}` };
  } finally {
    await invalidateSession(db, token).catch(() => {});
  }
}
