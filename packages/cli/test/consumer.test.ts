// dl as someone else's dependency (scripts/consumer-test.ts): the packed packages installed into a fresh project
// outside this repository, with npm's defaults (install scripts on) and with pnpm, set up the native backend at
// install; there the README's library snippet compiles under `tsc --strict` and trains as graphs, and `dl train` works.
import { beforeAll, describe, expect, it } from 'vitest';
import { runConsumerTest, type ConsumerResult, type Manager } from '../../../scripts/consumer-test.js';
import { assertBuildIsFresh } from './run-dl.js';

describe.each<Manager>(['npm', 'pnpm'])('a fresh project that installs dl with %s', (manager) => {
  let result: ConsumerResult;
  beforeAll(async () => {
    await assertBuildIsFresh(); // the tarballs are packed from dist/
    result = await runConsumerTest({ manager, log: () => {} });
  }, 600_000);

  it('gets native kernels and graph execution from the install itself', () => {
    expect(result.addonInstalled).toBe(true);
    expect(result.info).toMatchObject({ backend: 'tensorflow', tensorflowVersion: '2.21.0', graphExecution: true });
  });

  it('compiles the README snippet with tsc --strict (no skipLibCheck) and trains it as graphs on the native backend', () => {
    expect(result.snippet.backend).toBe('tensorflow');
    expect(result.snippet.graphCalls).toBeGreaterThan(0);
    expect(result.snippet.accuracy).toBeGreaterThan(0.5);
  });

  it('trains a preset with `npx dl train cnn --epochs 1 --limit 2000`', () => {
    expect(result.train.accuracy).toBeGreaterThan(0.5);
  });
});
