import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIN_WARMUP, WORKLOADS } from '../workloads.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** One dl-side workload script, as the harness runs it but under tsx (the compiled packages/*\/dist it imports). */
function runDl(script: string, args: string[]) {
  return spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'bench', 'dl', script), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
}

describe("the warm-up absorbs dl's compilation of its step", () => {
  it('every workload warms up at least MIN_WARMUP batches, in full and quick runs', () => {
    for (const w of Object.values(WORKLOADS)) {
      expect(w.warmup, w.name).toBeGreaterThanOrEqual(MIN_WARMUP);
      expect(w.quick.warmup, w.name).toBeGreaterThanOrEqual(MIN_WARMUP);
    }
  });

  it('a dl script refuses a run whose timed batches include its first graph call, and times one that does not', () => {
    const short = runDl('cnn-infer.ts', ['--steps', '2', '--batch-size', '8', '--warmup', String(MIN_WARMUP - 1)]);
    expect(short.status).not.toBe(0);
    expect(short.stderr).toContain(`use --warmup ${MIN_WARMUP} or more`);
    expect(short.stdout).toBe('');

    const enough = runDl('cnn-infer.ts', ['--steps', '2', '--batch-size', '8', '--warmup', String(MIN_WARMUP)]);
    expect(enough.status, enough.stderr).toBe(0);
    const result = JSON.parse(enough.stdout) as { kernels: { steps: { graph: number; eager: number } } };
    // Three traced eager batches, then the compiled step for the last warm-up batch and both timed ones.
    expect(result.kernels.steps).toEqual({ graph: 3, eager: 3 });
  });
});
