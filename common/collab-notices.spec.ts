import { describe, expect, it } from 'vitest';
import { parseCollabNotice, storedNotice } from './collab-notices';

describe('collab notices', () => {
  it('reads back a stored notice with its time', () => {
    const at = new Date('2026-12-01T10:00:00.000Z');
    expect(parseCollabNotice(storedNotice(at))).toEqual({ type: 'stored', at: '2026-12-01T10:00:00.000Z' });
  });

  it('ignores anything else a stateless message may carry', () => {
    for (const payload of ['', 'stored', '{"type":"stored"}', '{"type":"other","at":"x"}', 'null', '[1]', '{"type":"stored","at":5}']) {
      expect(parseCollabNotice(payload)).toBeNull();
    }
  });
});
