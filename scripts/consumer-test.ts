/**
 * dl as someone else's dependency: packs the packages (`pnpm -r pack`), installs the tarballs into a fresh project
 * outside this repository with npm's defaults (install scripts on) or with pnpm, and checks there what a new user
 * would do:
 * - the install set up the native backend (@dl/native's postinstall), and `npx dl info --json` says
 *   `"backend":"tensorflow"` and `"graphExecution":true`;
 * - the README's library snippet, on a 2,000-image slice of MNIST, compiles with `tsc --strict --module nodenext`
 *   (no skipLibCheck) and runs on the native backend with `model.graphCalls.graph > 0`;
 * - `npx dl train cnn --epochs 1 --limit 2000` trains and saves its run.
 *
 * Usage (from the repository root, after the install):
 *
 *   npx tsx scripts/consumer-test.ts [--manager npm|pnpm|both] [--empty-cache] [--keep]
 *
 * `--empty-cache` points DL_NATIVE_CACHE at a new empty folder, so the consumer's install builds the patched addon
 * from scratch (fetching tfjs-node with npm and the TensorFlow wheel with pip) and reports how long that took.
 * `--keep` leaves the project folder for a look. Exits 1 when a check failed. The test suite runs it for npm and
 * pnpm (packages/cli/test/consumer.test.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
/** The pnpm this repository pins (package.json `packageManager`). */
const PNPM = ['-y', 'pnpm@10.34.9'];
/** What the consumer project adds beside dl, at the versions this repository uses. */
const CONSUMER_DEV = ['typescript@5.9.3', '@types/node@20.19.25'];

export type Manager = 'npm' | 'pnpm';

export interface ConsumerOptions {
  manager: Manager;
  /** Build the native addon from scratch in a new, empty cache. */
  emptyCache?: boolean;
  /** Leave the project folder in place. */
  keep?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface ConsumerResult {
  dir: string;
  installSeconds: number;
  /** The native setup's own lines from the install output (npm shows none unless a script fails; pnpm reuses a
   * build it made before without running the script again). */
  setupLines: string[];
  /** The install left dl's built addon in @dl/native (the tarball has none). */
  addonInstalled: boolean;
  /** `npx dl info --json`. */
  info: { backend: string; tensorflowVersion: string | null; graphExecution: boolean; graphExecutionReason?: string };
  /** What the snippet printed: its evaluation, the backend and graph calls. */
  snippet: { backend: string; graphCalls: number; eagerCalls: number; accuracy: number; loss: number };
  /** `dl train cnn --epochs 1 --limit 2000 --json`. */
  train: { accuracy: number; out: string };
}

/**
 * The README's library snippet as a consumer's TypeScript file, on the first 2,000 training and test images so it
 * runs in seconds; it prints one JSON line with what the checks need.
 */
const SNIPPET = `import { LearningRateScheduler, backendInfo, layers, sequential } from '@dl/core';
import { mnist } from '@dl/data';

const [[xAll, yAll], [xTestAll, yTestAll]] = await mnist.loadData(); // uint8 [n, 28, 28] and labels, as keras.datasets
const first = (a: { data: Uint8Array; shape: number[] }, n: number) => ({ data: a.data.subarray(0, (a.data.length / a.shape[0]!) * n), shape: [n, ...a.shape.slice(1)] });
const [xTrain, yTrain, xTest, yTest] = [first(xAll, 2000), first(yAll, 2000), first(xTestAll, 2000), first(yTestAll, 2000)];
const scale = (x: { data: Uint8Array; shape: number[] }) => ({ data: Float32Array.from(x.data, (v) => v / 255), shape: [...x.shape, 1] });

const model = sequential([
  layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
  layers.maxPooling2d({ poolSize: 2 }),
  layers.flatten(),
  layers.dense({ units: 10, activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
await model.fit(scale(xTrain), yTrain, {
  epochs: 3,
  batchSize: 64,
  verbose: 0,
  callbacks: [new LearningRateScheduler((epoch, lr) => (epoch === 0 ? lr : lr / 2))],
});
const result = await model.evaluate(scale(xTest), yTest);
await model.save('runs/my-model');
console.log(JSON.stringify({ ...result, backend: backendInfo().backend, graphCalls: model.graphCalls.graph, eagerCalls: model.graphCalls.eager }));
`;

export async function runConsumerTest(options: ConsumerOptions): Promise<ConsumerResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = await mkdtemp(join(tmpdir(), `dl-consumer-${options.manager}-`));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, DL_DATASETS_DIR: join(dir, 'datasets') };
    // The repository's own settings must not leak into the consumer's project.
    for (const name of Object.keys(env)) if (/^(npm|pnpm)_/i.test(name) || name === 'DL_TFJS_NODE_DIR') delete env[name];
    if (options.emptyCache) env['DL_NATIVE_CACHE'] = join(dir, 'native-cache');

    log(`packing the packages into ${dir}/packs…`);
    const packs = join(dir, 'packs');
    await mkdir(packs);
    await run('npx', [...PNPM, '-r', '--filter', './packages/*', 'pack', '--pack-destination', packs], { cwd: ROOT, env });
    const tarballs = Object.fromEntries((await readdir(packs)).map((f) => [`@dl/${/^dl-(\w+)-/.exec(f)![1]}`, join(packs, f)]));
    await checkTarballRanges(packs);

    const project = join(dir, 'project');
    await mkdir(project);
    const manifest: Record<string, unknown> = { name: 'dl-consumer', private: true, type: 'module' };
    if (options.manager === 'pnpm') {
      // pnpm resolves @dl/cli's `@dl/core@^0.1.0` from the registry unless told to take the tarball, and runs a
      // dependency's install script only when the project allows it (pnpm 10's default).
      // A tarball's build is allowed by its full spec (a registry package's by its name alone).
      const spec = (name: string) => `file:../packs/${basename(tarballs[name]!)}`;
      manifest['pnpm'] = {
        overrides: Object.fromEntries(Object.keys(tarballs).map((name) => [name, spec(name)])),
        onlyBuiltDependencies: ['@dl/native', `@dl/native@${spec('@dl/native')}`],
      };
    }
    await writeFile(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

    log(`installing with ${options.manager}${options.emptyCache ? ' (empty native cache)' : ''}…`);
    const started = Date.now();
    const installArgs =
      options.manager === 'npm'
        ? ['install', '--no-audit', '--no-fund', ...Object.values(tarballs), ...CONSUMER_DEV]
        : [...PNPM, 'add', ...Object.values(tarballs), ...CONSUMER_DEV];
    const install = await run(options.manager === 'npm' ? 'npm' : 'npx', installArgs, { cwd: project, env });
    const installSeconds = (Date.now() - started) / 1000;
    const setupLines = `${install.stdout}\n${install.stderr}`
      .split('\n')
      .filter((l) => l.includes('[dl native]'))
      .map((l) => l.trim());
    log(`  installed in ${installSeconds.toFixed(1)} s; setup said:\n    ${setupLines.join('\n    ')}`);
    const addonInstalled = existsSync(join(project, 'node_modules', '@dl', 'native', 'tfjs-node', 'lib', 'napi-v8', 'tfjs_binding.node'));

    const infoRun = await run('npx', ['dl', 'info', '--json'], { cwd: project, env });
    const info = JSON.parse(lastLine(infoRun.stdout)) as ConsumerResult['info'];
    // A build pnpm restored whose TensorFlow library is gone is put back from the cache at the first load.
    const loadLines = infoRun.stderr.split('\n').filter((l) => l.includes('[dl native]'));
    log(`  dl info: ${JSON.stringify(info)}${loadLines.map((l) => `\n    ${l.trim()}`).join('')}`);

    await writeFile(join(project, 'snippet.ts'), SNIPPET);
    await run(
      'npx',
      ['tsc', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--outDir', 'out', 'snippet.ts'],
      { cwd: project, env },
    );
    const snippet = JSON.parse(
      lastLine((await run('node', ['out/snippet.js'], { cwd: project, env })).stdout),
    ) as ConsumerResult['snippet'];
    log(`  snippet: ${JSON.stringify(snippet)}`);

    const trained = await run('npx', ['dl', 'train', 'cnn', '--epochs', '1', '--limit', '2000', '--out', 'runs/cnn', '--json'], {
      cwd: project,
      env,
    });
    const train = JSON.parse(lastLine(trained.stdout)) as { metrics?: { accuracy: number }; accuracy?: number; out?: string };
    const accuracy = train.metrics?.accuracy ?? train.accuracy ?? Number.NaN;
    await readFile(join(project, 'runs', 'cnn', 'model.json')); // the run was saved where asked
    log(`  dl train cnn --epochs 1 --limit 2000: test accuracy ${accuracy}`);
    return { dir, installSeconds, setupLines, addonInstalled, info, snippet, train: { accuracy, out: join(project, 'runs', 'cnn') } };
  } finally {
    if (!options.keep) await rm(dir, { recursive: true, force: true });
  }
}

