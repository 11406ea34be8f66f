/**
 * CrosslinkAuth: the provider's `token` (session token or `clk_…` API token,
 * or `cookie`: the httpOnly session cookie of the upgrade request, only from
 * allowed page origins) goes through `authenticateToken`; the document's kind
 * decides `edit` / `read` (read => `connectionConfig.readOnly`) or refuses.
 * Refusals reach the client as `authenticationFailed` with `reason` =
 * `unauthenticated` | `forbidden` | `unknown-document`. The returned context
 * (`actor`, `access`) is every later hook's.
 */
import type { Extension } from '@hocuspocus/server';
import { AppError } from '../../common/errors';
import { authenticateToken, readCookie, SESSION_COOKIE } from '../../db/auth';
import { CREDENTIAL } from './access-watch';
import type { CollabContext, RefusalReason } from './context';
import { resolveIn } from './kind';
import type { StoreState } from './state';

/** Thrown from onAuthenticate; Hocuspocus sends `reason` to the client (authenticationFailed). */
function refusal(reason: RefusalReason, message: string): AppError & { reason: RefusalReason } {
  const code = reason === 'unauthenticated' ? 'AUTHENTICATION_ERROR' : reason === 'forbidden' ? 'AUTHORIZATION_ERROR' : 'NOT_FOUND';
  return Object.assign(new AppError(code, message), { reason });
}

export function authentication(state: StoreState, opts: { allowedOrigins: readonly string[] }): Extension {
  const { db, kinds, events } = state;
  return {
    extensionName: 'CrosslinkAuth',
    async onAuthenticate({ token, documentName, connectionConfig, requestHeaders }): Promise<CollabContext> {
      const refuse = (reason: RefusalReason, message: string, userId: string | null = null) => {
        events.emit('refused', { documentName, reason, userId });
        return refusal(reason, message);
      };
      // Browsers send token "cookie": the httpOnly session cookie came with the WebSocket upgrade.
      let credential = token;
      if (token === 'cookie') {
        if (!cookieOriginAllowed(requestHeaders.origin, opts.allowedOrigins)) {
          throw refuse('unauthenticated', 'The session cookie is only accepted from Crosslink pages');
        }
        credential = readCookie(requestHeaders.cookie, SESSION_COOKIE) ?? '';
      }
      const actor = await authenticateToken(db, credential);
      if (!actor) throw refuse('unauthenticated', 'Sign in or send a valid token');
      const ref = resolveIn(documentName, kinds);
      if (!ref) throw refuse('unknown-document', `Unknown document "${documentName.slice(0, 80)}"`, actor.user.id);
      const access = await ref.kind.authorize(db, actor, ref.id);
      if (!access) throw refuse('forbidden', `No access to ${documentName}`, actor.user.id);
      connectionConfig.readOnly = access === 'read';
      // Merged into the connection context by Hocuspocus; the credential (under a
      // symbol: never logged or serialised) lets access-watch re-check it later.
      return { actor, access, [CREDENTIAL]: credential };
    }
  };
}

/**
 * Cookie authentication is for Crosslink's own pages: the page's origin must be
 * one of `allowed` (the web app's ORIGIN and COLLAB_ALLOWED_ORIGINS), compared
 * as origins (scheme, host and port). The host name alone is not enough: any
 * other port of the same host can serve a page that is not Crosslink's, and the
 * browser would send it the session cookie (cookies are not port-bound).
 */
export function cookieOriginAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  const page = origin ? originOf(origin) : null;
  return !!page && allowed.some((a) => originOf(a) === page);
}

function originOf(value: string): string | null {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}
