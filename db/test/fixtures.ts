/** Shared fixtures for data-layer integration tests: real Postgres, unique rows per test. */
import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { urlAs } from '../../scripts/services';
import { closeDb, createDb, type Db } from '../client';
import { ensureAppLogin } from '../migrate';
import { signUp, type ClientInfo } from '../access/accounts';
import { molecules } from '../schema';

export const client: ClientInfo = { via: 'api', ip: '127.0.0.1', userAgent: 'vitest' };

export function testDb(): Db {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL must be set (the vitest global setup provides it)');
  return createDb(url, { max: 4, applicationName: 'crosslink-test' });
}

/**
 * A connection as the schema's owner (DATABASE_OWNER_URL; the same as DATABASE_URL when
 * roles are not separated): for what the app role may not do, such as tampering with the
 * audit trail the way a database superuser could.
 */
export function ownerDb(): Db {
  const url = process.env.DATABASE_OWNER_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_OWNER_URL or DATABASE_URL must be set (the vitest global setup provides them)');
  return createDb(url, { max: 2, applicationName: 'crosslink-test-owner' });
}

/** testDb() and ownerDb() for one test file, closed after its tests (a pool connects on first use). */
export function testDbs(): { db: Db; owner: Db } {
  const dbs = { db: testDb(), owner: ownerDb() };
  afterAll(async () => {
    await closeDb(dbs.db);
    await closeDb(dbs.owner);
  });
  return dbs;
}

/**
 * A URL that logs in as a member of `crosslink_app` and nothing more: DATABASE_URL when the
 * roles are separated (npm test), else a login made for the tests through the owner (who then
 * needs CREATEROLE, as a superuser has), so the app role's limits are tested on every setup.
 */
export async function appRoleUrl(): Promise<string> {
  const app = process.env.DATABASE_URL!;
  const owner = process.env.DATABASE_OWNER_URL ?? app;
  if (owner !== app) return app;
  const url = urlAs(owner, { name: 'crosslink_test_app', password: 'crosslink-test-app' });
  await ensureAppLogin(owner, url);
  return url;
}

export const uniqueEmail = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@test.example`;

/** A new organisation with its owner; returns the owner's actor via a real session token. */
export async function newOrganization(db: Db, kind: 'pharma' | 'cro' = 'pharma', name = `Org ${randomUUID().slice(0, 6)}`) {
  const email = uniqueEmail('owner');
  const res = await signUp(db, { email, password: 'correct horse battery', name: 'Owner', organization: { name, kind } }, client);
  return { ...res, email, token: res.session.token };
}

/**
 * `count` stand-in molecules numbered from `firstNumber` (unique InChIKeys, SMILES `C`×number,
 * empty fingerprints, no chemistry): for tests that need molecule rows, not structures.
 */
export function insertStandInMolecules(db: Db, organizationId: string, count: number, firstNumber = 1) {
  return db
    .insert(molecules)
    .values(
      Array.from({ length: count }, (_, i) => ({
        organizationId,
        registryNumber: firstNumber + i,
        inchikey: `TEST${randomUUID()}`,
        inchi: 'InChI=1S/test',
        canonicalSmiles: 'C'.repeat(firstNumber + i),
        formula: 'C',
        morganFp: new Uint8Array(256),
        patternFp: new Uint8Array(256)
      }))
    )
    .returning({ id: molecules.id, registryNumber: molecules.registryNumber });
}
