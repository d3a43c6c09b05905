// Where the browser tests find Chromium; shared by the tests (browser.ts) and scripts/ensure-chromium.ts.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What to do when Chromium is missing, in one line. */
export const INSTALL_CHROMIUM = process.env['DL_CHROMIUM']
  ? `DL_CHROMIUM=${process.env['DL_CHROMIUM']} does not exist: point it at a Chromium binary, or unset it to use chromium from the PATH`
  : "install Debian's chromium package (sudo apt-get install chromium) or set DL_CHROMIUM=/path/to/chromium";

/** The Chromium binary: $DL_CHROMIUM, else `chromium` or `chromium-browser` on the PATH; undefined when none is found. */
export function findChromium(): string | undefined {
  const fromEnv = process.env['DL_CHROMIUM'];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      // not on the PATH
    }
  }
  return undefined;
}
