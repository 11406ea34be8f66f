/**
 * One open live document in the browser, whatever its kind: the Y.Doc, its
 * Hocuspocus provider (authenticated by the session cookie), the connection's
 * state as the page shows it, presence, undo of this person's own changes,
 * and the collab-server's notices (common/collab-notices.ts): `stored` (the
 * document and its history are committed) and `access` (read-only from now
 * on, or closed, with the server's message).
 *
 * It knows nothing about what the document holds. An editor (the library
 * board: lib/board/session.svelte.ts) makes one, reads `doc` once `onLoaded`
 * has been called, and makes every change with `origin` (`transact`), the
 * only origin undo takes back.
 */
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import * as Y from 'yjs';
import { parseCollabNotice } from '$common/collab-notices';
import { connectionState, type ConnectionState, type SocketStatus } from './connection';
import { userColor } from './people';
import { LivePresence, type LivePeer, type PresenceUser } from './presence.svelte';
import { OwnUndo } from './undo.svelte';

export interface LiveDocumentOptions<F extends object> {
  /** The document's name, `<kind>:<id>` (collab-server/documents.ts). */
  name: string;
  /** ws(s):// URL of the collab-server (`collabUrl`). */
  url: string;
  /** Who is signed in: sent as presence exactly as given (the server checks it is the connection's user). */
  user: { id: string; name: string };
  /** View access: nothing can be changed (the server would drop it anyway). */
  readOnly: boolean;
  /** The shared types undo covers (this person's changes to them, nobody else's). */
  undoScope: (doc: Y.Doc) => Y.AbstractType<any>[];
  /** The editor's presence fields: their first value, and how to read them from another client's state. */
  presence: { initial: F; read: (state: Record<string, unknown>) => F };
  /** Called once, at the first sync: the editor reads the document from here on. */
  onLoaded?: () => void;
  /** Called after every awareness change with the new peers. */
  onPeers?: (peers: LivePeer<F>[]) => void;
  /** Credential: `cookie` (default) has the collab-server read the session cookie sent with the upgrade. */
  token?: string;
  /** Outside a browser (tests): the WebSocket class to use. */
  WebSocketPolyfill?: unknown;
}

export class LiveDocumentSession<F extends object = Record<string, never>> {
  readonly name: string;
  readonly doc = new Y.Doc();
  /** The origin of this person's changes (the undo manager tracks only it). */
  readonly origin: object;
  readonly socket: HocuspocusProviderWebsocket;
  readonly provider: HocuspocusProvider;
  readonly presence: LivePresence<F>;
  readonly undo: OwnUndo;
  readonly readOnly: boolean;

  status = $state<SocketStatus>('connecting');
  synced = $state(false);
  /** The first sync happened (the document shows from then on, also while offline). */
  loaded = $state(false);
  /** Local changes the server has not acknowledged yet. */
  unsynced = $state(0);
  /** Why the server refused or closed the document, or null. */
  refused = $state<string | null>(null);
  /** Scope the server granted: 'read-write' or 'readonly' (also set when access is lowered while open). */
  scope = $state<string | null>(null);
  /**
   * The collab-server changed this connection's access while it was open
   * (the `access` notice), with its message for the page: `none`, the
   * document is closed (signed out, access removed); `read`, it is read-only
   * from then on.
   */
  accessChange = $state<{ access: 'read' | 'none'; message: string } | null>(null);
  /** Bumped on every `stored` notice: the document's state, projection and history rows are committed. */
  stored = $state(0);

  #destroyed = false;

  constructor(opts: LiveDocumentOptions<F>) {
    this.name = opts.name;
    this.readOnly = opts.readOnly;
    this.origin = { live: opts.name };
    this.undo = new OwnUndo(opts.undoScope(this.doc), this.origin);

    this.socket = new HocuspocusProviderWebsocket({ url: opts.url, ...(opts.WebSocketPolyfill ? { WebSocketPolyfill: opts.WebSocketPolyfill } : {}) });
    this.provider = new HocuspocusProvider({
      websocketProvider: this.socket,
      name: opts.name,
      document: this.doc,
      token: opts.token ?? 'cookie',
      onStatus: ({ status }) => {
        this.status = status as SocketStatus;
        if (status !== 'connected') this.synced = false;
      },
      onSynced: ({ state }) => {
        this.synced = state;
        if (state && !this.loaded) {
          this.loaded = true;
          opts.onLoaded?.();
        }
      },
      onAuthenticated: ({ scope }) => {
        this.scope = scope;
        this.refused = null;
      },
      onAuthenticationFailed: ({ reason }) => {
        this.refused = reason || 'refused';
      },
      onUnsyncedChanges: ({ number }) => {
        this.unsynced = number;
      },
      // Also fires while the presence below sets its first fields (it has no peers to read yet).
      onAwarenessChange: () => this.presence?.refresh(),
      onStateless: ({ payload }) => {
        const notice = parseCollabNotice(payload);
        if (notice?.type === 'stored') this.stored++;
        else if (notice?.type === 'access') this.#accessChanged(notice.access, notice.message);
      }
    });
    const me: PresenceUser = { id: opts.user.id, name: opts.user.name, color: userColor(opts.user.id) };
    this.presence = new LivePresence(this.provider, me, opts.presence.initial, opts.presence.read, opts.onPeers);
    // Given a socket of its own, the provider waits to be attached to it.
    this.provider.attach();
  }

  /** Read-only from now on, or closed: the server has already stopped applying this client's edits. */
  #accessChanged(access: 'read' | 'none', message: string) {
    this.accessChange = { access, message };
    this.scope = 'readonly';
    if (access === 'none') {
      this.refused = message;
      // The server closed this document; reconnecting would only be refused again.
      this.socket.disconnect();
    }
  }

  get connection(): ConnectionState {
    return connectionState(this);
  }

  /** True when this person may change the document (view access, or the server said read-only: no). */
  get canEdit(): boolean {
    return !this.readOnly && this.scope !== 'readonly';
  }

  get me(): PresenceUser {
    return this.presence.me;
  }

  get peers(): LivePeer<F>[] {
    return this.presence.peers;
  }

  get awareness() {
    return this.provider.awareness!;
  }

  /** One change by this person (one undo step); nothing when they may not edit. Returns whether it ran. */
  transact(change: () => void): boolean {
    if (!this.canEdit) return false;
    this.doc.transact(change, this.origin);
    return true;
  }

  undoChange() {
    if (this.canEdit) this.undo.undo();
  }
  redoChange() {
    if (this.canEdit) this.undo.redo();
  }

  destroy() {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.presence.destroy();
    this.undo.destroy();
    this.provider.destroy();
    this.socket.destroy();
    this.doc.destroy();
  }
}

/** Where the browser reaches the collab-server: PUBLIC_COLLAB_URL, else this host on COLLAB_PORT. */
export function collabUrl(collab: { url?: string | null; port?: number | string | null } | null | undefined): string {
  if (collab?.url) return collab.url;
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${proto}://${location.hostname}:${collab?.port ?? 1234}`;
}
