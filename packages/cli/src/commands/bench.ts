import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../usage-error.js';

export interface BenchCommandOptions {
  workloads?: string;
  rounds?: number;
  quick?: boolean;
  build?: boolean;
  md?: string;
  /** dl's global --verbose: echo the benchmark processes' stderr. */
  verbose?: boolean;
}

/**
 * `dl bench`: runs the benchmark harness of the dl source tree this CLI belongs to (bench/run.ts, the same as
 * `pnpm bench`) with tsx, passing the options on, and exits with its exit code.
 */
export async function bench(options: BenchCommandOptions): Promise<void> {
  const root = findRoot(dirname(fileURLToPath(import.meta.url)));
  if (!root) {
    throw new UsageError(
      'dl bench runs bench/run.ts of a dl source checkout, and none was found above this dl installation; clone the repository and run `pnpm bench` there',
    );
  }
  const args: string[] = [];
  if (options.workloads !== undefined) args.push('--workloads', options.workloads);
  if (options.rounds !== undefined) args.push('--rounds', String(options.rounds));
  if (options.quick) args.push('--quick');
  if (options.build) args.push('--build');
  if (options.md !== undefined) args.push('--md', options.md);
  if (options.verbose) args.push('--verbose');

  const tsx = [join(root, 'node_modules', '.bin', 'tsx'), join(root, 'examples', 'node_modules', '.bin', 'tsx')].find((p) => existsSync(p));
  const [command, ...prefix] = tsx ? [tsx] : ['npx', '--no-install', 'tsx'];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(command!, [...prefix, join(root, 'bench', 'run.ts'), ...args], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, DL_BENCH_COMMAND: 'dl bench' },
    });
    child.on('error', reject);
    child.on('close', (exitCode, signal) => resolve(exitCode ?? (signal === 'SIGINT' ? 130 : 1)));
  });
  process.exitCode = code;
}

/** The nearest folder above `from` that holds bench/run.ts (from packages/cli/dist/commands: the repository root). */
function findRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'bench', 'run.ts'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}
