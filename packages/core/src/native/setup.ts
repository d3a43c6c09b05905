/**
 * Install-time setup of TensorFlow's native kernels for @tensorflow/tfjs-node, without internet.
 *
 * tfjs-node's own install script downloads libtensorflow and a prebuilt addon, which fails on air-gapped machines.
 * The root `postinstall` runs this file instead (pnpm is told never to run tfjs-node's script). Steps, first that works:
 *   a. the addon already loads → nothing to do;
 *   b. a cached build for this tfjs-node / Node-API / platform → link it in;
 *   c. tfjs-node's own download, with a short timeout;
 *   d. build the addon from source against the TensorFlow C library inside the `tensorflow-cpu` wheel
 *      (`DL_TF_WHEEL=/path/to.whl`, else `pip download --no-deps tensorflow-cpu`), then cache it;
 *   e. explain what failed and how to fix it; the library then runs on the slow pure-JS backend.
 * It never fails the install: exit code is 0 unless `DL_REQUIRE_NATIVE=1`.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, copyFileSync, renameSync, lstatSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { nativeCacheDir } from './cache-dir.js';
import { extractWheelLibrary } from './wheel.js';

const require = createRequire(import.meta.url);

/** tfjs-node's own download gets this long before we stop waiting for it. */
const DOWNLOAD_TIMEOUT_MS = 30_000;

interface ProbeResult {
  ok: boolean;
  detail: string;
}

function log(message: string): void {
  process.stderr.write(`[dl native] ${message}\n`);
}

function tfjsNodeDir(): string {
  return dirname(require.resolve('@tensorflow/tfjs-node/package.json'));
}

/** Where node-pre-gyp puts the addon (`lib/napi-v8/tfjs_binding.node`), read from tfjs-node's package.json. */
function addonPath(pkgDir: string): string {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
    binary: { module_path: string; module_name: string; napi_versions: number[] };
  };
  const napi = Math.max(...pkg.binary.napi_versions.filter((v) => v <= Number(process.versions.napi)));
  return join(pkgDir, pkg.binary.module_path.replace('{napi_build_version}', String(napi)), `${pkg.binary.module_name}.node`);
}

/** Loads tfjs-node in a child process, so a crash or a half-built addon cannot take this process down. */
function probe(pkgDir: string): ProbeResult {
  const script =
    `process.env.TF_CPP_MIN_LOG_LEVEL='2';const tf=require(${JSON.stringify(pkgDir)});` +
    `tf.tensor([1,2]).add(1).dataSync();` +
    `console.log(tf.getBackend()+' '+tf.backend().binding.TF_Version)`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  const out = (r.stdout ?? '').trim();
  if (r.status === 0 && out.startsWith('tensorflow ')) return { ok: true, detail: `TensorFlow ${out.split(' ')[1]}` };
  const err = (r.stderr ?? '').split('\n').find((l) => /Error|error/.test(l)) ?? r.error?.message ?? 'unknown error';
  return { ok: false, detail: err.trim() };
}

function run(cmd: string, args: string[], options: SpawnSyncOptions): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`;
  return { ok: r.status === 0, output };
}

/** Replaces `target` by a symlink to `source` (tfjs-node's `deps/` → the cached TensorFlow library). */
function linkInto(source: string, target: string): void {
  if (existsSync(target) || isSymlink(target)) rmSync(target, { recursive: true, force: true });
  symlinkSync(source, target, 'dir');
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function copyAtomically(source: string, target: string): void {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  copyFileSync(source, tmp);
  renameSync(tmp, target);
}

/** The Node headers node-gyp compiles against: the system's, as our machines have no internet to fetch them. */
function nodeHeadersDir(): string | undefined {
  const candidates = [process.env.npm_config_nodedir, dirname(dirname(process.execPath)), '/usr', '/usr/local'];
  return candidates.find((d) => d !== undefined && existsSync(join(d, 'include', 'node', 'node_api.h')));
}

function installFromCache(pkgDir: string, cacheDir: string): boolean {
  const cachedAddon = join(cacheDir, 'tfjs_binding.node');
  if (!existsSync(cachedAddon) || !existsSync(join(cacheDir, 'deps', 'lib'))) return false;
  linkInto(join(cacheDir, 'deps'), join(pkgDir, 'deps'));
  copyAtomically(cachedAddon, addonPath(pkgDir));
  return true;
}

function tryOwnDownload(pkgDir: string): boolean {
  log(`trying tfjs-node's own download (timeout ${DOWNLOAD_TIMEOUT_MS / 1000} s)…`);
  const r = run(process.execPath, ['scripts/install.js'], { cwd: pkgDir, timeout: DOWNLOAD_TIMEOUT_MS });
  if (!r.ok) log(`  failed: ${lastLine(r.output) || 'timed out'}`);
  return r.ok;
}

/** The line of a tool's output that says what went wrong: its last error line, else its last line. */
function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  const pick = (re: RegExp) => lines.filter((l) => re.test(l)).slice(-1)[0];
  return (pick(/\bError:/) ?? pick(/error/i) ?? lines.slice(-1)[0] ?? '').trim();
}

