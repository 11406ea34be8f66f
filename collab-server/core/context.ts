/** Who is acting on a connection, and what the server tells its embedder: shared by every core module. */
import type { Actor } from '../../db/auth';
import type { Access } from './kind';
import type { AccessChange } from './access-watch';
import type { MessageRefusal } from './client-messages';
import { CREDENTIAL } from './access-watch';

/** Stands in for a user when the server itself changes a document (imports, workers). */
export interface SystemActor {
  readonly kind: 'system';
  readonly id: 'system';
  readonly name: string;
}
export const SYSTEM_ACTOR: SystemActor = Object.freeze({ kind: 'system', id: 'system', name: 'Crosslink' });
export type CollabActor = Actor | SystemActor;

/**
 * Server-side restores (services/versions.ts) mark their connection with the
 * change they go back to; the change log records it with each change.
 */
export const RESTORED_FROM: unique symbol = Symbol('crosslink.restoredFrom');

/** `context` of every connection (client or direct), for attribution in hooks. */
export interface CollabContext {
  actor: CollabActor;
  access: Access;
  /** Client connections: the token they authenticated with, for re-checks (access-watch.ts). */
  [CREDENTIAL]?: string;
  [RESTORED_FROM]?: number | null;
}

/** The user id a change is attributed to (null for the server itself). */
export const actorUserId = (actor: CollabActor | undefined): string | null => (actor && 'user' in actor ? actor.user.id : null);

export type RefusalReason = 'unauthenticated' | 'forbidden' | 'unknown-document';

export interface CollabEvents {
  /** State (and projection) committed. */
  stored: [{ documentName: string; organizationId: string; bytes: number }];
  /** A store attempt failed; `final` when no retry follows (the document stays dirty). */
  storeFailed: [{ documentName: string; error: unknown; attempt: number; final: boolean }];
  /** A connection was refused during authentication. */
  refused: [{ documentName: string; reason: RefusalReason; userId: string | null }];
  /**
   * A client message was dropped and its socket closed. Oversized messages are
   * cut off by ws while reading, so neither their document nor size is known.
   */
  messageRejected: [{ documentName: string | null; reason: 'message-too-big' | MessageRefusal; bytes: number | null }];
  /** An open connection's access narrowed: it became read-only (`read`) or was closed (`none`). */
  accessChanged: [AccessChange];
}

export interface CollabLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}