/** Internal dependencies must be plain semver ranges in the packed manifests (no `workspace:`). */
async function checkTarballRanges(packs: string): Promise<void> {
  for (const file of await readdir(packs)) {
    const { stdout } = await run('tar', ['-xOzf', join(packs, file), 'package/package.json'], {});
    const manifest = JSON.parse(stdout) as { name: string; dependencies?: Record<string, string> };
    for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
      if (dep.startsWith('@dl/') && !/^\^\d+\.\d+\.\d+$/.test(range))
        throw new Error(`${manifest.name} depends on ${dep}@${range}, not a semver range`);
    }
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

/** Runs a command; rejects with its output's tail when it exits non-zero. */
function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolvePromise({ stdout, stderr });
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n');
      reject(new Error(`\`${cmd} ${args.join(' ')}\` exited ${code} in ${options.cwd}:\n${tail}`));
    });
  });
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const { values } = parseArgs({
    options: { manager: { type: 'string', default: 'both' }, 'empty-cache': { type: 'boolean' }, keep: { type: 'boolean' } },
  });
  const managers: Manager[] = values.manager === 'both' ? ['npm', 'pnpm'] : [values.manager as Manager];
  let failed = false;
  for (const manager of managers) {
    const r = await runConsumerTest({ manager, emptyCache: values['empty-cache'] ?? false, keep: values.keep ?? false });
    const problems = [
      !r.addonInstalled && 'the install left no addon in @dl/native',
      r.info.backend !== 'tensorflow' && `dl info: backend ${r.info.backend}`,
      !r.info.graphExecution && `dl info: graphExecution false (${r.info.graphExecutionReason})`,
      r.snippet.backend !== 'tensorflow' && `snippet ran on ${r.snippet.backend}`,
      !(r.snippet.graphCalls > 0) && 'snippet: no graph calls',
      !(r.train.accuracy > 0.5) && `dl train: accuracy ${r.train.accuracy}`,
    ].filter(Boolean);
    process.stdout.write(
      `${manager}: install ${r.installSeconds.toFixed(1)} s, snippet accuracy ${r.snippet.accuracy.toFixed(4)} with ${r.snippet.graphCalls} graph calls, ` +
        `dl train accuracy ${r.train.accuracy.toFixed(4)} — ${problems.length ? `FAILED: ${problems.join('; ')}` : 'ok'}\n`,
    );
    failed ||= problems.length > 0;
  }
  process.exitCode = failed ? 1 : 0;
}
