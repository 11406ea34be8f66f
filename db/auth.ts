/**
 * Authentication after Lucia's session guide (lucia-auth.com/sessions):
 * tokens are random, only their SHA-256 is stored, sessions slide forward
 * while used. The same `authenticateToken` serves the web app (cookie or
 * bearer), the collab-server (WebSocket token) and socket.io (handshake), so
 * there is one definition of "who is this".
 */
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from './client';
import { apiTokens, memberships, organizations, sessions, users, type MembershipRole, type OrganizationKind } from './schema';

export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** A session used within this long of expiring is pushed out to a full TTL again. */
export const SESSION_RENEW_WITHIN_MS = 15 * 24 * 60 * 60 * 1000;
/** API tokens are told apart from session tokens by this prefix. */
export const API_TOKEN_PREFIX = 'clk_';

// OWASP's argon2id baseline (19 MiB, 2 passes); ~40 ms per hash on the 2-core machine.
const ARGON2_OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => argon2Hash(password, ARGON2_OPTIONS);
export const verifyPassword = (hash: string, password: string) =>
  argon2Verify(hash, password).catch(() => false);

/** 20 random bytes in lower-case base32: 32 characters, 160 bits of entropy. */
export function generateToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(20);
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Who is making a request, in which organisation, with which role. */
export interface Actor {
  user: { id: string; email: string; name: string };
  /** Null only for a user with no membership left. */
  organization: { id: string; name: string; kind: OrganizationKind } | null;
  role: MembershipRole | null;
  via: 'session' | 'api_token';
  /** sessions.id (the hash) or api_tokens.id; used to sign out or revoke. */
  credentialId: string;
  sessionExpiresAt?: Date;
}

export async function createSession(
  db: DbOrTx,
  userId: string,
  options: { organizationId?: string | null; userAgent?: string | null } = {}
): Promise<{ token: string; expiresAt: Date }> {
  const token = generateToken();
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await db.insert(sessions).values({
    id: hashToken(token),
    userId,
    activeOrganizationId: options.organizationId ?? null,
    expiresAt,
    userAgent: options.userAgent?.slice(0, 300) ?? null
  });
  return { token, expiresAt };
}

export async function invalidateSession(db: DbOrTx, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, hashToken(token)));
}

export async function createApiToken(
  db: DbOrTx,
  input: { userId: string; organizationId: string; name: string; expiresAt?: Date | null }
) {
  const token = API_TOKEN_PREFIX + generateToken();
  const [row] = await db
    .insert(apiTokens)
    .values({
      userId: input.userId,
      organizationId: input.organizationId,
      name: input.name,
      tokenHash: hashToken(token),
      prefix: token.slice(0, API_TOKEN_PREFIX.length + 6),
      expiresAt: input.expiresAt ?? null
    })
    .returning();
  return { token, apiToken: row };
}

/**
 * Session, user and the membership it acts in, in one statement: the active
 * organisation's membership, or else the oldest one. It runs before every
 * request, so it is a named prepared statement (planned once per connection,
 * not per request: planning these joins cost more than running them).
 */
function prepareSessionLookup(db: DbOrTx) {
  return db
    .select({
      session: sessions,
      user: { id: users.id, email: users.email, name: users.name },
      role: memberships.role,
      organization: { id: organizations.id, name: organizations.name, kind: organizations.kind }
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(
      memberships,
      and(
        eq(memberships.userId, sessions.userId),
        eq(
          memberships.organizationId,
          sql`(select m.organization_id from memberships m where m.user_id = ${sessions.userId}
                order by (m.organization_id = ${sessions.activeOrganizationId}) desc nulls last, m.created_at limit 1)`
        )
      )
    )
    .leftJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(eq(sessions.id, sql.placeholder('tokenHash')))
    .prepare('auth_session_lookup');
}
const sessionLookups = new WeakMap<DbOrTx, ReturnType<typeof prepareSessionLookup>>();
function sessionLookup(db: DbOrTx) {
  let lookup = sessionLookups.get(db);
  if (!lookup) sessionLookups.set(db, (lookup = prepareSessionLookup(db)));
  return lookup;
}

/**
 * Resolve a bearer/cookie token to an Actor, or null when it is unknown,
 * expired or revoked. Session expiry slides forward here.
 */
export async function authenticateToken(db: DbOrTx, token: string | null | undefined): Promise<Actor | null> {
  if (!token || token.length > 200) return null;
  const tokenHash = hashToken(token);
  const now = Date.now();

  if (token.startsWith(API_TOKEN_PREFIX)) {
    // Token, user and membership in one statement: this runs before every API request.
    const [row] = await db
      .select({
        token: apiTokens,
        user: { id: users.id, email: users.email, name: users.name },
        role: memberships.role,
        organization: { id: organizations.id, name: organizations.name, kind: organizations.kind }
      })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      // An API token acts only in its own organisation, and only while the user is still a member.
      .innerJoin(memberships, and(eq(memberships.userId, apiTokens.userId), eq(memberships.organizationId, apiTokens.organizationId)))
      .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
      .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)));
    if (!row || (row.token.expiresAt && row.token.expiresAt.getTime() <= now)) return null;
    if (!row.token.lastUsedAt || now - row.token.lastUsedAt.getTime() > 60_000) {
      await db.update(apiTokens).set({ lastUsedAt: new Date(now) }).where(eq(apiTokens.id, row.token.id));
    }
    return { user: row.user, organization: row.organization, role: row.role, via: 'api_token', credentialId: row.token.id };
  }

  const [row] = await sessionLookup(db).execute({ tokenHash });
  if (!row) return null;
  let expiresAt = row.session.expiresAt;
  if (expiresAt.getTime() <= now) {
    await db.delete(sessions).where(eq(sessions.id, tokenHash));
    return null;
  }
  if (expiresAt.getTime() - now < SESSION_RENEW_WITHIN_MS) {
    expiresAt = new Date(now + SESSION_TTL_MS);
    await db.update(sessions).set({ expiresAt }).where(eq(sessions.id, tokenHash));
  }
  return {
    user: row.user,
    organization: row.organization ?? null,
    role: row.role ?? null,
    via: 'session',
    credentialId: row.session.id,
    sessionExpiresAt: expiresAt
  };
}

/** The browser session cookie (set by the web app; read by socket.io and the collab-server too). */
export const SESSION_COOKIE = 'crosslink_session';

/** One cookie's value from a `Cookie` header, or null. */
export function readCookie(cookieHeader: string | undefined, name: string): string | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value) || null;
    } catch {
      return value || null;
    }
  }
  return null;
}
