// tfjs-node's stock addon — built here from the published sources without dl's patch, which is what tfjs-node's own
// prebuilt download brings — must never crash dl: the setup replaces it, and dl running on it trains eagerly with
// one warning line.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPatch, parsePatch, reversePatch } from 'diff';
import { tfjsNodeDir } from '@dl/native';
import { probeTfjsNode, setupNative } from '@dl/native/setup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PATCH_FILE, tensorflowCacheDir } from '../../native/src/cache-dir.js';
import { tensorflowVersion } from '../../native/src/pins.js';

const CORE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ADDON = join('lib', 'napi-v8', 'tfjs_binding.node');
let work: string;
let stock: string;

/** A copy of dl's installed tfjs-node with the patch taken back out of the addon's sources, rebuilt. */
function buildStockTfjsNode(dir: string): void {
  cpSync(tfjsNodeDir(), dir, { recursive: true });
  for (const filePatch of parsePatch(readFileSync(PATCH_FILE, 'utf8'))) {
    const file = join(dir, filePatch.newFileName!.replace(/^b\//, ''));
    const original = applyPatch(readFileSync(file, 'utf8'), reversePatch(filePatch));
    if (original === false) throw new Error(`cannot take dl's patch out of ${file}`);
    writeFileSync(file, original);
  }
  symlinkSync(join(tensorflowCacheDir(tensorflowVersion()), 'deps'), join(dir, 'deps'), 'dir');
  const preGyp = join(
    dirname(createRequire(join(CORE, '../native/package.json')).resolve('@mapbox/node-pre-gyp/package.json')),
    'bin',
    'node-pre-gyp',
  );
  // `install` builds the one Node-API version this Node runs (as the setup does); `rebuild` would build all six.
  rmSync(join(dir, 'lib'), { recursive: true, force: true });
  const r = spawnSync(process.execPath, [preGyp, 'install', '--build-from-source'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the stock addon failed:\n${r.stdout}${r.stderr}`);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'dl-stock-addon-'));
  stock = join(work, 'stock');
  buildStockTfjsNode(stock);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('an unpatched (stock) tfjs-node addon', () => {
  it("loads, but the setup's probe finds neither graph functions nor list attributes", () => {
    const probe = probeTfjsNode(stock);
    expect(probe.loads).toBe(true);
    expect(probe.capabilities?.graphFunctions).toMatchObject({ ok: false, reason: expect.stringMatching(/no registerFunction/) });
    expect(probe.capabilities?.listAttributes.ok).toBe(false);
    expect(probe.capabilities?.functionCalls).toMatchObject({ ok: false, reason: expect.stringMatching(/no registerFunction/) });
    expect(probeTfjsNode(tfjsNodeDir()).capabilities).toEqual({
      graphFunctions: { ok: true },
      listAttributes: { ok: true },
      functionCalls: { ok: true },
    });
  });

  it("is replaced by the setup with dl's patched build", async () => {
    const installDir = join(work, 'install', 'tfjs-node');
    cpSync(stock, installDir, { recursive: true });
    const lines: string[] = [];
    const result = await setupNative({ installDir, log: (line) => lines.push(line) });
    expect(result).toMatchObject({
      ok: true,
      source: 'cache',
      capabilities: { graphFunctions: { ok: true }, listAttributes: { ok: true }, functionCalls: { ok: true } },
    });
    expect(lines[0]).toMatch(/is not usable \(its addon lacks what dl needs .*registerFunction.*\): replacing it/);
    expect(readFileSync(join(installDir, ADDON)).equals(readFileSync(join(stock, ADDON)))).toBe(false);
    expect(probeTfjsNode(installDir).capabilities?.graphFunctions.ok).toBe(true);
  });

  it('runs fit eagerly with one warning line, never a TypeError', () => {
    const script = `
      import { backendInfo, layers, sequential } from '@dl/core';
      const model = sequential([
        layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
        layers.flatten(),
        layers.dense({ units: 2, activation: 'softmax' }),
      ]);
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const x = { data: Float32Array.from({ length: 64 * 64 }, (_, i) => (i % 7) / 7), shape: [64, 8, 8, 1] };
      const y = { data: Int32Array.from({ length: 64 }, (_, i) => i % 2), shape: [64] };
      const history = await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
      const info = backendInfo();
      console.log(JSON.stringify({ ...model.graphCalls, loss: history.history.loss, backend: info.backend, graphExecution: info.graphExecution, reason: info.graphExecutionReason }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: CORE,
      encoding: 'utf8',
      env: { ...process.env, DL_TFJS_NODE_DIR: stock },
    });
    expect(r.stderr).not.toMatch(/TypeError/);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      graph: number;
      eager: number;
      loss: number[];
      backend: string;
      graphExecution: boolean;
      reason: string;
    };
    expect(out).toMatchObject({
      graph: 0,
      eager: 12,
      backend: 'tensorflow',
      graphExecution: false,
      reason: expect.stringMatching(/no registerFunction/),
    });
    expect(out.loss.every(Number.isFinite)).toBe(true);
    const warnings = r.stderr.split('\n').filter((l) => /graph execution unavailable/.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/steps run eagerly.*Fix: node .*setup\.js/);
  });
});
