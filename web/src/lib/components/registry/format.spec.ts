import { describe, expect, it } from 'vitest';
import { fmtRange } from './format';

describe('fmtRange', () => {
  it('counts what fits on one page plainly, and ranges otherwise', () => {
    expect(fmtRange(0, 0, 0, 'molecule')).toBe('No molecules');
    expect(fmtRange(1, 1, 1, 'molecule')).toBe('1 molecule');
    expect(fmtRange(1, 24, 24, 'molecule')).toBe('24 molecules');
    expect(fmtRange(51, 51, 51, 'molecule')).toBe('51 of 51 molecules');
    expect(fmtRange(1, 50, 1234, 'molecule')).toBe('1–50 of 1,234 molecules');
  });

  it('says "about" for an estimated total, rounded to what an estimate can promise', () => {
    expect(fmtRange(1, 50, 12_345, 'molecule', 'molecules', true)).toBe('1–50 of about 12,000 molecules');
    expect(fmtRange(101, 150, 10_001, 'molecule', 'molecules', true)).toBe('101–150 of about 10,000 molecules');
    // An estimate can be low: the rows shown count, not the estimate.
    expect(fmtRange(10_001, 10_050, 10_001, 'molecule', 'molecules', true)).toBe('10,001–10,050 of about 10,000 molecules');
    expect(fmtRange(24_951, 25_000, 10_001, 'molecule', 'molecules', true)).toBe('24,951–25,000 of about 25,000 molecules');
    // …or high: a page past the real end is empty.
    expect(fmtRange(14_951, 14_950, 15_000, 'molecule', 'molecules', true)).toBe('No molecules on this page');
  });
});
