// Run by get-file-faults.test.ts in a child process (node --import tsx): one getFile call, reported as JSON lines.
import { getFile } from '../src/get-file.js';

const [origin, cacheDir, fileName, sha256] = process.argv.slice(2);
try {
  const path = await getFile(fileName!, {
    origin: origin!,
    sha256,
    cacheDir: cacheDir!,
    log: (line) => console.log(JSON.stringify({ waiting: line })),
  });
  console.log(JSON.stringify({ path }));
} catch (error) {
  console.log(JSON.stringify({ error: (error as Error).message }));
  process.exitCode = 1;
}
