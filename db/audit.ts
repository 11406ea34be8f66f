/**
 * Append-only, hash-chained audit events. Each event's hash is
 * SHA-256(prev_hash + canonical JSON of the event), chained per organisation;
 * a transaction-scoped advisory lock per organisation keeps the chain linear
 * when several processes write at once. `verifyAuditChain` recomputes it.
 */
import { createHash } from 'node:crypto';
import { asc, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from './client';
import { auditEvents, type AuditEvent } from './schema';

export interface AuditInput {
  organizationId: string | null;
  actorUserId: string | null;
  action: string;
  entityType: string;
  entityId?: string | null;
  before?: unknown;
  after?: unknown;
  client?: Record<string, unknown> | null;
}

/** JSON with sorted keys, so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function eventHash(prevHash: string | null, e: Omit<AuditEvent, 'id' | 'hash' | 'prevHash'>): string {
  const body = canonicalJson({
    organizationId: e.organizationId,
    actorUserId: e.actorUserId,
    action: e.action,
    entityType: e.entityType,
    entityId: e.entityId,
    before: e.before,
    after: e.after,
    client: e.client,
    createdAt: e.createdAt.toISOString()
  });
  return createHash('sha256').update(`${prevHash ?? ''}\n${body}`).digest('hex');
}

const chainKey = (organizationId: string | null) => organizationId ?? '00000000-0000-0000-0000-000000000000';

/** Record one event. Call inside the transaction that makes the change. */
export async function recordAudit(tx: DbOrTx, input: AuditInput): Promise<void> {
  const key = chainKey(input.organizationId);
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${'audit:' + key}))`);
  const [last] = await tx
    .select({ hash: auditEvents.hash })
    .from(auditEvents)
    .where(input.organizationId ? eq(auditEvents.organizationId, input.organizationId) : isNull(auditEvents.organizationId))
    .orderBy(desc(auditEvents.id))
    .limit(1);
  const prevHash = last?.hash ?? null;
  // Millisecond precision: what Postgres returns must hash the same as what we hashed.
  const createdAt = new Date(Math.floor(Date.now()));
  const row = {
    organizationId: input.organizationId,
    actorUserId: input.actorUserId,
    action: input.action,
    entityType: input.entityType,
    entityId: input.entityId ?? null,
    before: (input.before ?? null) as unknown,
    after: (input.after ?? null) as unknown,
    client: (input.client ?? null) as unknown,
    createdAt
  };
  await tx.insert(auditEvents).values({ ...row, prevHash, hash: eventHash(prevHash, row) });
}

/** Recompute an organisation's chain; returns the first broken event id, or null when intact. */
export async function verifyAuditChain(db: Db, organizationId: string): Promise<{ ok: boolean; brokenAt: number | null; count: number }> {
  const rows = await db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.organizationId, organizationId))
    .orderBy(asc(auditEvents.id));
  let prev: string | null = null;
  for (const r of rows) {
    if (r.prevHash !== prev || eventHash(prev, r) !== r.hash) return { ok: false, brokenAt: r.id, count: rows.length };
    prev = r.hash;
  }
  return { ok: true, brokenAt: null, count: rows.length };
}
