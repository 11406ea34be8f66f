/**
 * Append-only, hash-chained audit events. Each event's hash is
 * SHA-256(prev_hash + canonical JSON of the event), chained per organisation;
 * a transaction-scoped advisory lock per organisation keeps the chain linear
 * when several processes write at once. `verifyAuditChain` recomputes it.
 */
import { createHash } from 'node:crypto';
import { asc, eq, isNull, sql } from 'drizzle-orm';
import { cooperative } from '../common/cooperative';
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
  await recordAudits(tx, [input]);
}

/**
 * Record several events in the given order, as one step of each chain: one
 * lock and one read of the last hash per organisation, one INSERT for all of
 * them. A store of a busy board writes dozens of events at once, and three
 * round trips each were most of its cost.
 */
export async function recordAudits(tx: DbOrTx, inputs: readonly AuditInput[]): Promise<void> {
  if (!inputs.length) return;
  // Locks in a fixed order, so two writers of the same organisations cannot deadlock.
  const keys = [...new Set(inputs.map((i) => chainKey(i.organizationId)))].sort();
  for (const key of keys) await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${'audit:' + key}))`);
  // The last hash of each chain; the query of the last chain also takes the batch's ids from
  // the sequence (one round trip less). The chain follows id order (verifyAuditChain): the
  // ids are handed out ascending in chain order, so that holds whatever order Postgres
  // evaluates a multi-row INSERT in.
  const prev = new Map<string, string | null>();
  let ids: number[] | null = null;
  for (const [i, key] of keys.entries()) {
    const organizationId = inputs.find((x) => chainKey(x.organizationId) === key)!.organizationId;
    const takeIds = i === keys.length - 1 && inputs.length > 1;
    const [row] = (
      await tx.execute<{ hash: string | null; ids: string[] | null }>(sql`
        select (select ${auditEvents.hash} from ${auditEvents}
                where ${organizationId ? eq(auditEvents.organizationId, organizationId) : isNull(auditEvents.organizationId)}
                order by ${auditEvents.id} desc limit 1) as hash,
               ${takeIds ? sql`array(select nextval(pg_get_serial_sequence('audit_events', 'id')) from generate_series(1, ${inputs.length}))` : sql`null::bigint[]`} as ids`)
    ).rows;
    prev.set(key, row?.hash ?? null);
    if (takeIds) ids = row!.ids!.map(Number).sort((a, b) => a - b);
  }
  // Millisecond precision: what Postgres returns must hash the same as what we hashed.
  const createdAt = new Date(Math.floor(Date.now()));
  const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));
  const rows: Array<Omit<AuditEvent, 'id'>> = [];
  // A board store can bring a thousand events: hash them in slices, between live messages.
  const pause = cooperative();
  for (const input of inputs) {
    await pause();
    const key = chainKey(input.organizationId);
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
    const prevHash = prev.get(key) ?? null;
    const hash = eventHash(prevHash, row);
    prev.set(key, hash);
    rows.push({ ...row, prevHash, hash });
  }
  // One statement with one array per column (unnest): building a many-row
  // INSERT through the query builder cost more CPU than the database did.
  const col = (f: (r: Omit<AuditEvent, 'id'>) => unknown) => sql.param(rows.map(f));
  await tx.execute(sql`
    insert into audit_events (${ids ? sql`id, ` : sql``}organization_id, actor_user_id, action, entity_type, entity_id, before, after, client, created_at, prev_hash, hash)
    select ${ids ? sql`u.id, ` : sql``}u.organization_id, u.actor_user_id, u.action, u.entity_type, u.entity_id, u.before, u.after, u.client, ${createdAt.toISOString()}::timestamptz, u.prev_hash, u.hash
    from unnest(${sql.param(ids ?? [])}::bigint[], ${col((r) => r.organizationId)}::uuid[], ${col((r) => r.actorUserId)}::uuid[], ${col((r) => r.action)}::text[],
                ${col((r) => r.entityType)}::text[], ${col((r) => r.entityId)}::text[], ${col((r) => json(r.before))}::jsonb[], ${col((r) => json(r.after))}::jsonb[],
                ${col((r) => json(r.client))}::jsonb[], ${col((r) => r.prevHash)}::text[], ${col((r) => r.hash)}::text[])
      as u(id, organization_id, actor_user_id, action, entity_type, entity_id, before, after, client, prev_hash, hash)`);
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
