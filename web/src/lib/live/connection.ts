/**
 * What a live document's connection looks like to the person using it, from
 * the provider's socket status, its sync state and what the server said.
 */

/** The Hocuspocus provider's socket status (`onStatus`). */
export type SocketStatus = 'connecting' | 'connected' | 'disconnected';

/**
 * - `connecting`: nothing shown yet (before the first sync);
 * - `live`: connected and in sync;
 * - `reconnecting`: the document shows what it had, changes wait to be sent;
 * - `refused`: the server refused or closed it (a reconnect would be refused again).
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'refused';

export function connectionState(s: { refused: string | null; status: SocketStatus; synced: boolean; loaded: boolean }): ConnectionState {
  if (s.refused) return 'refused';
  if (s.status === 'connected' && s.synced) return 'live';
  return s.loaded ? 'reconnecting' : 'connecting';
}
