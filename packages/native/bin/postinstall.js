// This package's postinstall: the native setup, which must never fail the user's `npm install` (it says why and
// how to fix it instead), unless DL_REQUIRE_NATIVE=1 asks for the native backend or nothing.
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../dist/setup.js', import.meta.url))) {
  // A source checkout before its build: the monorepo's own postinstall runs the setup once everything is compiled.
  process.stderr.write('[dl native] not built yet; the setup runs after the build\n');
} else {
  const { setupNative } = await import('../dist/setup.js');
  const result = await setupNative();
  process.exitCode = !result.ok && process.env.DL_REQUIRE_NATIVE === '1' ? 1 : 0;
}
