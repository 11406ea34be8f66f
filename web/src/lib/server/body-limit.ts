/**
 * Request body limits, enforced on the Node request before SvelteKit sees it
 * (web/server.ts). adapter-node has one BODY_SIZE_LIMIT for every route, and it
 * must be large for import uploads; so only the upload routes get that limit
 * (they stream to disk, uploads.ts), and every other route refuses more than
 * REQUEST_BODY_LIMIT bytes at once:
 *
 *  - a declared Content-Length over the limit: 413 before any of the body is
 *    read (also to `Expect: 100-continue`, so such a client never sends it);
 *  - a chunked body that grows past the limit: reading stops at the limit, the
 *    route's body read fails, and the hooks answer 413 (web/src/hooks.server.ts).
 *
 * Either way the connection is closed after the answer (a moment after: see
 * closeUnreadAfterAnswer), so the rest of the body is never read. Imports
 * nothing of the app, so the server entry can use it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Routes that take large bodies, by method and path (query string excluded). */
const UPLOAD_ROUTES = new Set(['POST /api/v1/imports', 'POST /api/v1/imports/preview']);

/** Set on the Node request when its body went past the limit while being read. */
const BODY_TOO_LARGE = Symbol.for('crosslink.bodyTooLarge');

type LimitedRequest = IncomingMessage & { [BODY_TOO_LARGE]?: number };

export interface BodyLimits {
  /** Every route but the uploads. */
  requestBytes: number;
  /** The import upload routes (they enforce their own, smaller, file limits too). */
  uploadBytes: number;
}

export function bodyLimitFor(req: IncomingMessage, limits: BodyLimits): number {
  const path = (req.url ?? '/').split('?', 1)[0];
  return UPLOAD_ROUTES.has(`${req.method} ${path}`) ? limits.uploadBytes : limits.requestBytes;
}

/** The error envelope of common/errors.ts, written by hand: this runs outside SvelteKit. */
export function tooLargeBody(limit: number) {
  return {
    error: {
      code: 'PAYLOAD_TOO_LARGE',
      message: `The request body is larger than this route accepts (${limit} bytes)`,
      details: [{ message: `must be at most ${limit} bytes`, limit_bytes: limit }]
    }
  };
}

/** How long a connection whose body we stopped reading stays open after our answer. */
const LINGER_MS = 2000;

/**
 * Close, once our answer is out, a connection whose body we stopped reading. Not at once:
 * closing a socket with unread data makes the kernel reset the connection, and a reset that
 * reaches the client before it has read the 413 takes the 413 with it (the client sees EPIPE
 * or ECONNRESET instead). So our side is ended (the answer, then FIN) and the socket is
 * destroyed LINGER_MS later, the rest of the body still unread. Node's HTTP server ends a
 * `Connection: close` response with the socket's destroySoon, so that is where this goes.
 */
function closeUnreadAfterAnswer(socket: Socket) {
  socket.destroySoon = () => {
    if (!socket.writableEnded) socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}

function refuse(req: IncomingMessage, res: ServerResponse, limit: number) {
  const body = JSON.stringify(tooLargeBody(limit));
  closeUnreadAfterAnswer(req.socket);
  res.writeHead(413, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close'
  });
  res.end(body, () => req.socket.destroySoon());
}

/**
 * Admit `req` or answer 413. Returns false when it answered. For an admitted
 * request with a body, counts the bytes as they are read and, past the limit,
 * stops reading and fails the body stream with a 413 error (status 413, as
 * respond.ts and the hooks recognise).
 */
export function admitBody(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): boolean {
  const limit = bodyLimitFor(req, limits);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    refuse(req, res, limit);
    return false;
  }
  if (req.headers['transfer-encoding'] == null && !(declared > 0)) return true;

  let received = 0;
  const count = (chunk: Buffer) => {
    received += chunk.length;
    if (received <= limit) return;
    req.off('data', count);
    req.pause();
    (req as LimitedRequest)[BODY_TOO_LARGE] = limit;
    res.shouldKeepAlive = false;
    closeUnreadAfterAnswer(req.socket);
    if (res.headersSent || res.writableEnded) {
      req.socket.destroySoon();
      return;
    }
    res.setHeader('Connection', 'close');
    const error = Object.assign(new Error(`request body exceeded ${limit} bytes`), { status: 413 });
    // adapter-node's body stream listens for 'error': the route's body read rejects with this.
    if (req.listenerCount('error') > 0) req.emit('error', error);
    else refuse(req, res, limit);
  };
  // Listening would start the flow; pause so adapter-node's reader decides when to read,
  // and this listener, registered first, sees every chunk before it does.
  req.on('data', count);
  req.pause();
  return true;
}

/** The limit a request's body went past while being read, if it did. */
export function bodyTooLargeLimit(req: unknown): number | undefined {
  return (req as LimitedRequest | undefined)?.[BODY_TOO_LARGE];
}
