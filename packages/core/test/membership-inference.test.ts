// The loss-threshold membership attack's AUC and advantage against cases worked by hand.
import { describe, expect, it } from 'vitest';
import { OptionError } from '../src/errors/option-error.js';
import { lossThresholdAttack } from '../src/privacy/index.js';

describe('lossThresholdAttack', () => {
  it('is 1 when every member has a lower loss than every non-member, 0 when the reverse', () => {
    expect(lossThresholdAttack([0.1, 0.2], [0.5, 0.9, 1])).toMatchObject({ auc: 1, advantage: 1, members: 2, nonMembers: 3 });
    expect(lossThresholdAttack([2, 3], [0.5, 1]).auc).toBe(0);
  });

  it('counts ties as one half and matches the Mann–Whitney statistic', () => {
    expect(lossThresholdAttack([1, 1], [1, 1]).auc).toBe(0.5);
    // members 0.1, 0.5, 0.7 vs non-members 0.4, 0.5, 0.9: pairs won 1+1+1 + 0.5 + 0+0+1 ... by hand:
    // 0.1 beats all 3; 0.5 beats 0.9 and ties 0.5 (1.5); 0.7 beats 0.9 (1) → 5.5 / 9.
    const r = lossThresholdAttack([0.1, 0.5, 0.7], [0.4, 0.5, 0.9]);
    expect(r.auc).toBeCloseTo(5.5 / 9, 12);
    expect(r.advantage).toBeCloseTo(1 / 3, 12);
  });

  it('is near 0.5 for losses from one distribution', () => {
    let s = 1;
    const next = () => (s = (s * 16807) % 2147483647) / 2147483647;
    const a = Array.from({ length: 4000 }, next);
    const b = Array.from({ length: 4000 }, next);
    expect(Math.abs(lossThresholdAttack(a, b).auc - 0.5)).toBeLessThan(0.03);
  });

  it('refuses empty or NaN input', () => {
    expect(() => lossThresholdAttack([], [1])).toThrow(OptionError);
    expect(() => lossThresholdAttack([Number.NaN], [1])).toThrow(/NaN/);
  });
});
