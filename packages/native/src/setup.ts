/**
 * Install-time setup of TensorFlow's native kernels for dl: this package's `postinstall`, `dl setup`, and
 * `setupNative()` for programmatic use. It builds dl's own copy of tfjs-node — the published package with our patch
 * of its addon (patches/: list attributes for TensorFlow's fused kernels, graph functions) — against the TensorFlow C
 * library of a pinned tensorflow-cpu wheel, so it needs no internet beyond the npm registry and a pip index.
 * Steps, first that works:
 *   a. the installed build (`<@dl/native>/tfjs-node`) loads and has every capability dl uses → done;
 *   b. a build cached for these sources, this TensorFlow and this Node ABI (cache-dir.ts) → copied in within a second;
 *   c. build it (tfjs-node-sources.ts, wheel.ts, node-pre-gyp; about 20 s plus the wheel's download), cache, copy in;
 *   d. say what failed and the command that fixes it; dl then runs on the slow pure-JS backend.
 * A build that loads but lacks a capability (tfjs-node's stock prebuilt addon) is replaced. Idempotent, and safe to
 * interrupt: everything is built aside and put in place by renames.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonCacheDir, napiBuildVersion } from './cache-dir.js';
import type { Capabilities } from './capabilities.js';
import { installBuild } from './install-build.js';
import { TFJS_NODE, tensorflowVersion } from './pins.js';
import { preparedTfjsNodeSources } from './tfjs-node-sources.js';
import { setupCommand, setupFailureFile, tfjsNodeDir } from './tfjs-node-dir.js';
import { lastErrorLine, tensorflowLibrary } from './wheel.js';

export interface SetupOptions {
  /** Where to put dl's tfjs-node (default: the folder dl loads, `tfjsNodeDir()`). */
  installDir?: string;
  /** Progress lines (default: stderr, prefixed `[dl native]`). */
  log?: (line: string) => void;
}

/** What a tfjs-node folder offers, as a child process that loaded it saw. */
export interface ProbeResult {
  /** It loaded and ran an op on the native backend. */
  loads: boolean;
  tensorflowVersion?: string;
  capabilities?: Capabilities;
  /** Why it is not usable as dl's build, when it is not. */
  reason?: string;
}

export interface SetupResult extends ProbeResult {
  ok: boolean;
  /** Where the working build came from. */
  source?: 'installed' | 'cache' | 'built';
  /** How long the build took, when one ran. */
  buildSeconds?: number;
}

const require = createRequire(import.meta.url);

export async function setupNative(options: SetupOptions = {}): Promise<SetupResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[dl native] ${line}\n`));
  const installDir = options.installDir ?? tfjsNodeDir();
  let probe = probeTfjsNode(installDir);
  if (usable(probe)) {
    log(`native backend ready (TensorFlow ${probe.tensorflowVersion}, graph execution and fused kernels) in ${installDir}`);
    return { ...probe, ok: true, source: 'installed' };
  }
  if (existsSync(installDir)) {
    if (process.env['DL_TFJS_NODE_DIR'] && !options.installDir) {
      // A tfjs-node of the user's own is theirs: report, never replace.
      log(`DL_TFJS_NODE_DIR=${installDir} is not usable as is: ${probe.reason}`);
      return { ...probe, ok: false };
    }
    log(`${installDir} is not usable (${probe.reason}): replacing it with dl's patched build`);
  }
  let buildSeconds: number | undefined;
  try {
    const cacheDir = addonCacheDir(tensorflowVersion());
    if (!existsSync(join(cacheDir, 'tfjs-node', 'package.json'))) {
      const started = Date.now();
      await buildIntoCache(cacheDir, log);
      buildSeconds = (Date.now() - started) / 1000;
    }
    installBuild(join(cacheDir, 'tfjs-node'), installDir);
    probe = probeTfjsNode(installDir);
    if (!usable(probe)) throw new Error(`the build in ${cacheDir} is not usable: ${probe.reason}`);
    rmSync(setupFailureFile(installDir), { force: true });
    log(
      `native backend ready (TensorFlow ${probe.tensorflowVersion}, graph execution and fused kernels), ` +
        `${buildSeconds === undefined ? 'from the cache' : `built in ${buildSeconds.toFixed(1)} s and cached`} in ${cacheDir}`,
    );
    return {
      ...probe,
      ok: true,
      source: buildSeconds === undefined ? 'cache' : 'built',
      ...(buildSeconds !== undefined && { buildSeconds }),
    };
  } catch (err) {
    const reason = (err as Error).message;
    log(`could not set up TensorFlow's native kernels: ${reason}`);
    log('dl will run on the pure-JS "cpu" backend, about 700x slower.');
    log(`Fix the cause above, then run: ${setupCommand()}   (in a project with the dl CLI: npx dl setup)`);
    recordFailure(installDir, reason);
    return { ...probe, ok: false, reason };
  }
}

/** Leaves the reason beside the missing build, for the warning at every start to repeat (best effort). */
function recordFailure(installDir: string, reason: string): void {
  try {
    mkdirSync(dirname(installDir), { recursive: true });
    writeFileSync(setupFailureFile(installDir), `${reason}\n`);
  } catch {
    // A read-only install: the warning then says only that the setup did not complete.
  }
}

