import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HocuspocusProvider } from '@hocuspocus/provider';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { LivePresence, readPeers } from './presence.svelte';

type Fields = { focus: string | null };
const readFocus = (s: Record<string, unknown>): Fields => ({ focus: typeof s.focus === 'string' ? s.focus : null });

/** A real awareness, behind the one provider method presence uses; every state it sends is recorded. */
function awarenessProvider() {
  const awareness = new Awareness(new Y.Doc());
  const sent: Record<string, unknown>[] = [];
  awareness.on('update', () => sent.push({ ...awareness.getLocalState() }));
  const provider = { awareness, setAwarenessField: (k: string, v: unknown) => awareness.setLocalStateField(k, v) };
  return { awareness, sent, provider: provider as unknown as HocuspocusProvider };
}

const me = { id: 'u1', name: 'Una', color: '#0f5c6e' };

afterEach(() => {
  vi.useRealTimers();
});

describe('readPeers', () => {
  it('lists everyone but this client, keeps the user, and takes the other fields only as the editor reads them', () => {
    const states = new Map<number, Record<string, unknown> | null>([
      [1, { user: me, focus: 'card-1' }],
      [2, { user: { id: 'u2', name: 'Ben' }, focus: 42 }],
      [3, { focus: 'no user' }],
      [4, null],
      [5, { user: { id: 7, name: 'Not an id' } }]
    ]);
    const peers = readPeers(states, 1, readFocus);
    expect(peers).toEqual([{ clientId: 2, user: { id: 'u2', name: 'Ben', color: '#4a5565' }, focus: null }]);
  });

  it('never lets the editor fields replace the user or client id', () => {
    const states = new Map([[2, { user: { id: 'u2', name: 'Ben', color: '#fff' }, focus: 'x' }]]);
    const peers = readPeers(states, 1, (s) => ({ ...readFocus(s), user: { id: 'forged' }, clientId: 99 }));
    expect(peers[0].user.id).toBe('u2');
    expect(peers[0].clientId).toBe(2);
  });
});

describe('LivePresence', () => {
  it('publishes the user and the first fields, then only fields that changed', () => {
    const { awareness, sent, provider } = awarenessProvider();
    const presence = new LivePresence<Fields>(provider, me, { focus: null }, readFocus);
    expect(awareness.getLocalState()).toEqual({ user: me, focus: null });
    const n = sent.length;
    presence.set({ focus: null });
    expect(sent).toHaveLength(n);
    presence.set({ focus: 'card-1' });
    expect(sent).toHaveLength(n + 1);
    expect(awareness.getLocalState()).toMatchObject({ focus: 'card-1' });
    presence.destroy();
    presence.set({ focus: 'card-2' });
    expect(awareness.getLocalState()).toMatchObject({ focus: 'card-1' });
  });

  it('sends a throttled field at once, then at most once per interval with the latest value', async () => {
    vi.useFakeTimers();
    const { awareness, sent, provider } = awarenessProvider();
    const presence = new LivePresence<Fields>(provider, me, { focus: null }, readFocus);
    const n = sent.length;
    presence.setThrottled({ focus: 'a' }, 50);
    presence.setThrottled({ focus: 'b' }, 50);
    presence.setThrottled({ focus: 'c' }, 50);
    expect(sent).toHaveLength(n + 1);
    expect(awareness.getLocalState()?.focus).toBe('a');
    await vi.advanceTimersByTimeAsync(50);
    expect(sent).toHaveLength(n + 2);
    expect(awareness.getLocalState()?.focus).toBe('c');
  });

  it('reads peers from the awareness and hands them to the editor', () => {
    const { awareness, provider } = awarenessProvider();
    const heard: unknown[] = [];
    const presence = new LivePresence<Fields>(provider, me, { focus: null }, readFocus, (peers) => heard.push(peers));
    const other = new Awareness(new Y.Doc());
    other.setLocalState({ user: { id: 'u2', name: 'Ben', color: '#b42318' }, focus: 'card-9' });
    // What the provider does with an awareness message from the server.
    applyAwarenessUpdate(awareness, encodeAwarenessUpdate(other, [other.clientID]), 'server');
    presence.refresh();
    expect(presence.peers).toEqual([{ clientId: other.clientID, user: { id: 'u2', name: 'Ben', color: '#b42318' }, focus: 'card-9' }]);
    expect(heard).toEqual([presence.peers]);
  });
});
