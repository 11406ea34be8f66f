/**
 * Server-side changes to live documents, over HTTP on a listener of their own
 * (COLLAB_INTERNAL_HOST:COLLAB_INTERNAL_PORT, loopback by default), never on
 * the public WebSocket port. The web app calls it when someone adds molecules
 * to a library through the API or restores an earlier board version, the
 * workers when an import goes into a library: the change goes through the
 * document (a direct connection), so open boards show it at once and the
 * projection and history follow from the store, exactly as for an edit made
 * in a browser. Never behind the document's back.
 *
 * Routes, bodies and answers: common/collab-internal.ts (callers use its client).
 *
 * Who may call: a Crosslink service holding COLLAB_SERVICE_SECRET, sent as
 * `Authorization: Bearer <secret>` and compared in constant time; anything else
 * gets 401 before the body is read. The listener answers plain HTTP only (no
 * upgrade handler: a WebSocket handshake is dropped), so no browser client
 * reaches it through the collab-server's public port or this one.
 * For whom: the body's `on_behalf_of` names the person; their membership in
 * the named organisation must still exist (else 403), and the document kind's
 * `authorize` — the rule WebSocket connections get — must give them `edit`
 * (read: 403, nothing: 404). History credits the change to them.
 * Answers use the API envelope `{ data }` / `{ error: { code, message } }`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq } from 'drizzle-orm';
import type { z } from 'zod';
import { addCards, removeCards, restoreBoard } from '../common/board';
import { collabInternalRoutes, type OnBehalfOf } from '../common/collab-internal';
import { AppError, forbidden, notFound, validationError } from '../common/errors';
import { boardDocAt, moleculesOfLibraryOrganization } from '../db/access/libraries';
import type { Actor } from '../db/auth';
import type { Db } from '../db/client';
import { libraries, memberships, organizations, users } from '../db/schema';
import { resolveIn } from './core/kind';
import { withDocument, type LiveDocuments } from './services/server-changes';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface InternalApiOptions {
  /** The running server (a `CollabServer`), whose documents the changes go to. */
  collab: LiveDocuments;
  db: Db;
  /** COLLAB_SERVICE_SECRET: the bearer credential every call must carry. */
  secret: string;
  /** Default 127.0.0.1: only this machine's services reach it. */
  host?: string;
  /** 0 (default) picks a free port; read it from `port` after `listen()`. */
  port?: number;
  logger?: { error(...args: unknown[]): void };
}

export interface InternalApi {
  readonly server: http.Server;
  /** Actual port once listening (0 before). */
  readonly port: number;
  /** `http://host:port` a caller on this machine can use. */
  readonly url: string;
  listen(): Promise<{ port: number; url: string }>;
  /** Stop accepting; resolves when the calls in flight have been answered. Idempotent. */
  close(): Promise<void>;
}

/** Equal-length digests, so neither the secret's length nor its bytes show in the timing. */
const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(token), expected);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const declared = Number(request.headers['content-length']);
  if (declared > MAX_BODY_BYTES) throw new AppError('PAYLOAD_TOO_LARGE', `Bodies are limited to ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new AppError('PAYLOAD_TOO_LARGE', `Bodies are limited to ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new AppError('VALIDATION_ERROR', 'The body is not JSON');
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  response.end(JSON.stringify(body));
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error.issues);
  return r.data;
}

/**
 * The Actor a change is made for: the person, with their membership in the
 * named organisation (which must still exist). `scope: 'organization'` acts
 * like an API token (only that membership counts for access), `user` like a
 * session (all of them do); Actor's `via` is what access rules read for that.
 */
