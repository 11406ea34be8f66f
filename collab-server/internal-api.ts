/**
 * Server-side changes to live documents, over HTTP on the collab-server's own
 * port (Hocuspocus `onRequest`). The web app calls it when someone adds
 * molecules to a library through the API or restores an earlier board
 * version: the change goes through the document (a direct connection), so
 * open boards show it at once and the projection and history follow from the
 * store, exactly as for an edit made in a browser. Never behind the
 * document's back.
 *
 *   POST /internal/v1/libraries/:id/cards    { add?: uuid[], remove?: uuid[], lane_id? }
 *   POST /internal/v1/libraries/:id/restore  { change_id }
 *
 * Authenticated like everything else: `Authorization: Bearer <session or API
 * token>` of the person acting; access is checked again here (edit needed).
 * Answers use the API envelope `{ data }` / `{ error: { code, message } }`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Extension, onRequestPayload } from '@hocuspocus/server';
import { z } from 'zod';
import { addCards, removeCards, restoreBoard } from '../common/board';
import { AppError, validationError } from '../common/errors';
import { boardDocAt, moleculesOfLibraryOrganization, requireLibrary } from '../db/access/libraries';
import { authenticateToken } from '../db/auth';
import type { Db } from '../db/client';
import type { CollabServer } from './server';
import { withDocument } from './server';

const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** One call adds at most this many cards (the API batches above it). */
export const MAX_CARDS_PER_CALL = 20_000;

const cardsBody = z.object({
  add: z.array(z.uuid()).max(MAX_CARDS_PER_CALL).default([]),
  remove: z.array(z.uuid()).max(MAX_CARDS_PER_CALL).default([]),
  lane_id: z.string().max(100).nullish()
});
const restoreBody = z.object({ change_id: z.number().int().positive() });

async function readJson(request: IncomingMessage): Promise<unknown> {
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

function send(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(body));
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error.issues);
  return r.data;
}

export function internalApi(collab: () => CollabServer, db: Db): Extension {
  return {
    extensionName: 'CrosslinkInternalApi',
    async onRequest({ request, response }: onRequestPayload) {
      const url = new URL(request.url ?? '/', 'http://collab');
      const match = /^\/internal\/v1\/libraries\/([^/]+)\/(cards|restore)$/.exec(url.pathname);
      if (!match) return; // not ours: Hocuspocus answers
      try {
        if (request.method !== 'POST') throw new AppError('NOT_FOUND', 'Use POST');
        const token = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim();
        const actor = token ? await authenticateToken(db, token) : null;
        if (!actor) throw new AppError('AUTHENTICATION_ERROR', 'Send the acting person’s bearer token');
        const [, libraryId, action] = match;
        const g = await requireLibrary(db, actor, libraryId, 'edit');
        const name = `library:${g.library.id}`;
        const body = await readJson(request);
        if (action === 'cards') {
          const input = parse(cardsBody, body);
          const add = input.add.length ? await moleculesOfLibraryOrganization(db, g.library, input.add) : [];
          const result = await withDocument(
            collab(),
            name,
            (doc) => ({
              added: addCards(doc, add, { laneId: input.lane_id ?? undefined, userId: actor.user.id }),
              removed: removeCards(doc, input.remove)
            }),
            { actor }
          );
          send(response, 200, {
            data: { added: result.added.length, already_present: add.length - result.added.length, removed: result.removed.length }
          });
        } else {
          const input = parse(restoreBody, body);
          const old = await boardDocAt(db, g.library.id, input.change_id);
          if (!old) throw new AppError('NOT_FOUND', `Change ${input.change_id} not found in this library`);
          try {
            await withDocument(collab(), name, (doc) => restoreBoard(doc, old), { actor, restoredFrom: input.change_id });
          } finally {
            old.destroy();
          }
          send(response, 200, { data: { restored_from: input.change_id } });
        }
      } catch (error) {
        const e = error instanceof AppError ? error : new AppError('INTERNAL_ERROR', 'The collab-server could not apply the change');
        if (!(error instanceof AppError)) console.error('[collab] internal api:', error);
        send(response, e.status, e.toJSON());
      }
      // Stop the hook chain: the response is sent (Hocuspocus treats an empty rejection as "handled").
      throw null;
    }
  };
}
