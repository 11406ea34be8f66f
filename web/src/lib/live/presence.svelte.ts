/**
 * Presence on a live document (Yjs awareness): who else is here and what
 * each of them points at, and this person's own state.
 *
 * `user` is the server's: the collab-server refuses an awareness state whose
 * `user` is not the connection's own id and name (collab-server/core/client-messages.ts),
 * so the client sends exactly `{ id, name }` it was given plus a colour, and
 * never anyone else's. Everything else in the state (`F`) belongs to the
 * editor (the board: `selected`, `editing`, `cursor`), read back from other
 * clients through the editor's `read`, which must not trust their shape.
 */
import type { HocuspocusProvider } from '@hocuspocus/provider';

export type PresenceUser = { id: string; name: string; color: string };
/** Another client on the document: its awareness client id, its person, and the editor's fields. */
export type LivePeer<F> = F & { clientId: number; user: PresenceUser };

/** Colour shown for a peer whose state carries none. */
const NO_COLOR = '#4a5565';

/**
 * Other clients' states as peers: this client and states without a usable
 * `user` are left out; the editor's fields come from `read`.
 */
export function readPeers<F extends object>(
  states: Map<number, Record<string, unknown> | null | undefined>,
  ownClientId: number,
  read: (state: Record<string, unknown>) => F
): LivePeer<F>[] {
  const peers: LivePeer<F>[] = [];
  states.forEach((s, clientId) => {
    if (clientId === ownClientId || !s) return;
    const user = s.user as Partial<PresenceUser> | undefined;
    if (!user || typeof user.id !== 'string') return;
    peers.push({
      ...read(s),
      clientId,
      user: { id: user.id, name: String(user.name ?? ''), color: String(user.color ?? NO_COLOR) }
    });
  });
  return peers;
}

export class LivePresence<F extends object> {
  /** Everyone else on the document, re-read on every awareness change. */
  peers = $state.raw<LivePeer<F>[]>([]);
  readonly me: PresenceUser;

  readonly #provider: HocuspocusProvider;
  readonly #read: (state: Record<string, unknown>) => F;
  readonly #onPeers: ((peers: LivePeer<F>[]) => void) | undefined;
  readonly #local: Record<string, unknown>;
  #pending: Partial<F> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #destroyed = false;

  constructor(
    provider: HocuspocusProvider,
    me: PresenceUser,
    initial: F,
    read: (state: Record<string, unknown>) => F,
    onPeers?: (peers: LivePeer<F>[]) => void
  ) {
    this.#provider = provider;
    this.me = me;
    this.#read = read;
    this.#onPeers = onPeers;
    this.#local = { user: me, ...initial };
    for (const [k, v] of Object.entries(this.#local)) provider.setAwarenessField(k, v);
  }

  /** Re-reads the peers (the session calls it on every awareness change). */
  refresh() {
    const awareness = this.#provider.awareness;
    if (!awareness) return;
    this.peers = readPeers(awareness.getStates() as Map<number, Record<string, unknown>>, awareness.clientID, this.#read);
    this.#onPeers?.(this.peers);
  }

  /** Sends the fields that changed (nothing when none did: every send reaches every client). */
  set(patch: Partial<F>) {
    if (this.#destroyed) return;
    for (const [k, v] of Object.entries(patch)) {
      if (JSON.stringify(this.#local[k]) === JSON.stringify(v)) continue;
      this.#local[k] = v;
      this.#provider.setAwarenessField(k, v);
    }
  }

  /**
   * For fields that change with every pointer move: sent at once, then at
   * most every `ms`, the latest value winning.
   */
  setThrottled(patch: Partial<F>, ms = 50) {
    this.#pending = { ...this.#pending, ...patch };
    if (this.#timer) return;
    this.#flush();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#pending) this.#flush();
    }, ms);
  }

  #flush() {
    const patch = this.#pending;
    this.#pending = null;
    if (patch) this.set(patch);
  }

  destroy() {
    this.#destroyed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }
}
