// This package's postinstall: the native setup, which must never fail the user's `npm install` (it says why and
// how to fix it instead), unless DL_REQUIRE_NATIVE=1 asks for the native backend or nothing.
import { existsSync, writeFileSync } from 'node:fs';

if (!existsSync(new URL('../dist/setup.js', import.meta.url))) {
  // A source checkout before its build: the monorepo's own postinstall runs the setup once everything is compiled.
  process.stderr.write('[dl native] not built yet; the setup runs after the build\n');
} else {
  const { setupNative } = await import('../dist/setup.js');
  const lines = [];
  const result = await setupNative({ log: (line) => lines.push(`[dl native] ${line}`) && process.stderr.write(`[dl native] ${line}\n`) });
  if (!result.ok && !process.stderr.isTTY) {
    // npm shows an install script's output only when it fails, and this one must not: tell the person at the terminal.
    try {
      writeFileSync('/dev/tty', `${lines.join('\n')}\n`);
    } catch {
      // No terminal (CI): dl repeats the reason and the fix at every start.
    }
  }
  process.exitCode = !result.ok && process.env.DL_REQUIRE_NATIVE === '1' ? 1 : 0;
}
