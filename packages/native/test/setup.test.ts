// The native setup when it cannot finish: the install goes on (exit 0), the reason and the fix are said, and dl's
// warning at every start repeats the reason. Also the pins the build is checked against.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTfjsNode, setupCommand } from '../src/index.js';
import { TENSORFLOW_WHEEL } from '../src/pins.js';
import { setupNative } from '../src/setup.js';
import { setupFailureFile } from '../src/tfjs-node-dir.js';

const NATIVE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'dl-native-setup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An environment in which the build must fail: an empty cache and a wheel that does not exist. */
function failingEnv(name: string): NodeJS.ProcessEnv {
  return { ...process.env, DL_NATIVE_CACHE: join(work, `${name}-cache`), DL_TF_WHEEL: join(work, 'tensorflow_cpu-2.21.0-cp311-none.whl') };
}

describe('native setup that cannot finish', () => {
  it('returns the reason and leaves it for the start-up warning, and nothing half-built', async () => {
    const installDir = join(work, 'api', 'tfjs-node');
    const saved = { ...process.env };
    Object.assign(process.env, failingEnv('api'));
    const lines: string[] = [];
    try {
      const result = await setupNative({ installDir, log: (l) => lines.push(l) });
      expect(result.ok).toBe(false);
      expect(result.reason).toMatch(/DL_TF_WHEEL=.*no such file/);
    } finally {
      process.env = saved;
    }
    expect(lines.join('\n')).toMatch(
      /could not set up TensorFlow's native kernels: DL_TF_WHEEL=.*no such file[\s\S]*Fix the cause above, then run: node .*bin\/setup\.js/,
    );
    expect(existsSync(installDir)).toBe(false);
    expect(() => loadTfjsNode(installDir)).toThrow(/not installed .*the setup failed: DL_TF_WHEEL=.*no such file/);
  });

  it.each([
    [undefined, 0],
    ['1', 1],
  ])('as a postinstall (DL_REQUIRE_NATIVE=%s) exits %i, saying why and the command that fixes it', (requireNative, code) => {
    const installDir = join(work, `postinstall-${code}`, 'tfjs-node');
    const env: NodeJS.ProcessEnv = { ...failingEnv(`postinstall-${code}`), DL_TFJS_NODE_DIR: installDir };
    delete env['DL_REQUIRE_NATIVE'];
    if (requireNative) env['DL_REQUIRE_NATIVE'] = requireNative;
    const r = spawnSync(process.execPath, [join(NATIVE, 'bin', 'postinstall.js')], { env, encoding: 'utf8' });
    expect(r.status).toBe(code);
    expect(r.stderr).toMatch(/\[dl native\] could not set up TensorFlow's native kernels: DL_TF_WHEEL=/);
    expect(r.stderr).toContain(`then run: ${setupCommand()}`);
    expect(readFileSync(setupFailureFile(installDir), 'utf8')).toMatch(/DL_TF_WHEEL=/);
  });
});

describe('pins', () => {
  it('names the wheel by its exact version', () => {
    expect(TENSORFLOW_WHEEL.file.startsWith(`tensorflow_cpu-${TENSORFLOW_WHEEL.version}-`)).toBe(true);
    expect(TENSORFLOW_WHEEL.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a wheel named as the pinned one whose bytes differ', async () => {
    const fake = join(work, TENSORFLOW_WHEEL.file);
    writeFileSync(fake, 'not a wheel');
    expect(createHash('sha256').update('not a wheel').digest('hex')).not.toBe(TENSORFLOW_WHEEL.sha256);
    const saved = { ...process.env };
    Object.assign(process.env, { DL_NATIVE_CACHE: join(work, 'fake-cache'), DL_TF_WHEEL: fake });
    try {
      const result = await setupNative({ installDir: join(work, 'fake', 'tfjs-node'), log: () => {} });
      expect(result.reason).toMatch(/sha256 is not the published/);
    } finally {
      process.env = saved;
    }
  });
});