/** Loads and has every capability dl uses (capabilities.ts). */
function usable(p: ProbeResult): boolean {
  return p.loads && p.capabilities !== undefined && Object.values(p.capabilities).every((c) => c.ok);
}

/**
 * Loads the tfjs-node in `dir` in a child process (a crash or a half-built addon cannot take this process down)
 * and checks what dl uses of it (capabilities.ts).
 */
export function probeTfjsNode(dir: string): ProbeResult {
  if (!existsSync(join(dir, 'package.json'))) return { loads: false, reason: `${dir} holds no tfjs-node package` };
  const probeScript = fileURLToPath(new URL('../dist/probe.js', import.meta.url));
  const r = spawnSync(process.execPath, [probeScript, dir], { encoding: 'utf8', timeout: 120_000 });
  const line = r.stdout?.trim().split('\n').at(-1);
  if (r.status === 0 && line?.startsWith('{')) {
    const result = JSON.parse(line) as ProbeResult;
    const missing = Object.entries(result.capabilities ?? {})
      .filter(([, c]) => !c.ok)
      .map(([name, c]) => `${name}: ${c.reason}`);
    return missing.length ? { ...result, reason: `its addon lacks what dl needs (${missing.join('; ')})` } : result;
  }
  return { loads: false, reason: `it does not load: ${r.error?.message ?? lastErrorLine(`${r.stdout ?? ''}${r.stderr ?? ''}`)}` };
}

/** Builds the patched package in a work folder beside the cache entry, then publishes it there with one rename. */
async function buildIntoCache(cacheDir: string, log: (line: string) => void): Promise<void> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`building from the tensorflow-cpu wheel is supported on linux-x64 only, not ${process.platform}-${process.arch}`);
  }
  const headers = nodeHeadersDir();
  if (!headers)
    throw new Error('no Node headers found (include/node/node_api.h); set npm_config_nodedir to the folder that holds include/node');
  mkdirSync(dirname(cacheDir), { recursive: true });
  const workDir = await mkdtemp(`${cacheDir}.work-`);
  try {
    log(`fetching ${TFJS_NODE.name}@${TFJS_NODE.version} (npm pack) and applying dl's patch…`);
    const sources = await preparedTfjsNodeSources(workDir);
    const deps = await tensorflowLibrary(log);
    symlinkSync(deps, join(sources, 'deps'), 'dir');
    linkAgainst(sources, join(deps, 'lib'));
    log(`building the tfjs-node addon (node-pre-gyp, Node headers in ${headers}; about 20 s)…`);
    const preGyp = join(dirname(require.resolve('@mapbox/node-pre-gyp/package.json')), 'bin', 'node-pre-gyp');
    const r = spawnSync(process.execPath, [preGyp, 'install', '--build-from-source'], {
      cwd: sources,
      encoding: 'utf8',
      env: { ...process.env, npm_config_nodedir: headers },
      timeout: 20 * 60_000,
    });
    if (r.status !== 0)
      throw new Error(
        `node-pre-gyp build failed:\n${`${r.stdout}${r.stderr}${r.error?.message ?? ''}`.trim().split('\n').slice(-15).join('\n')}`,
      );
    if (!existsSync(addonPath(sources))) throw new Error(`node-pre-gyp reported success but wrote no ${addonPath(sources)}`);
    // node-pre-gyp's object files, which nobody loads.
    for (const entry of readdirSync(sources))
      if (/^build(-tmp-|$)/.test(entry)) rmSync(join(sources, entry), { recursive: true, force: true });
    rmSync(join(sources, 'deps'));
    mkdirSync(join(workDir, 'entry'));
    renameSync(sources, join(workDir, 'entry', 'tfjs-node'));
    try {
      renameSync(join(workDir, 'entry'), cacheDir);
    } catch (err) {
      if (!existsSync(join(cacheDir, 'tfjs-node', 'package.json'))) throw err; // else a concurrent setup published it first
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * The addon finds TensorFlow's library through its run path: tfjs-node's `$ORIGIN/../../deps/lib`, which needs a
 * `deps` link beside it, and the cache's own folder, which needs nothing — so the installed package is plain files
 * that a package manager may copy (pnpm's side-effects cache drops symlinks).
 */
function linkAgainst(sources: string, libDir: string): void {
  const gyp = join(sources, 'binding.gyp');
  const text = readFileSync(gyp, 'utf8');
  const origin = "'-Wl,-rpath,\\$$ORIGIN/../../deps/lib',";
  if (!text.includes(origin)) throw new Error(`${gyp} has no run path ${origin}: not the tfjs-node this setup knows`);
  writeFileSync(
    gyp,
    text.replace(origin, () => `${origin} '-Wl,-rpath,${libDir}',`),
  );
}

/** Where node-pre-gyp puts the addon: `lib/napi-v<n>/tfjs_binding.node` (tfjs-node's `binary.module_path`). */
function addonPath(pkgDir: string): string {
  return join(pkgDir, 'lib', `napi-v${napiBuildVersion()}`, 'tfjs_binding.node');
}

/** The Node headers node-gyp compiles against: the system's, as our machines have no internet to fetch them. */
function nodeHeadersDir(): string | undefined {
  const candidates = [process.env['npm_config_nodedir'], dirname(dirname(process.execPath)), '/usr', '/usr/local'];
  return candidates.find((d) => d !== undefined && existsSync(join(d, 'include', 'node', 'node_api.h')));
}
