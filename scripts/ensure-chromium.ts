// Run by `pnpm test` before vitest: makes sure the browser tests (packages/cli/test/web.test.ts) have Chromium.
// Found ($DL_CHROMIUM, or chromium on the PATH) → nothing to do. Missing and running as root with apt-get → installs
// Debian's chromium package. Still missing → one line saying what to install, and the browser tests skip themselves;
// with CI set, a missing Chromium fails the run instead.
import { execFileSync, spawnSync } from 'node:child_process';
import { findChromium, INSTALL_CHROMIUM } from '../packages/cli/test/find-chromium.js';

function aptGet(...args: string[]): boolean {
  const result = spawnSync('apt-get', args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0)
    process.stderr.write(`apt-get ${args.join(' ')} failed:\n${(result.stderr ?? '').trim().split('\n').slice(-5).join('\n')}\n`);
  return result.status === 0;
}

function hasAptGet(): boolean {
  try {
    execFileSync('which', ['apt-get'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// DL_CHROMIUM names the browser to use: when it is wrong, installing another one would not help.
if (findChromium() === undefined && !process.env['DL_CHROMIUM'] && process.getuid?.() === 0 && hasAptGet()) {
  console.log('Chromium is missing for the browser tests: installing it (apt-get install -y chromium)…');
  // A fresh container has no package lists yet: update only when the first attempt fails.
  if (!aptGet('install', '-y', '-q', 'chromium')) aptGet('update', '-q') && aptGet('install', '-y', '-q', 'chromium');
}
const chromium = findChromium();
if (chromium === undefined) {
  if (process.env['CI']) {
    console.error(`error: Chromium not found, and CI is set, so the browser tests cannot be skipped: ${INSTALL_CHROMIUM}`);
    process.exit(1);
  }
  console.log(`browser tests will be skipped: Chromium not found; ${INSTALL_CHROMIUM}`);
}
