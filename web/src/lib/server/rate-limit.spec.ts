import { describe, expect, it } from 'vitest';
import { LOGIN_LIMITS, accountDelayMs } from './rate-limit';

describe('accountDelayMs', () => {
  const { freeFailures, firstDelayMs, maxDelayMs } = LOGIN_LIMITS.accountSlowdown;

  it('costs nothing for the first few failures', () => {
    for (let f = 0; f < freeFailures; f++) expect(accountDelayMs(f)).toBe(0);
  });

  it('then doubles per failure', () => {
    expect(accountDelayMs(freeFailures)).toBe(firstDelayMs);
    expect(accountDelayMs(freeFailures + 1)).toBe(firstDelayMs * 2);
    expect(accountDelayMs(freeFailures + 2)).toBe(firstDelayMs * 4);
  });

  it('never exceeds the cap, however many failures an attacker piles up', () => {
    for (const f of [freeFailures + 10, 1_000, 1_000_000, Number.MAX_SAFE_INTEGER]) expect(accountDelayMs(f)).toBe(maxDelayMs);
  });
});
