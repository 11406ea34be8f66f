import { expect, it } from 'vitest';
import { connectionState } from './connection';

it('is live only when connected and in sync, reconnecting once something was shown, refused above all', () => {
  const base = { refused: null, status: 'connected' as const, synced: true, loaded: true };
  expect(connectionState(base)).toBe('live');
  expect(connectionState({ ...base, synced: false })).toBe('reconnecting');
  expect(connectionState({ ...base, status: 'disconnected', synced: false })).toBe('reconnecting');
  expect(connectionState({ ...base, status: 'connecting', synced: false, loaded: false })).toBe('connecting');
  expect(connectionState({ ...base, refused: 'Your access to this library was removed.' })).toBe('refused');
});
