/**
 * Demo accounts for `npm start`: a sponsor and a CRO organisation with users in
 * every role. Idempotent: running it again changes nothing. The demo molecules
 * and library board are loaded through the running product's API once it is up
 * (scripts/demo-workspace.ts), so they get real history and audit events.
 */
import { eq } from 'drizzle-orm';
import { createDb, closeDb } from './client';
import { hashPassword } from './auth';
import { recordAudit } from './audit';
import { memberships, organizations, users, type MembershipRole, type OrganizationKind } from './schema';

export const DEMO_PASSWORD = 'crosslink-demo';

const demo: Array<{ organization: { name: string; kind: OrganizationKind }; people: Array<{ name: string; email: string; role: MembershipRole }> }> = [
  {
    organization: { name: 'Helix Therapeutics', kind: 'pharma' },
    people: [
      { name: 'Ana Ortiz', email: 'ana@helix.example', role: 'owner' },
      { name: 'Ben Okafor', email: 'ben@helix.example', role: 'scientist' },
      { name: 'Mia Chen', email: 'mia@helix.example', role: 'viewer' }
    ]
  },
  {
    organization: { name: 'Synthara CRO', kind: 'cro' },
    people: [
      { name: 'Carl Lindqvist', email: 'carl@synthara.example', role: 'owner' },
      { name: 'Dara Singh', email: 'dara@synthara.example', role: 'scientist' }
    ]
  }
];

export async function seedDemo(databaseUrl: string) {
  const db = createDb(databaseUrl, { max: 2, applicationName: 'crosslink-seed' });
  const logins: Array<{ email: string; password: string; role: MembershipRole; organization: string }> = [];
  try {
    const passwordHash = await hashPassword(DEMO_PASSWORD);
    for (const group of demo) {
      await db.transaction(async (tx) => {
        const [owner] = await tx.select().from(users).where(eq(users.email, group.people[0].email));
        if (owner) return; // already seeded
        const [org] = await tx.insert(organizations).values(group.organization).returning();
        for (const person of group.people) {
          const [u] = await tx.insert(users).values({ name: person.name, email: person.email, passwordHash }).returning();
          await tx.insert(memberships).values({ userId: u.id, organizationId: org.id, role: person.role });
        }
        await recordAudit(tx, {
          organizationId: org.id,
          actorUserId: null,
          action: 'organization.seeded',
          entityType: 'organization',
          entityId: org.id,
          after: { name: org.name, kind: org.kind, members: group.people.map((p) => `${p.email}:${p.role}`) },
          client: { via: 'seed' }
        });
      });
      for (const p of group.people) logins.push({ email: p.email, password: DEMO_PASSWORD, role: p.role, organization: group.organization.name });
    }
    return { logins };
  } finally {
    await closeDb(db);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is required to seed');
    process.exit(78);
  }
  seedDemo(url).then(({ logins }) => console.table(logins));
}
