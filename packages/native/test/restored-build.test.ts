// A copy of dl's tfjs-node whose addon names a TensorFlow library that is gone — what pnpm's side-effects cache
// restores into a new project after the native cache it was built in was cleared or was another DL_NATIVE_CACHE —
// is put back from this machine's cache at load, and never when it is the user's own (DL_TFJS_NODE_DIR).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addonCacheDir, tensorflowCacheDir } from '../src/cache-dir.js';
import { tensorflowVersion } from '../src/pins.js';

const NATIVE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ADDON = join('lib', 'napi-v8', 'tfjs_binding.node');
const cached = join(addonCacheDir(tensorflowVersion()), 'tfjs-node');
let work: string;
let restored: string;

/** Loads `dir` in a child process the way dl does (or with a plain require) and runs one op. */
function load(how: 'loadTfjsNode' | 'require', env: NodeJS.ProcessEnv = {}) {
  const script =
    how === 'require'
      ? `const tf = (await import('node:module')).createRequire(import.meta.url)(${JSON.stringify(restored)});`
      : `const tf = (await import(${JSON.stringify(pathToFileURL(join(NATIVE, 'dist', 'index.js')).href)})).loadTfjsNode(${JSON.stringify(restored)});`;
  const childEnv = { ...process.env, ...env };
  if (!env['DL_TFJS_NODE_DIR']) delete childEnv['DL_TFJS_NODE_DIR'];
  return spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `${script}\nconsole.log(JSON.stringify({ backend: tf.getBackend(), sum: tf.tensor([1, 2]).sum().dataSync()[0] }));`,
    ],
    { encoding: 'utf8', env: childEnv, timeout: 120_000 },
  );
}

beforeAll(() => {
  expect(existsSync(join(cached, ADDON)), `the setup leaves its build in ${cached}`).toBe(true);
  work = mkdtempSync(join(tmpdir(), 'dl-restored-build-'));
  restored = join(work, 'tfjs-node');
  cpSync(cached, restored, { recursive: true });
  // The run path is a string in the addon: the same bytes with one folder name changed name a library that is gone.
  const addon = readFileSync(join(restored, ADDON));
  const libDir = Buffer.from(join(tensorflowCacheDir(tensorflowVersion()), 'deps', 'lib'));
  const at = addon.indexOf(libDir);
  expect(at, `the addon's run path names ${libDir}`).toBeGreaterThan(0);
  expect(addon.indexOf(libDir, at + 1)).toBe(-1);
  addon.write('gone', at + libDir.length - 'deps/lib'.length);
  writeFileSync(join(restored, ADDON), addon);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("a restored tfjs-node whose addon's TensorFlow library is gone", () => {
  it('does not load by itself', () => {
    const r = load('require');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/libtensorflow_cc\.so\.2: cannot open shared object file/);
  });

  it("is left alone when it is the user's own (DL_TFJS_NODE_DIR)", () => {
    const before = readFileSync(join(restored, ADDON));
    const r = load('loadTfjsNode', { DL_TFJS_NODE_DIR: restored });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/libtensorflow_cc\.so\.2: cannot open shared object file/);
    expect(readFileSync(join(restored, ADDON)).equals(before)).toBe(true);
  });

  it("is replaced by the cache's build at load, says so, and runs on the native backend", () => {
    const r = load('loadTfjsNode');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ backend: 'tensorflow', sum: 3 });
    expect(r.stderr).toContain(`[dl native] ${restored}'s addon did not find TensorFlow's library; reinstalled dl's build from ${cached}`);
    expect(readFileSync(join(restored, ADDON)).equals(readFileSync(join(cached, ADDON)))).toBe(true);
    expect(load('require').status).toBe(0);
  });
});
