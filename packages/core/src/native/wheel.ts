import { createWriteStream, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

/** The TensorFlow C library inside a tensorflow-cpu wheel. */
const LIBRARIES = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];
/** Only the C API headers the tfjs-node addon compiles against; the wheel's full include/ is 13,000 files. */
const HEADER_DIRS = ['tensorflow/c/', 'tensorflow/core/platform/', 'tsl/platform/', 'xla/tsl/c/'];

/**
 * Stages a wheel's TensorFlow C library as tfjs-node's `deps/` layout into `destDir`:
 * `lib/libtensorflow*.so.2` with the unversioned `.so` names the addon links against, and `include/`.
 */
export async function extractWheelLibrary(wheelPath: string, destDir: string): Promise<void> {
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
