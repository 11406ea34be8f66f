/**
 * Server-side changes to live documents go through the collab-server (its
 * internal API, contract in common/collab-internal.ts), made for the person
 * asking, so open boards see them at once and history credits them. The web
 * app sends the service credential and names the person; it never forwards
 * their token. The collab-server checks their access again.
 */
import {
  callCollabInternal,
  collabInternalTarget,
  type CollabInternalBody,
  type CollabInternalResult,
  type CollabInternalRoute,
  type OnBehalfOf
} from '$common/collab-internal';
import { unauthenticated } from '$common/errors';
import type { Actor } from '$db/auth';
import { getEnv } from './context';

/**
 * Whom a request's change is made for. A session may act through any of its
 * person's memberships (a partner's library); an API token only in its own
 * organisation, and so does the change.
 */
export function onBehalfOf(actor: Actor | null | undefined): OnBehalfOf {
  if (!actor?.organization) throw unauthenticated();
  return { user_id: actor.user.id, organization_id: actor.organization.id, scope: actor.via === 'api_token' ? 'organization' : 'user' };
}

/** Call `route` of the collab-server's internal API for `actor` (the body's `on_behalf_of` is filled in). */
export function collabChange<K extends CollabInternalRoute>(
  actor: Actor | null | undefined,
  route: K,
  documentId: string,
  body: Omit<CollabInternalBody<K>, 'on_behalf_of'>
): Promise<CollabInternalResult<K>> {
  const request = { ...body, on_behalf_of: onBehalfOf(actor) } as CollabInternalBody<K>;
  return callCollabInternal(collabInternalTarget(getEnv()), route, documentId, request);
}
