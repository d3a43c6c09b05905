import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBenchReport, REPORT_TITLE, withEarlierRuns } from '../lib/earlier-runs.js';

const BENCH = join(import.meta.dirname, '..');

/** A report as report.ts writes it, for one run. */
function report(date: string, commit: string, ratio: string, note = ''): string {
  return [
    `${REPORT_TITLE} on AMD EPYC (2 logical CPUs)`,
    '',
    `Measured ${date}, with:`,
    '',
    '```sh',
    'npx tsx bench/run.ts --rounds 3',
    '```',
    '',
    ...(note ? [note, ''] : []),
    'Each workload ran 3 rounds; …',
    '',
    '| workload | dl ÷ Keras |',
    '| --- | ---: |',
    `| cnn-train | ${ratio} |`,
    '',
    '## Machine and software',
    '',
    `- CPU: AMD EPYC (kind \`amd-epyc\`), 2 logical CPUs; SIMD: avx2; matmul peak 340.7 GFLOP/s`,
    '- Load average (1 min): 0.41 at the start, 1.71 at the end — other jobs shared the CPUs',
    `- dl: tfjs 4.22.0; sources: commit ${commit}`,
    '',
    '## Rounds',
    '',
    '| workload | round |',
    '| --- | ---: |',
    '| cnn-train | 1 |',
    '',
  ].join('\n');
}

describe('withEarlierRuns', () => {
  it('puts the new run on top and the replaced run, summarized, under Earlier runs', () => {
    const first = report('2026-12-07T06:49:03Z', 'fc21176', '1.27', 'Nothing else ran, on a clean clone.');
    const second = withEarlierRuns(report('2026-12-07T07:48:56Z', '190a2f0', '1.22'), first);
    expect(second.startsWith(report('2026-12-07T07:48:56Z', '190a2f0', '1.22').trimEnd())).toBe(true);
    const earlier = second.split('\n## Earlier runs\n')[1]!.trim();
    expect(earlier).toContain(
      '2026-12-07T06:49:03Z, commit fc21176, `npx tsx bench/run.ts --rounds 3`, load 0.41 → 1.71, matmul peak 340.7 GFLOP/s:',
    );
    expect(earlier).toContain('Nothing else ran, on a clean clone.');
    expect(earlier).toContain('| cnn-train | 1.27 |');
    // The summary table only: the replaced run's per-round table and machine section stay out.
    expect(earlier).not.toContain('| cnn-train | 1 |');
    expect(earlier).not.toContain('## Machine and software');
  });

  it('keeps every earlier run, newest first, across several runs', () => {
    let file = report('2026-12-07T05:00:00Z', 'aaaaaaa', '1.10');
    file = withEarlierRuns(report('2026-12-07T06:00:00Z', 'bbbbbbb', '1.20'), file);
    file = withEarlierRuns(report('2026-12-07T07:00:00Z', 'ccccccc', '1.30'), file);
    expect(file.match(/^## Earlier runs$/gm)).toHaveLength(1);
    const earlier = file.split('\n## Earlier runs\n')[1]!;
    const b = earlier.indexOf('commit bbbbbbb');
    const a = earlier.indexOf('commit aaaaaaa');
    expect(b).toBeGreaterThanOrEqual(0);
    expect(a).toBeGreaterThan(b);
    expect(earlier).not.toContain('ccccccc');
    expect(earlier).toContain('| cnn-train | 1.10 |');
    expect(earlier).toContain('| cnn-train | 1.20 |');
  });

  it("carries over the repository's results files, with the history written there by hand", () => {
    const previous = readFileSync(join(BENCH, 'results-amd-epyc.md'), 'utf8');
    const oldHistory = previous.split('\n## Earlier runs\n')[1]!.trim();
    const next = withEarlierRuns(report('2027-01-01T00:00:00Z', 'ddddddd', '1.50'), previous);
    expect(next.endsWith(`${oldHistory}\n`)).toBe(true);
    const entry = next
      .split('\n## Earlier runs\n')[1]!
      .slice(0, -oldHistory.length - 1)
      .trim();
    expect(entry).toMatch(/^\S+Z, commit [0-9a-f]{7,}, `[^`]+`, load \S+ → \S+, matmul peak [\d.]+ GFLOP\/s:/);
    expect(entry).toContain('| cnn-infer ');
  });

  it('refuses a file the bench did not write', () => {
    expect(isBenchReport('# My notes\n')).toBe(false);
    expect(isBenchReport(report('2026-12-07T06:49:03Z', 'fc21176', '1.27'))).toBe(true);
    expect(() => withEarlierRuns(report('2026-12-07T07:00:00Z', 'x', '1'), '# My notes\n')).toThrow(/not a bench report/);
  });
});
