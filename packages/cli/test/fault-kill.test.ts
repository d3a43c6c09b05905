// The short form of scripts/fault-kill.ts: `dl train` SIGKILLed at random moments 3 times on a tiny real-MNIST slice,
// resumed each time, then resumed to completion: the run folder survives every kill.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, runFaultKill, type FaultKillOptions, type FaultKillResult } from '../../../scripts/fault-kill.js';

const options: FaultKillOptions = { kills: 3, epochs: 3, limit: 500, testSamples: 200, seed: 7, log: () => {} };
let result: FaultKillResult;
let report: string;

beforeAll(async () => {
  result = await runFaultKill(options);
  report = formatReport(options, result);
}, 120_000);
afterAll(() => {
  if (result !== undefined && result.problems.length > 0) console.error(report);
});

describe('fault-kill (short form)', () => {
  it('kills, resumes and finishes: every check passes', () => {
    expect(result.problems, report).toEqual([]);
    expect(result.kills).toHaveLength(3);
    expect(result.kills.filter((k) => k.killAfterMs !== undefined).length).toBeGreaterThanOrEqual(2);
  });

  it('ends with history.json holding exactly the epochs asked for, and a model dl evaluate loads', () => {
    expect(result.historyEpochs).toEqual([0, 1, 2]);
    expect(result.final.exitCode).toBe(0);
    expect(result.evaluate.exitCode).toBe(0);
    expect(result.evaluate.accuracy).toBeCloseTo(result.final.accuracy!, 3);
  });

  it('prints the summary table', () => {
    expect(report).toMatch(/^round\s+command\s+aimed at\s+SIGKILL at\s+epochs before\s+epochs after\s+where it landed$/m);
    expect(report).toMatch(/^final\s+resume/m);
    expect(report).toContain('OK: every check passed');
  });
});
