/**
 * Who wrote what in a live document, by Yjs client id.
 *
 * Every provider session writes its changes under a Yjs client id of its own
 * (random per Y.Doc). The first connection that writes with a client id owns
 * it (`collab_client_ids`); the claim is committed before that first write is
 * applied, so before anyone else can receive it.
 *
 * Why it matters: when a client reconnects it sends (sync step 2) everything
 * the server lacks, including edits of other people it received before the
 * server died. Credited to the connection, they would become the resending
 * user's. `creditByClientOwner` splits such an update by the owners of the
 * client ids in it.
 *
 * When the durable update log is on (update-log.ts) the server never lacks an
 * acknowledged edit, so whatever is new to it in a message can only be the
 * sender's own: `creditChange` then credits the sender and does not use the
 * owners at all. Otherwise a client could claim another person's client id
 * for its own new edits (the ids are in every update it receives) and put
 * them in that person's name.
 */
import { sql } from 'drizzle-orm';
import * as Y from 'yjs';
import type { Db } from '../db/client';
import { collabClientIds } from '../db/schema';

/** Part of an update and the user it is credited to (null: the server itself). */
export interface CreditedUpdate {
  userId: string | null;
  update: Uint8Array;
}

/** An update with no structs and an empty delete set (a client already in sync). */
export const isEmptyUpdate = (update: Uint8Array) => update.byteLength === 2 && update[0] === 0 && update[1] === 0;

/** Reads a lib0 varuint at `pos`; null past the end. */
function readVarUint(bytes: Uint8Array, pos: number): { value: number; next: number } | null {
  let value = 0;
  let mult = 1;
  for (let i = pos; i < bytes.length && i < pos + 8; i++) {
    const b = bytes[i];
    value += (b & 0x7f) * mult;
    if (b < 0x80) return { value, next: i + 1 };
    mult *= 128;
  }
  return null;
}

/**
 * The client ids whose structs a (V1) update carries. An update holds the
 * structs of each client in one run; a provider's live update has exactly one,
 * so the header is read first and the update parsed only when there are more.
 */
export function structClientIds(update: Uint8Array): number[] {
  const clients = readVarUint(update, 0);
  if (!clients || clients.value === 0) return [];
  if (clients.value === 1) {
    const structs = readVarUint(update, clients.next);
    const client = structs && readVarUint(update, structs.next);
    if (client) return [client.value];
  }
  return [...Y.parseUpdateMeta(update).from.keys()];
}

/**
 * `update` split by the owners of its structs' client ids (`ownerOf` returns
 * undefined for an id nobody owns: the sender's then). Structs by other
 * owners come first (the sender received them before it wrote its own), the
 * sender's last. The delete set cannot be attributed (it names what was
 * deleted, not who deleted it): it goes with the sender's part, or with the
 * last part when the sender wrote no structs (a pure resend).
 */
export function creditByClientOwner(
  update: Uint8Array,
  sender: string | null,
  ownerOf: (clientId: number) => string | null | undefined
): CreditedUpdate[] {
  const ids = structClientIds(update);
  const byOwner = new Map<string | null, number[]>();
  for (const client of ids) {
    const owner = ownerOf(client);
    const who = owner === undefined ? sender : owner;
    byOwner.set(who, [...(byOwner.get(who) ?? []), client]);
  }
  if (byOwner.size === 0 || (byOwner.size === 1 && byOwner.has(sender))) return [{ userId: sender, update }];

  const ends = Y.parseUpdateMeta(update).to;
  /** The structs of `clients` only: every other client's are "already seen". */
  const only = (clients: number[]) => {
    const keep = new Set(clients);
    const seen = new Map([...ends].filter(([client]) => !keep.has(client)));
    return Y.diffUpdate(update, Y.encodeStateVector(seen));
  };
  // A V1 update is its structs, then its delete set. With every struct "seen"
  // only the empty struct section (one 0 byte) and the delete set are left:
  // those are the bytes a part without the delete set drops (and ends in an
  // empty delete set, 0, instead).
  const deleteSet = Y.diffUpdate(update, Y.encodeStateVector(ends)).subarray(1);
  const withoutDeleteSet = (part: Uint8Array) => {
    const out = new Uint8Array(part.length - deleteSet.length + 1);
    out.set(part.subarray(0, part.length - deleteSet.length));
    out[out.length - 1] = 0;
    return out;
  };
  const owners = [...byOwner.keys()].filter((o) => o !== sender);
  if (byOwner.has(sender)) owners.push(sender);
  return owners.map((userId, i) => {
    const part = only(byOwner.get(userId)!);
    return { userId, update: i === owners.length - 1 ? part : withoutDeleteSet(part) };
  });
}

/**
 * Owners of client ids, per loaded document: cached after the first lookup
 * (an id's owner never changes), claimed in one statement when unknown.
 */
export class ClientIdOwners {
  private readonly owners = new Map<string, Map<number, string | null>>();

  constructor(private readonly db: Db) {}

  /** The owner, if this node knows it (claims made since the document was loaded here). */
  ownerOf(documentName: string, clientId: number): string | null | undefined {
    return this.owners.get(documentName)?.get(clientId);
  }

  /** True when every id has a known owner (nothing to claim). */
  known(documentName: string, clientIds: readonly number[]): boolean {
    const owners = this.owners.get(documentName);
    return clientIds.every((id) => owners?.has(id));
  }

  /**
   * Claims the ids nobody owns for `userId` and learns the owners of the rest
   * (claimed earlier, perhaps on another node or before a restart), in one
   * round trip. The no-op update on conflict makes RETURNING give the row that
   * is there, so the first claim wins, across nodes too.
   */
  async claim(documentName: string, clientIds: readonly number[], userId: string | null): Promise<void> {
    const owners = this.owners.get(documentName) ?? new Map<number, string | null>();
    this.owners.set(documentName, owners);
    const unknown = [...new Set(clientIds)].filter((id) => !owners.has(id));
    if (!unknown.length) return;
    const rows = await this.db.execute<{ clientId: string; userId: string | null }>(sql`
      insert into ${collabClientIds} (document_name, client_id, user_id)
      select ${documentName}, c, ${userId}::uuid from unnest(${sql.param(unknown)}::bigint[]) as c
      on conflict (document_name, client_id) do update set document_name = excluded.document_name
      returning client_id as "clientId", user_id as "userId"`);
    for (const r of rows.rows) owners.set(Number(r.clientId), r.userId);
  }

  forget(documentName: string) {
    this.owners.delete(documentName);
  }
}
