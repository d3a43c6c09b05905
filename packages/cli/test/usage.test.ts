// `dl --help`, `dl info`, `dl list` and usage errors: exit code 2, a message naming the valid values, no stack trace.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STACK_LINE, type RunResult, tempFolderForFile, dlIn } from './run-dl.js';

let root: string;
const dl = dlIn(() => root);

tempFolderForFile((dir) => {
  root = dir;
});

const TRAIN_OPTIONS = ['--epochs', '--batch-size', '--limit', '--seed', '--out', '--data-dir', '--json', '--quiet'];

describe('help', () => {
  it('dl --help exits 0 and lists the commands', async () => {
    const r = await dl('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: dl /);
    for (const command of ['train', 'evaluate', 'list', 'info']) expect(r.stdout).toMatch(new RegExp(`^\\s+${command} `, 'm'));
    expect(r.stdout).toContain('--verbose');
  });

  it('dl train --help exits 0 and lists every option', async () => {
    const r = await dl('train', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: dl train');
    expect(r.stdout).toContain('<preset>');
    for (const option of TRAIN_OPTIONS) expect(r.stdout).toMatch(new RegExp(`^\\s+${option}\\b`, 'm'));
  });

  it('dl evaluate --help exits 0 and lists its options', async () => {
    const r = await dl('evaluate', '--help');
    expect(r.code).toBe(0);
    for (const option of ['--data-dir', '--json', '--quiet']) expect(r.stdout).toMatch(new RegExp(`^\\s+${option}\\b`, 'm'));
  });
});

describe('dl info', () => {
  it('--json prints one JSON line naming the backend and TensorFlow version', async () => {
    const r = await dl('info', '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const info = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(info).toHaveProperty('backend');
    expect(info).toHaveProperty('tensorflowVersion');
    expect(info['tfjsVersion']).toBe('4.22.0');
    if (process.env['DL_REQUIRE_NATIVE'] === '1') expect(info['backend']).toBe('tensorflow');
    if (info['backend'] === 'tensorflow') {
      expect(info['tensorflowVersion']).toMatch(/^\d+\.\d+\.\d+/);
      expect(info).not.toHaveProperty('reason');
    } else {
      expect(info['backend']).toBe('cpu');
      expect(info['tensorflowVersion']).toBeNull();
      expect(info['reason']).toEqual(expect.any(String));
    }
  });

  it('without --json says which backend runs', async () => {
    const r = await dl('info');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^backend:\s+(tensorflow|cpu)/m);
    expect(r.stdout).toMatch(/^tfjs:\s+4\.22\.0/m);
  });
});

describe('dl list', () => {
  it('names cnn with its dataset and defaults', async () => {
    const r = await dl('list');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cnn\s/m);
    expect(r.stdout).toContain('mnist');
  });

  it('--json lists cnn', async () => {
    const r = await dl('list', '--json');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows).toContainEqual(expect.objectContaining({ name: 'cnn', dataset: 'mnist', epochs: 5, batchSize: 64 }));
  });
});

/** A usage error: exit 2, an `error:` line on stderr, no stack trace, nothing on stdout. */
function expectUsageError(r: RunResult): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/^error: /m);
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(r.stdout).toBe('');
}

describe('usage errors exit 2 and say what is valid', () => {
  it('unknown preset: lists the valid presets', async () => {
    const r = await dl('train', 'nope', '--epochs', '1');
    expectUsageError(r);
    expect(r.stderr).toContain("'nope'");
    expect(r.stderr).toContain('cnn');
  });

  it('a preset name inherited from Object.prototype is an unknown preset too', async () => {
    // `dl train toString` must not look up Object.prototype.toString as a preset.
    const r = await dl('train', 'toString', '--epochs', '1', '--limit', '1', '--out', join(root, 'to-string'));
    expectUsageError(r);
    expect(r.stderr).toContain('cnn');
  });

  it.each([
    ['--epochs', '0'],
    ['--epochs', 'abc'],
    ['--epochs', '1.5'],
    ['--batch-size', '-1'],
    ['--batch-size', '0'],
    ['--limit', '0'],
    ['--seed', '-3'],
  ])('%s %s: says a whole number is expected', async (option, value) => {
    const r = await dl('train', 'cnn', option, value);
    expectUsageError(r);
    expect(r.stderr).toContain(option);
    expect(r.stderr).toContain(`'${value}'`);
    expect(r.stderr).toMatch(/whole number ≥ [01]/);
  });

  it('a missing preset argument', async () => {
    const r = await dl('train');
    expectUsageError(r);
    expect(r.stderr).toContain('preset');
  });

  it('an unknown option', async () => {
    const r = await dl('train', 'cnn', '--epoch', '3');
    expectUsageError(r);
    expect(r.stderr).toContain('--epoch');
  });

  it('an unknown command', async () => {
    const r = await dl('frobnicate');
    expectUsageError(r);
    expect(r.stderr).toContain('frobnicate');
  });

  it('dl evaluate /nonexistent: says DIR must be a folder written by dl train', async () => {
    const r = await dl('evaluate', '/nonexistent');
    expectUsageError(r);
    expect(r.stderr).toContain(join('/nonexistent', 'model.json'));
    expect(r.stderr).toContain('dl train');
  });
});

describe('dl generate --n', () => {
  it('over 10,000: exit 2 naming the option and the limit, before loading anything', async () => {
    const r = await dl('generate', join(root, 'no-gan'), '--n', '10001', '--out', join(root, 'samples.png'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--n 10001 is over the limit of 10,000 samples');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});
