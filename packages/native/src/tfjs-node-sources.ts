/**
 * tfjs-node's published package, fetched by the setup itself rather than installed as a dependency: npm would run
 * tfjs-node's own install script for every user of dl, and that script downloads libtensorflow and an unpatched
 * prebuilt addon (failing the whole `npm install` without internet). `npm pack` fetches the exact tarball through
 * the user's own npm configuration (registry, proxy, cache) and runs no script; its integrity is checked against
 * the pin, then our patch is applied to the addon's sources.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPatch, parsePatch } from 'diff';
import { extract } from 'tar';
import { PATCH_FILE } from './cache-dir.js';
import { TFJS_NODE } from './pins.js';

/** Fetches, checks, unpacks and patches tfjs-node into `<workDir>/tfjs-node`; returns that folder. */
export async function preparedTfjsNodeSources(workDir: string): Promise<string> {
  const spec = `${TFJS_NODE.name}@${TFJS_NODE.version}`;
  const r = spawnSync('npm', ['pack', spec, '--pack-destination', workDir, '--json', '--ignore-scripts'], {
    cwd: workDir,
    encoding: 'utf8',
    timeout: 5 * 60_000,
  });
  if (r.status !== 0) {
    const why =
      r.error?.message ??
      (r.stderr || r.stdout)
        .trim()
        .split('\n')
        .filter((l) => /error/i.test(l))
        .slice(-2)
        .join(' ');
    throw new Error(
      `\`npm pack ${spec}\` failed (${why || `exit ${r.status}`}): npm and its registry must be reachable to build dl's native kernels`,
    );
  }
  const [packed] = JSON.parse(r.stdout) as Array<{ filename: string }>;
  const tarball = join(workDir, packed!.filename);
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  if (integrity !== TFJS_NODE.integrity) {
    throw new Error(
      `${spec} from the registry has integrity ${integrity}, not the pinned ${TFJS_NODE.integrity}: refusing to build from it`,
    );
  }
  const dir = join(workDir, 'tfjs-node');
  mkdirSync(dir);
  await extract({ file: tarball, cwd: dir, strip: 1 });
  applyOurPatch(dir);
  return dir;
}

/** Applies patches/ (a unified diff of the addon's C++ sources) to the unpacked package; any hunk that fails is an error. */
function applyOurPatch(dir: string): void {
  for (const filePatch of parsePatch(readFileSync(PATCH_FILE, 'utf8'))) {
    const file = join(dir, (filePatch.newFileName ?? '').replace(/^b\//, ''));
    const patched = applyPatch(readFileSync(file, 'utf8'), filePatch);
    if (patched === false) throw new Error(`dl's patch does not apply to ${file}`);
    writeFileSync(file, patched);
  }
}
