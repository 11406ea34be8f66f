/**
 * Append-only, hash-chained audit events. Each event's hash is
 * SHA-256(prev_hash + canonical JSON of the event), chained per organisation;
 * a transaction-scoped advisory lock per organisation keeps the chain linear
 * when several processes write at once. `verifyAuditChain` recomputes it and
 * checks it against the signed checkpoints (`writeAuditCheckpoints`).
 * Append-only for the app role: grants and a trigger (migration 0004).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { and, asc, desc, eq, getTableColumns, gt, isNull, sql } from 'drizzle-orm';
import { cooperative } from '../common/cooperative';
import type { Db, DbOrTx } from './client';
import { baseEnvSchema } from '../common/env';
import { auditCheckpoints, auditEvents, type AuditCheckpoint, type AuditEvent } from './schema';

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

/** The hash of an event after `prevHash` (public: anyone can recompute a chain; only the checkpoint key is secret). */
export function eventHash(prevHash: string | null, e: Omit<AuditEvent, 'id' | 'hash' | 'prevHash'>): string {
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

// ---------------------------------------------------------------- signed checkpoints
//
// The chain alone proves nothing against someone who can write the table: a
// superuser rewrites one row and recomputes every hash after it, or deletes
// the newest events, and the chain still links. A checkpoint anchors it: a
// signature (HMAC-SHA256, key from AUDIT_CHECKPOINT_KEY, which the database
// never holds) over (chain, last event id, event count up to it, that event's
// hash). Rewriting history under a checkpoint changes the hash it names;
// deleting events under it changes the count or loses the event; forging one
// needs the key. Events after the newest checkpoint are only as safe as the
// chain, so checkpoints are written often (workers, maintenance queue).

/** A checkpoint signing key: `id` is a fingerprint, stored beside each signature; never the key. */
export interface CheckpointKey {
  id: string;
  secret: Buffer;
}

/** The key from its hex form (validated by common/env.ts: 64+ hex characters). */
export function checkpointKey(hex: string): CheckpointKey {
  const secret = Buffer.from(hex, 'hex');
  const fingerprint = createHash('sha256').update('crosslink audit checkpoint key\n').update(secret).digest('hex').slice(0, 16);
  return { id: `hmac-sha256:${fingerprint}`, secret };
}

/** The key named by AUDIT_CHECKPOINT_KEY, or null when none is configured. */
export function checkpointKeyFromEnv(source: Record<string, string | undefined> = process.env): CheckpointKey | null {
  const hex = baseEnvSchema.shape.AUDIT_CHECKPOINT_KEY.parse(source.AUDIT_CHECKPOINT_KEY);
  return hex ? checkpointKey(hex) : null;
}

type CheckpointBody = Pick<AuditCheckpoint, 'organizationId' | 'lastEventId' | 'eventCount' | 'headHash'>;

function checkpointSignature(key: CheckpointKey, c: CheckpointBody): string {
  const body = canonicalJson({ v: 1, organizationId: c.organizationId, lastEventId: c.lastEventId, eventCount: c.eventCount, headHash: c.headHash });
  return createHmac('sha256', key.secret).update(body).digest('hex');
}

function signatureValid(key: CheckpointKey, c: AuditCheckpoint): boolean {
  const expected = Buffer.from(checkpointSignature(key, c), 'hex');
  const given = Buffer.from(c.signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const ofChain = (organizationId: string | null) =>
  organizationId ? eq(auditEvents.organizationId, organizationId) : isNull(auditEvents.organizationId);
const checkpointsOf = (organizationId: string | null) =>
  organizationId ? eq(auditCheckpoints.organizationId, organizationId) : isNull(auditCheckpoints.organizationId);

export interface AuditProblem {
  /** The event where the chain breaks or that a checkpoint names (null: none to point at). */
  eventId: number | null;
  checkpointId: number | null;
  reason: string;
}

export interface AuditChainVerification {
  organizationId: string | null;
  ok: boolean;
  /** First event whose hash or link does not recompute; null when the chain itself links. */
  brokenAt: number | null;
  count: number;
  head: { eventId: number; hash: string } | null;
  checkpointsChecked: number;
  newestCheckpoint: Pick<AuditCheckpoint, 'id' | 'lastEventId' | 'eventCount' | 'createdAt'> | null;
  /** False when no key is configured: checkpoints are then listed, not checked. */
  anchored: boolean;
  problems: AuditProblem[];
}

/** A place in a chain taken as sound: after event `eventId` (0: before the first), `count` events, the last with `hash`. */
interface ChainPosition {
  eventId: number;
  count: number;
  hash: string | null;
}
const chainStart: ChainPosition = { eventId: 0, count: 0, hash: null };

/** Events fetched at a time while walking a chain: memory stays one page, whatever the chain's length. */
const PAGE_SIZE = 5000;

const eventColumns = Object.entries(getTableColumns(auditEvents));
/** A row as Postgres sends it (FETCH returns raw columns), mapped the way Drizzle's own selects map it. */
const eventFromRow = (row: Record<string, unknown>) =>
  Object.fromEntries(eventColumns.map(([field, c]) => [field, row[c.name] === null ? null : c.mapFromDriverValue(row[c.name])])) as AuditEvent;

/**
 * A chain's events after `afterId` in id order, a page at a time, through a
 * cursor: one query planned once (keyset pages are planned for each page, and
 * with stale statistics each one sorted the rest of the chain).
 */
async function* chainEventsAfter(tx: DbOrTx, organizationId: string | null, afterId: number): AsyncGenerator<AuditEvent[]> {
  await tx.execute(sql`declare audit_walk no scroll cursor for
    select * from ${auditEvents} where ${and(ofChain(organizationId), gt(auditEvents.id, afterId))} order by ${auditEvents.id}`);
  for (;;) {
    const { rows } = await tx.execute<Record<string, unknown>>(sql.raw(`fetch forward ${PAGE_SIZE} from audit_walk`));
    yield rows.map(eventFromRow);
    if (rows.length < PAGE_SIZE) break;
  }
  await tx.execute(sql`close audit_walk`);
}

/** Why checkpoint `c` fails under `key`, given the event it names as the chain has it now (undefined: gone); null when it holds. */
function checkpointProblem(key: CheckpointKey, c: AuditCheckpoint, at: { count: number; hash: string } | undefined): string | null {
  if (c.keyId !== key.id) return `checkpoint signed with another key (${c.keyId}), not the configured ${key.id}`;
  if (!signatureValid(key, c)) return 'checkpoint signature is invalid (forged or altered checkpoint)';
  if (!at) return `event ${c.lastEventId} the checkpoint covers is gone (events deleted)`;
  if (at.hash !== c.headHash) return `event ${c.lastEventId} no longer has the hash the checkpoint signed (history rewritten)`;
  if (at.count !== c.eventCount) return `${at.count} events up to ${c.lastEventId}, the checkpoint signed ${c.eventCount} (events deleted or inserted)`;
  return null;
}

/**
 * Walk a chain from `from` to its head in id order, recomputing each event's
 * hash and link, and check each of `checkpoints` against the event it names
 * as the walk passes it.
 */
async function walkChain(
  tx: DbOrTx,
  organizationId: string | null,
  key: CheckpointKey | null,
  checkpoints: AuditCheckpoint[],
  from: ChainPosition
): Promise<{ chainProblem: AuditProblem | null; checkpointProblems: AuditProblem[]; head: ChainPosition }> {
  const byEvent = new Map<number, AuditCheckpoint[]>();
  for (const c of key ? checkpoints : []) byEvent.set(c.lastEventId, [...(byEvent.get(c.lastEventId) ?? []), c]);
  const failed = new Map<AuditCheckpoint, string>();
  let chainProblem: AuditProblem | null = null;
  let { eventId, count, hash: prev } = from;
  const pause = cooperative();
  for await (const page of chainEventsAfter(tx, organizationId, from.eventId)) for (const r of page) {
    await pause();
    if (!chainProblem && (r.prevHash !== prev || eventHash(prev, r) !== r.hash)) {
      chainProblem = {
        eventId: r.id,
        checkpointId: null,
        reason: r.prevHash !== prev ? 'does not link to the event before it' : 'its content does not match its hash'
      };
    }
    prev = r.hash;
    eventId = r.id;
    count++;
    for (const c of byEvent.get(r.id) ?? []) {
      const reason = checkpointProblem(key!, c, { count, hash: r.hash });
      if (reason) failed.set(c, reason);
    }
    byEvent.delete(r.id);
  }
  // Checkpoints whose event the walk never reached.
  for (const c of [...byEvent.values()].flat()) failed.set(c, checkpointProblem(key!, c, undefined)!);
  const checkpointProblems = checkpoints
    .filter((c) => failed.has(c))
    .map((c) => ({ eventId: c.lastEventId, checkpointId: c.id, reason: failed.get(c)! }));
  return { chainProblem, checkpointProblems, head: { eventId, count, hash: prev } };
}

function verification(
  organizationId: string | null,
  key: CheckpointKey | null,
  walked: Awaited<ReturnType<typeof walkChain>>,
  checkpointsChecked: number,
  newest: AuditCheckpoint | undefined
): AuditChainVerification {
  const { chainProblem, checkpointProblems, head } = walked;
  const problems = [...(chainProblem ? [chainProblem] : []), ...checkpointProblems];
  return {
    organizationId,
    ok: problems.length === 0,
    brokenAt: chainProblem?.eventId ?? null,
    count: head.count,
    head: head.hash ? { eventId: head.eventId, hash: head.hash } : null,
    checkpointsChecked,
    newestCheckpoint: newest ? { id: newest.id, lastEventId: newest.lastEventId, eventCount: newest.eventCount, createdAt: newest.createdAt } : null,
    anchored: key !== null,
    problems
  };
}

const snapshot = { isolationLevel: 'repeatable read', accessMode: 'read only' } as const;

async function verifyFromStart(tx: DbOrTx, organizationId: string | null, key: CheckpointKey | null): Promise<AuditChainVerification> {
  const checkpoints = await tx.select().from(auditCheckpoints).where(checkpointsOf(organizationId)).orderBy(asc(auditCheckpoints.id));
  const walked = await walkChain(tx, organizationId, key, checkpoints, chainStart);
  return verification(organizationId, key, walked, key ? checkpoints.length : 0, checkpoints.at(-1));
}

/**
 * Recompute a chain (an organisation's, or with null the events of no
 * organisation) from its first event and check it against every checkpoint:
 * signature valid under `key`, the event it names still there with that hash,
 * the count up to it unchanged. Reads in one snapshot, a page of events at a time.
 */
export async function verifyAuditChain(db: Db, organizationId: string | null, key: CheckpointKey | null = checkpointKeyFromEnv()): Promise<AuditChainVerification> {
  return db.transaction((tx) => verifyFromStart(tx, organizationId, key), snapshot);
}

/**
 * What a new checkpoint needs, in one snapshot: the newest checkpoint still
 * holds (signed by `key`, its event there with that hash and count, so nothing
 * under it was rewritten forward or cut), and the events after it link on from
 * it. The events under it were verified when it was written and stay anchored
 * by it: not recomputed every tick (verifyAuditChain does, from the start).
 * No checkpoint yet, or the newest fails: the whole chain, to say what broke where.
 */
async function verifySinceNewestCheckpoint(db: Db, organizationId: string | null, key: CheckpointKey): Promise<AuditChainVerification> {
  return db.transaction(async (tx) => {
    const [newest] = await tx.select().from(auditCheckpoints).where(checkpointsOf(organizationId)).orderBy(desc(auditCheckpoints.id)).limit(1);
    if (newest) {
      const [at] = await tx
        .select({
          hash: auditEvents.hash,
          count: sql<number>`(select count(*)::int from ${auditEvents} where ${ofChain(organizationId)} and ${auditEvents.id} <= ${newest.lastEventId})`
        })
        .from(auditEvents)
        .where(and(ofChain(organizationId), eq(auditEvents.id, newest.lastEventId)));
      if (!checkpointProblem(key, newest, at)) {
        const from = { eventId: newest.lastEventId, count: newest.eventCount, hash: newest.headHash };
        return verification(organizationId, key, await walkChain(tx, organizationId, key, [], from), 1, newest);
      }
    }
    return verifyFromStart(tx, organizationId, key);
  }, snapshot);
}

/**
 * Sign the head of a chain that verified (`v.ok`); no checkpoint when the
 * newest already covers the head. Returns `v` with the new checkpoint counted.
 */
export async function signAuditHead(
  db: Db,
  key: CheckpointKey,
  v: AuditChainVerification
): Promise<{ checkpoint: AuditCheckpoint | null; verification: AuditChainVerification }> {
  if (!v.ok) throw new Error('signAuditHead: the chain does not verify');
  if (!v.head || v.newestCheckpoint?.lastEventId === v.head.eventId) return { checkpoint: null, verification: v };
  const body: CheckpointBody = { organizationId: v.organizationId, lastEventId: v.head.eventId, eventCount: v.count, headHash: v.head.hash };
  const [checkpoint] = await db
    .insert(auditCheckpoints)
    .values({ ...body, keyId: key.id, signature: checkpointSignature(key, body) })
    .returning();
  return { checkpoint, verification: { ...v, newestCheckpoint: checkpoint, checkpointsChecked: v.checkpointsChecked + 1 } };
}

/**
 * Sign the head of every chain with events after its newest checkpoint (or of
 * the one chain given), after verifying it since that checkpoint: a
 * checkpoint over a chain that is already broken would vouch for the
 * tampering. Returns what was written and which chains were refused.
 */
export async function writeAuditCheckpoints(
  db: Db,
  key: CheckpointKey,
  options: { organizationId?: string | null } = {}
): Promise<{ written: AuditCheckpoint[]; refused: AuditChainVerification[] }> {
  const chains =
    options.organizationId !== undefined
      ? [options.organizationId]
      : (
          await db.execute<{ organization_id: string | null }>(sql`
            select e.organization_id from audit_events e
            group by e.organization_id
            having max(e.id) > coalesce((select max(c.last_event_id) from audit_checkpoints c
                                         where c.organization_id is not distinct from e.organization_id), 0)`)
        ).rows.map((r) => r.organization_id);
  const written: AuditCheckpoint[] = [];
  const refused: AuditChainVerification[] = [];
  for (const organizationId of chains) {
    const v = await verifySinceNewestCheckpoint(db, organizationId, key);
    if (!v.ok) refused.push(v);
    else {
      const { checkpoint } = await signAuditHead(db, key, v);
      if (checkpoint) written.push(checkpoint);
    }
  }
  return { written, refused };
}
