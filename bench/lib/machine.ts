/** What the numbers were measured on: CPU, memory, OS, load, and which dl sources ran. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpu: string;
  logicalCpus: number;
  /** SIMD features that decide TensorFlow's float32 kernels. */
  simd: string[];
  virtualized: boolean;
  memoryGb: number;
  os: string;
  node: string;
  /** 1-minute load average when the run started and ended: other jobs on the machine make the numbers noisy. */
  loadAverage: { start: number; end?: number };
  /** The dl sources measured: git commit, and how many files under packages/ differ from it. */
  dl: { commit: string | null; uncommittedFiles: number | null };
}

export function machineInfo(root: string): Machine {
  const cpuinfo = safe(() => readFileSync('/proc/cpuinfo', 'utf8')) ?? '';
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '').split(/\s+/));
  const simd = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_bf16', 'avx512_vnni', 'amx_tile'].filter((f) => flags.has(f));
  const git = (args: string[]) =>
    safe(() => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  const status = git(['status', '--porcelain', '--', 'packages']);
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    logicalCpus: os.cpus().length,
    simd,
    virtualized: flags.has('hypervisor'),
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    loadAverage: { start: os.loadavg()[0]! },
    dl: {
      commit: git(['rev-parse', '--short', 'HEAD']) ?? null,
      uncommittedFiles: status === undefined ? null : status.split('\n').filter(Boolean).length,
    },
  };
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