export async function actorOnBehalfOf(db: Db, who: OnBehalfOf): Promise<Actor> {
  const [row] = await db
    .select({
      user: { id: users.id, email: users.email, name: users.name },
      role: memberships.role,
      organization: { id: organizations.id, name: organizations.name, kind: organizations.kind }
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(and(eq(memberships.userId, who.user_id), eq(memberships.organizationId, who.organization_id)));
  if (!row) throw forbidden('The person this change is made for is not a member of that organisation (any more)');
  return {
    user: row.user,
    organization: row.organization,
    role: row.role,
    via: who.scope === 'organization' ? 'api_token' : 'session',
    // No credential of theirs is involved; nothing may sign it out or revoke it.
    credentialId: 'collab-internal'
  };
}

/** `edit` access of `actor` to `documentName` by its kind's rule (as for a WebSocket), else 404/403. */
async function requireEdit(collab: LiveDocuments, db: Db, actor: Actor, documentName: string, noun: string) {
  const ref = resolveIn(documentName, collab.kinds);
  const access = ref ? await ref.kind.authorize(db, actor, ref.id) : null;
  if (!ref || !access) throw notFound(noun);
  if (access !== 'edit') throw forbidden(`You can view this ${ref.kind.noun ?? 'document'} but not change it`);
  return ref;
}

export function createInternalApi(opts: InternalApiOptions): InternalApi {
  const { collab, db } = opts;
  const host = opts.host ?? '127.0.0.1';
  const expected = digest(opts.secret);
  const log = opts.logger ?? { error: (...args: unknown[]) => console.error('[collab]', ...args) };

  async function library(libraryId: string, actor: Actor) {
    const ref = await requireEdit(collab, db, actor, `library:${libraryId}`, 'Library');
    const [row] = await db.select().from(libraries).where(eq(libraries.id, ref.id));
    if (!row) throw notFound('Library');
    return { name: ref.name, library: row };
  }

  async function handle(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
    // The credential first, whatever the path: nothing about the API shows without it.
    if (!bearerMatches(request.headers.authorization, expected)) {
      throw new AppError('AUTHENTICATION_ERROR', 'Send the service credential (COLLAB_SERVICE_SECRET) as a bearer token');
    }
    const { pathname } = new URL(request.url ?? '/', 'http://collab-internal');
    const cards = collabInternalRoutes.libraryCards.pattern.exec(pathname);
    const restore = collabInternalRoutes.libraryRestore.pattern.exec(pathname);
    if (!cards && !restore) throw new AppError('NOT_FOUND', `No route ${pathname}`);
    if (request.method !== 'POST') throw new AppError('NOT_FOUND', 'Use POST');
    const body = await readJson(request);

    if (cards) {
      const input = parse(collabInternalRoutes.libraryCards.body, body);
      const actor = await actorOnBehalfOf(db, input.on_behalf_of);
      const { name, library: lib } = await library(decodeURIComponent(cards[1]), actor);
      const add = input.add.length ? await moleculesOfLibraryOrganization(db, lib, input.add) : [];
      const result = await withDocument(
        collab,
        name,
        (doc) => ({
          added: addCards(doc, add, { laneId: input.lane_id ?? undefined, userId: actor.user.id }),
          removed: removeCards(doc, input.remove)
        }),
        { actor }
      );
      return {
        status: 200,
        body: { data: { added: result.added.length, already_present: add.length - result.added.length, removed: result.removed.length } }
      };
    }

    const input = parse(collabInternalRoutes.libraryRestore.body, body);
    const actor = await actorOnBehalfOf(db, input.on_behalf_of);
    const { name, library: lib } = await library(decodeURIComponent(restore![1]), actor);
    const old = await boardDocAt(db, lib.id, input.change_id);
    if (!old) throw new AppError('NOT_FOUND', `Change ${input.change_id} not found in this library`);
    try {
      await withDocument(collab, name, (doc) => restoreBoard(doc, old), { actor, restoredFrom: input.change_id });
    } finally {
      old.destroy();
    }
    return { status: 200, body: { data: { restored_from: input.change_id } } };
  }

  const server = http.createServer((request, response) => {
    handle(request).then(
      ({ status, body }) => send(response, status, body),
      (error: unknown) => {
        const e = error instanceof AppError ? error : new AppError('INTERNAL_ERROR', 'The collab-server could not apply the change');
        if (!(error instanceof AppError)) log.error('internal api:', error);
        // A refused call may leave its body unread: close rather than reuse the connection.
        send(response, e.status, e.toJSON(), { ...e.headers, ...(request.complete ? {} : { Connection: 'close' }) });
      }
    );
  });
  // Calls are short; a caller that stops mid-request must not hold a socket for ever.
  server.requestTimeout = 120_000;

  let listening = false;
  let closing: Promise<void> | null = null;
  const connectableHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host;

  return {
    server,
    get port() {
      return listening ? (server.address() as AddressInfo).port : 0;
    },
    get url() {
      return `http://${connectableHost}:${this.port}`;
    },
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port ?? 0, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      listening = true;
      return { port: this.port, url: this.url };
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        // Keep-alive sockets with no call in flight would keep close() waiting.
        server.closeIdleConnections();
      }).finally(() => {
        listening = false;
      });
      return closing;
    }
  };
}
