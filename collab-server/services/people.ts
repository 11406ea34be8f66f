/** The people a store names, looked up once per store however many services ask. */
import { inArray } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { users } from '../../db/schema';
import type { PeopleLookup, Person } from '../core/kind';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function peopleLookup(tx: Tx): PeopleLookup {
  const people = new Map<string, Person>();
  const looked = new Set<string>();
  return {
    async load(ids) {
      const missing = [...new Set(ids)].filter((x): x is string => !!x && UUID.test(x) && !looked.has(x));
      if (!missing.length) return;
      for (const id of missing) looked.add(id);
      const rows = await tx.select({ id: users.id, name: users.name, email: users.email }).from(users).where(inArray(users.id, missing));
      for (const u of rows) people.set(u.id, u);
    },
    get: (id) => (id ? (people.get(id) ?? null) : null),
    has: (id) => !!id && people.has(id)
  };
}
