/**
 * TensorFlow's C library for the addon, taken from a tensorflow-cpu wheel: the pinned one from the machine's pip
 * index (`pip download`, checked against its sha256), or the wheel `DL_TF_WHEEL` names.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { basename, dirname, join, normalize } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { tensorflowCacheDir } from './cache-dir.js';
import { TENSORFLOW_WHEEL, tensorflowVersion } from './pins.js';

/**
 * The `deps/` folder (lib/ and include/) of TensorFlow `tensorflowVersion()` in the cache, extracted from its wheel on
 * first use. Published by one rename, so an interrupted or concurrent setup never sees half a library.
 */
export async function tensorflowLibrary(log: (line: string) => void): Promise<string> {
  const cacheDir = tensorflowCacheDir(tensorflowVersion());
  const deps = join(cacheDir, 'deps');
  if (existsSync(join(deps, 'lib', 'libtensorflow.so'))) return deps;
  mkdirSync(cacheDir, { recursive: true });
  const workDir = await mkdtemp(join(cacheDir, '.work-'));
  try {
    const wheel = process.env['DL_TF_WHEEL'] ? await givenWheel(process.env['DL_TF_WHEEL']) : await pinnedWheel(workDir, log);
    log(`extracting the TensorFlow C library from ${wheel}…`);
    await extractWheelLibrary(wheel, join(workDir, 'deps'));
    try {
      renameSync(join(workDir, 'deps'), deps);
    } catch (err) {
      if (!existsSync(join(deps, 'lib', 'libtensorflow.so'))) throw err; // else a concurrent setup published it first
    }
    return deps;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function givenWheel(path: string): Promise<string> {
  if (!existsSync(path)) throw new Error(`DL_TF_WHEEL=${path}: no such file. Point it at a tensorflow-cpu .whl file.`);
  if (basename(path) === TENSORFLOW_WHEEL.file && (await sha256(path)) !== TENSORFLOW_WHEEL.sha256) {
    throw new Error(`DL_TF_WHEEL=${path}: its sha256 is not the published ${TENSORFLOW_WHEEL.sha256}; the file is damaged or altered`);
  }
  return path;
}

/** Downloads exactly the pinned wheel with pip (whatever Python runs it) and checks its sha256. */
async function pinnedWheel(workDir: string, log: (line: string) => void): Promise<string> {
  const spec = `tensorflow-cpu==${TENSORFLOW_WHEEL.version}`;
  log(`downloading ${TENSORFLOW_WHEEL.file} from the pip index (270 MB)…`);
  const args = [
    'download',
    '--no-deps',
    '--only-binary=:all:',
    ...TENSORFLOW_WHEEL.pip,
    '--retries',
    '0',
    '--timeout',
    '15',
    '-d',
    workDir,
    spec,
  ];
  const failures: string[] = [];
  for (const [cmd, cmdArgs] of [
    ['pip', args],
    ['pip3', args],
    ['python3', ['-m', 'pip', ...args]],
  ] as const) {
    const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', timeout: 15 * 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    const wheel = join(workDir, TENSORFLOW_WHEEL.file);
    if (r.status === 0 && existsSync(wheel)) {
      const digest = await sha256(wheel);
      if (digest !== TENSORFLOW_WHEEL.sha256)
        throw new Error(
          `the pip index served ${TENSORFLOW_WHEEL.file} with sha256 ${digest}, not the published ${TENSORFLOW_WHEEL.sha256}`,
        );
      return wheel;
    }
    failures.push(`${cmd}: ${r.error?.message ?? lastErrorLine(`${r.stdout}${r.stderr}`)}`);
  }
  throw new Error(
    `could not download ${spec} (${failures.join('; ')}). Make a pip index serving it reachable, or download ` +
      `${TENSORFLOW_WHEEL.file} yourself and set DL_TF_WHEEL to its path`,
  );
}

/** The file's SHA-256, streamed (a wheel is 270 MB). */
async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** The line of a tool's output that says what went wrong: its last error line, else its last line. */
export function lastErrorLine(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return (lines.filter((l) => /error/i.test(l)).at(-1) ?? lines.at(-1) ?? '').trim();
}

/** The TensorFlow C library inside a tensorflow-cpu wheel. */
const LIBRARIES = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];
/** Only the C API headers the tfjs-node addon compiles against; the wheel's full include/ is 13,000 files. */
const HEADER_DIRS = ['tensorflow/c/', 'tensorflow/core/platform/', 'tsl/platform/', 'xla/tsl/c/'];

/**
 * Stages a wheel's TensorFlow C library as tfjs-node's `deps/` layout into `destDir`:
 * `lib/libtensorflow*.so.2` with the unversioned `.so` names the addon links against, and `include/`.
 */
async function extractWheelLibrary(wheelPath: string, destDir: string): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(wheelPath, { lazyEntries: true, autoClose: true }, (err, z) => (err ? reject(err) : resolve(z))),
  );
  const found = new Set<string>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzl.Entry) => {
      const target = targetFor(entry.fileName, destDir);
      if (!target) return zip.readEntry();
      found.add(entry.fileName);
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        mkdirSync(dirname(target), { recursive: true });
        pipeline(stream, createWriteStream(target)).then(() => zip.readEntry(), reject);
      });
    });
    zip.readEntry();
  });
  for (const lib of LIBRARIES) {
    if (!found.has(`tensorflow/${lib}`)) throw new Error(`${wheelPath} has no tensorflow/${lib}: is it a tensorflow-cpu wheel?`);
  }
  symlinkSync('libtensorflow_cc.so.2', join(destDir, 'lib', 'libtensorflow.so'));
  symlinkSync('libtensorflow_framework.so.2', join(destDir, 'lib', 'libtensorflow_framework.so'));
}

function targetFor(entryName: string, destDir: string): string | undefined {
  const name = normalize(entryName);
  if (name.startsWith('..') || entryName.endsWith('/')) return undefined;
  const lib = LIBRARIES.find((l) => name === `tensorflow/${l}`);
  if (lib) return join(destDir, 'lib', lib);
  const header = name.startsWith('tensorflow/include/') ? name.slice('tensorflow/include/'.length) : undefined;
  if (header && HEADER_DIRS.some((d) => header.startsWith(d))) return join(destDir, 'include', header);
  return undefined;
}
