/** Child processes of the harness: each measurement runs in its own process, so its peak RSS is its own. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallSeconds: number;
  timedOut: boolean;
}

/** Runs `command args`, collecting its output; kills it (and only it) after `timeoutMs`. */
export function runChild(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number; echo?: boolean },
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (options.echo) process.stderr.write(d);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, wallSeconds: (performance.now() - start) / 1000, timedOut });
    });
  });
}

/** The last line of `stdout` that parses as a JSON object: what every bench script prints as its result. */
export function lastJsonLine<T>(stdout: string): T | undefined {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as T;
    } catch {
      // not the result line
    }
  }
  return undefined;
}

/** Why a child failed, in a few lines: its exit status and the end of its stderr. */
export function failure(r: ChildResult): string {
  const status = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
  const tail = r.stderr
    .split('\n')
    .filter((l) => l.trim() && !/oneDNN custom operations|absl::InitializeLog/.test(l))
    .slice(-12)
    .join('\n');
  return `${status}${tail ? `\n${tail}` : ''}`;
}

/**
 * How to run a TypeScript file with tsx: the harness runs under tsx, so its own node flags (tsx's loader) serve its
 * children too; otherwise the tsx binary of the repository's node_modules.
 */
export function tsxCommand(root: string): { command: string; args: string[] } {
  if (process.execArgv.some((a) => a.includes('tsx'))) return { command: process.execPath, args: [...process.execArgv] };
  for (const dir of [root, join(root, 'examples')]) {
    const bin = join(dir, 'node_modules', '.bin', 'tsx');
    if (existsSync(bin)) return { command: bin, args: [] };
  }
  return { command: 'npx', args: ['--no-install', 'tsx'] };
}
