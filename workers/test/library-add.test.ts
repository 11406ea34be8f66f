/**
 * An import into a library (workers/ingest/library.ts) adds its molecules to
 * the board through the collab-server's internal API, for the person who
 * started it, without minting a session for them; once they have left the
 * organisation it is refused. Real Postgres, a real collab-server and internal API.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createInternalApi } from '../../collab-server/internal-api';
import { createCollabServer } from '../../collab-server/server';
import { closeDb } from '../../db/client';
import { imports, libraries, libraryMolecules, memberships, moleculeInputs, sessions } from '../../db/schema';
import { insertStandInMolecules } from '../../db/test/fixtures';
import { addImportToLibrary } from '../ingest/library';
import { createTestUser, deleteTestUsers, testDb, testEnv, type TestUser } from './helpers';

const env = testEnv();
const db = testDb(env.databaseUrl);
const created: TestUser[] = [];
afterAll(async () => {
  await deleteTestUsers(db, created);
  await closeDb(db);
});
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: console.error };

describe('import into a library', () => {
  it('adds the cards for the importer through the internal API, with no session minted; refused once they left', async () => {
    const user = await createTestUser(db, 'library-add');
    created.push(user);
    const [lib] = await db.insert(libraries).values({ organizationId: user.organizationId, name: `Lib ${randomUUID().slice(0, 6)}`, createdBy: user.id }).returning();
    const ms = await insertStandInMolecules(db, user.organizationId, 2);
    const [imp] = await db
      .insert(imports)
      .values({ organizationId: user.organizationId, createdBy: user.id, libraryId: lib.id, filename: 'x.csv', format: 'csv', sizeBytes: 1, storagePath: '/nowhere', mapping: {}, status: 'completed' })
      .returning();
    await db.insert(moleculeInputs).values(ms.map((m, i) => ({ organizationId: user.organizationId, moleculeId: m.id, importId: imp.id, rowNumber: i + 1, input: 'C', inputFormat: 'smiles' })));

    const secret = randomUUID() + randomUUID();
    const collab = createCollabServer({ db, debounceMs: 50, logger: quiet });
    const internal = createInternalApi({ collab, db, secret, logger: quiet });
    await collab.listen();
    await internal.listen();
    try {
      const sessionsOf = async () => (await db.select().from(sessions).where(eq(sessions.userId, user.id))).length;
      const before = await sessionsOf();
      const target = () => ({ url: internal.url, secret });

      expect(await addImportToLibrary(db, imp, quiet, target)).toEqual({ added: 2 });
      expect(await sessionsOf()).toBe(before);
      const rows = await db.select().from(libraryMolecules).where(eq(libraryMolecules.libraryId, lib.id));
      expect(rows.map((r) => r.moleculeId).sort()).toEqual(ms.map((m) => m.id).sort());
      expect(rows.every((r) => r.addedBy === user.id)).toBe(true);

      // A wrong credential is refused, and the import says why.
      expect(await addImportToLibrary(db, imp, quiet, () => ({ url: internal.url, secret: 'w'.repeat(40) }))).toEqual({ error: expect.stringMatching(/credential/i) });

      await db.delete(memberships).where(and(eq(memberships.userId, user.id), eq(memberships.organizationId, user.organizationId)));
      const refused = await addImportToLibrary(db, imp, quiet, target);
      expect(refused).toEqual({ error: expect.stringMatching(/not a member/) });
      expect(await sessionsOf()).toBe(before);
    } finally {
      await internal.close();
      await collab.destroy();
    }
  });
});