async function findWheel(workDir: string): Promise<string> {
  const given = process.env.DL_TF_WHEEL;
  if (given) {
    if (!existsSync(given)) throw new Error(`DL_TF_WHEEL=${given}: no such file. Point it at a tensorflow-cpu .whl file.`);
    return given;
  }
  log('downloading the tensorflow-cpu wheel from the pip index (pip download --no-deps tensorflow-cpu)…');
  const args = ['download', '--no-deps', '--only-binary=:all:', '--retries', '0', '--timeout', '15', '-d', workDir, 'tensorflow-cpu'];
  const attempts: Array<[string, string[]]> = [['pip', args], ['pip3', args], ['python3', ['-m', 'pip', ...args]]];
  const failures: string[] = [];
  for (const [cmd, cmdArgs] of attempts) {
    const r = run(cmd, cmdArgs, { timeout: 15 * 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    const wheel = (await readdir(workDir)).find((f) => f.startsWith('tensorflow_cpu-') && f.endsWith('.whl'));
    if (r.ok && wheel) return join(workDir, wheel);
    failures.push(`${cmd}: ${lastLine(r.output)}`);
  }
  throw new Error(`could not download the tensorflow-cpu wheel (${failures.join('; ')}). ` +
    'Set DL_TF_WHEEL to a downloaded tensorflow-cpu wheel, or make a pip index reachable.');
}

async function buildFromWheel(pkgDir: string, cacheDir: string): Promise<void> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`building from the tensorflow-cpu wheel is supported on linux-x64 only, not ${process.platform}-${process.arch}`);
  }
  const headers = nodeHeadersDir();
  if (!headers) throw new Error('no Node headers found (include/node/node_api.h); set npm_config_nodedir to the folder that holds include/node');
  const workDir = await mkdtemp(join(tmpdir(), 'dl-native-'));
  try {
    const wheel = await findWheel(workDir);
    log(`extracting the TensorFlow C library from ${wheel}…`);
    const staged = join(workDir, 'deps');
    await extractWheelLibrary(wheel, staged);
    // Publish the staged library under the cache atomically, so an interrupted run never leaves half a library.
    mkdirSync(cacheDir, { recursive: true });
    rmSync(join(cacheDir, 'deps'), { recursive: true, force: true });
    renameSync(staged, join(cacheDir, 'deps'));
    linkInto(join(cacheDir, 'deps'), join(pkgDir, 'deps'));

    // Built in a copy of the addon's sources: pnpm's folder for a patched package has '=' in its name, which breaks
    // node-gyp's Makefiles. The addon finds TensorFlow through a relative rpath (../../deps/lib), so it moves freely.
    const buildDir = join(workDir, 'tfjs-node');
    mkdirSync(buildDir);
    for (const entry of ['package.json', 'binding.gyp', 'binding']) cpSync(join(pkgDir, entry), join(buildDir, entry), { recursive: true });
    symlinkSync(join(cacheDir, 'deps'), join(buildDir, 'deps'), 'dir');
    log(`building the tfjs-node addon from source (node-pre-gyp, Node headers in ${headers}; about 20 s)…`);
    const preGyp = join(dirname(require.resolve('@mapbox/node-pre-gyp/package.json', { paths: [pkgDir] })), 'bin', 'node-pre-gyp');
    const started = Date.now();
    const r = run(process.execPath, [preGyp, 'install', '--build-from-source'], {
      cwd: buildDir,
      env: { ...process.env, npm_config_nodedir: headers },
      timeout: 20 * 60_000,
    });
    if (!r.ok) throw new Error(`node-pre-gyp build failed:\n${r.output.trim().split('\n').slice(-15).join('\n')}`);
    log(`  built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    copyAtomically(addonPath(buildDir), addonPath(pkgDir));
    copyAtomically(addonPath(buildDir), join(cacheDir, 'tfjs_binding.node'));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

export async function setupNative(): Promise<boolean> {
  const pkgDir = tfjsNodeDir();
  const cacheDir = nativeCacheDir(pkgDir);
  log(`checking @tensorflow/tfjs-node in ${pkgDir}`);

  let result = probe(pkgDir);
  if (result.ok) {
    log(`native backend ready (${result.detail})`);
    return true;
  }
  if (installFromCache(pkgDir, cacheDir)) {
    result = probe(pkgDir);
    if (result.ok) {
      log(`native backend ready from the cache ${cacheDir} (${result.detail})`);
      return true;
    }
    log(`cached build in ${cacheDir} does not load (${result.detail}); rebuilding`);
  }
  if (process.env.DL_SKIP_TFJS_DOWNLOAD !== '1' && tryOwnDownload(pkgDir)) {
    result = probe(pkgDir);
    if (result.ok) {
      log(`native backend ready via tfjs-node's download (${result.detail})`);
      return true;
    }
  }
  try {
    await buildFromWheel(pkgDir, cacheDir);
    result = probe(pkgDir);
    if (result.ok) {
      log(`native backend ready, built from the tensorflow-cpu wheel and cached in ${cacheDir} (${result.detail})`);
      return true;
    }
    throw new Error(`the built addon does not load: ${result.detail}`);
  } catch (err) {
    log(`could not set up TensorFlow's native kernels: ${(err as Error).message}`);
    log('dl will run on the pure-JS "cpu" backend, about 700× slower. To fix: make a pip index serving tensorflow-cpu');
    log('reachable (or set DL_TF_WHEEL=/path/to/tensorflow_cpu-*.whl), then run `pnpm run setup-native`.');
    return false;
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const ok = await setupNative();
  process.exitCode = !ok && process.env.DL_REQUIRE_NATIVE === '1' ? 1 : 0;
}
