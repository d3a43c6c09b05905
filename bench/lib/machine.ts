/** What the numbers were measured on: CPU, memory, OS, load, and which dl sources ran. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpu: string;
  /** The CPU's vendor and family as a slug (machineKind): which results file the run belongs to. */
  kind: string;
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
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown';
  return {
    cpu,
    kind: machineKind(cpu),
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

/**
 * The kind of machine, as a file-name slug of the CPU's vendor and model: `intel-xeon` for "Intel(R) Xeon(R) Processor",
 * `amd-epyc` for "AMD EPYC 7B13". Results differ between kinds (their kernels, caches and SIMD), so each kind keeps
 * its own results file; the model number is left out, so the same family on another host compares with the file.
 */
export function machineKind(cpu: string): string {
  const words = cpu
    .replace(/\((R|TM|tm|r)\)/g, ' ')
    .replace(/@.*$/, ' ')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w && !/^(processor|cpu|core|\d+-core)$/i.test(w))
    .map((w) => w.toLowerCase());
  // Vendor and family, without model numbers (words with digits): "amd epyc 7b13" → amd-epyc.
  return (
    words
      .filter((w, i) => i < 2 || !/\d/.test(w))
      .slice(0, 3)
      .join('-') || 'unknown-cpu'
  );
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
