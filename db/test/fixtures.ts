/** Shared fixtures for data-layer integration tests: real Postgres, unique rows per test. */
import { randomUUID } from 'node:crypto';
import { createDb, type Db } from '../client';
import { signUp, type ClientInfo } from '../access/accounts';

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

export const uniqueEmail = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@test.example`;

/** A new organisation with its owner; returns the owner's actor via a real session token. */
export async function newOrganization(db: Db, kind: 'pharma' | 'cro' = 'pharma', name = `Org ${randomUUID().slice(0, 6)}`) {
  const email = uniqueEmail('owner');
  const res = await signUp(db, { email, password: 'correct horse battery', name: 'Owner', organization: { name, kind } }, client);
  return { ...res, email, token: res.session.token };
}
