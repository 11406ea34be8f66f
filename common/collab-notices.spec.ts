import { describe, expect, it } from 'vitest';
import { accessNotice, parseCollabNotice, storedNotice } from './collab-notices';

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

describe('access notices', () => {
  it('reads back an access notice', () => {
    expect(parseCollabNotice(accessNotice('none', 'signed-out', 'You were signed out.'))).toEqual({
      type: 'access',
      access: 'none',
      reason: 'signed-out',
      message: 'You were signed out.'
    });
  });

  it('ignores access notices it does not understand', () => {
    for (const payload of ['{"type":"access","access":"edit","reason":"signed-out","message":"x"}', '{"type":"access","access":"read","reason":"boom","message":"x"}', '{"type":"access","access":"read","reason":"signed-out"}']) {
      expect(parseCollabNotice(payload)).toBeNull();
    }
  });
});
