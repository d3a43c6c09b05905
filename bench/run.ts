/**
 * `pnpm bench` / `dl bench`: each workload in dl and in Keras 3 on TensorFlow CPU, alternating the two in rounds,
 * each run in a fresh process; reports samples/s, the ratio dl ÷ Keras, peak RSS of each side and, where counted,
 * GFLOP/s against the machine's matmul peak. Writes bench/out/results-<timestamp>.json and
 * bench/results-<machine kind>.md (one file per kind of CPU: lib/machine.ts's machineKind).
 * See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isBenchReport, REPORT_TITLE, withEarlierRuns } from './lib/earlier-runs.js';
import { machineInfo } from './lib/machine.js';
import { failure, lastJsonLine, runChild } from './lib/proc.js';
import {
  consoleTable,
  markdown,
  ratios,
  summarizeSide,
  workloadShell,
  type NetworkSummary,
  type PeakMeasurement,
  type Results,
  type RunRecord,
  type Side,
  type WorkloadResult,
} from './lib/report.js';
import { ensureVenv } from './lib/venv.js';
import { isWorkloadName, WORKLOAD_NAMES, WORKLOADS, type WorkloadName } from './workloads.js';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, '..');

const USAGE = `Usage: pnpm bench [options]   (also: dl bench, npx tsx bench/run.ts)

Runs each workload in dl and in Keras 3 (TensorFlow CPU), alternating the two, and reports samples/s,
dl ÷ Keras, peak RSS and GFLOP/s. Writes bench/out/results-<timestamp>.json and bench/results-<machine kind>.md
(e.g. results-amd-epyc.md: one file per kind of CPU, its vendor and family).

Options:
  --workloads a,b,…  workloads to run (default: all): ${WORKLOAD_NAMES.join(', ')}
  --rounds N         dl/Keras pairs per workload (default 3; 1 with --quick)
  --quick            short runs: a smoke test of both sides (the results file is left alone; the report goes to bench/out/)
  --build            run \`tsc -b\` first, so dl's packages/*/dist match their sources
  --md FILE          where to write the Markdown report (default: bench/results-<machine kind>.md, or bench/out/ with --quick)
  --verbose          echo the benchmark processes' stderr
  -h, --help         this help
`;

interface Options {
  workloads: WorkloadName[];
  rounds: number;
  quick: boolean;
  build: boolean;
  md: string | undefined;
  verbose: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'), // `pnpm bench -- --quick` passes the separator along
    options: {
      workloads: { type: 'string' },
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      build: { type: 'boolean', default: false },
      md: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const workloads = (values.workloads ?? WORKLOAD_NAMES.join(','))
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean);
  for (const w of workloads) if (!isWorkloadName(w)) usage(`unknown workload '${w}'; valid: ${WORKLOAD_NAMES.join(', ')}`);
  const rounds = values.rounds === undefined ? (values.quick ? 1 : 3) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) usage(`--rounds must be a whole number ≥ 1, got '${values.rounds}'`);
  return {
    workloads: workloads as WorkloadName[],
    rounds,
    quick: values.quick!,
    build: values.build!,
    md: values.md,
    verbose: values.verbose!,
  };
}

/**
 * Where the Markdown report goes: `--md FILE`, else bench/out/ for `--quick`, else bench/results-<machine kind>.md.
 * An existing file must be a report this bench wrote, since it is replaced (its run kept under "Earlier runs").
 */
function reportPath(options: Options, machineKind: string, outDir: string, stamp: string): string {
  const path = options.md
    ? resolve(options.md)
    : options.quick
      ? join(outDir, `results-${stamp}.md`)
      : join(BENCH, `results-${machineKind}.md`);
  checkReplaceable(path);
  return path;
}

function checkReplaceable(path: string): void {
  const shown = relative(process.cwd(), path);
  if (existsSync(path) && !isBenchReport(readFileSync(path, 'utf8')))
    usage(
      `${shown.startsWith('..') ? path : shown} exists and is not a bench report (it does not start with "${REPORT_TITLE}"), so the run would overwrite it; pass --md with a new file name`,
    );
}

function usage(message: string): never {
  process.stderr.write(`error: ${message}\n(run with --help for usage)\n`);
  process.exit(2);
}

const log = (line: string) => process.stdout.write(`${line}\n`);

/** The command as the user typed it, for the results file. */
function commandLine(argv: string[]): string {
  const args = argv.filter((a) => a !== '--').join(' ');
  const base = process.env.DL_BENCH_COMMAND ?? (process.env.npm_lifecycle_event === 'bench' ? 'pnpm bench' : 'npx tsx bench/run.ts');
  return args ? `${base} ${args}` : base;
}

/** Source files of the dl packages newer than their compiled output: the benchmark would measure old code. */
function staleDist(): string[] {
  const stale: string[] = [];
  for (const pkg of DL_PACKAGES) {
    const src = join(ROOT, 'packages', pkg, 'src');
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts')) {
          const out = join(ROOT, 'packages', pkg, 'dist', relative(src, path).replace(/\.ts$/, '.js'));
          if (!existsSync(out) || statSync(out).mtimeMs < statSync(path).mtimeMs) stale.push(relative(ROOT, path));
        }
      }
    };
    if (existsSync(src)) walk(src);
  }
  return stale;
}

const DL_PACKAGES = ['core', 'data', 'models'];
/**
 * Linked live, not copied: @dl/native holds the built TensorFlow addon (its tfjs-node/ folder), which a rebuild of
 * dl's TypeScript does not touch.
 */
const LIVE_PACKAGES = ['native'];

/**
 * Copies the dl packages' compiled output (dist/ and package.json) into `dir`, with node_modules linking to the same
 * third-party packages and to each other's copies, so every process of the run loads the dl that was built when the run
 * started, whatever is rebuilt meanwhile (bench/dl/dl.ts loads from `DL_BENCH_PACKAGES`).
 */
function snapshotDl(dir: string): void {
  for (const pkg of DL_PACKAGES) {
    const live = join(ROOT, 'packages', pkg);
    const copy = join(dir, pkg);
    mkdirSync(join(copy, 'node_modules'), { recursive: true });
    // What the package publishes (its package.json `files`: dist/, and e.g. @dl/data's tokenizer/), as a user gets it.
    const files = (JSON.parse(readFileSync(join(live, 'package.json'), 'utf8')) as { files?: string[] }).files ?? ['dist'];
    for (const entry of files) if (existsSync(join(live, entry))) cpSync(join(live, entry), join(copy, entry), { recursive: true });
    cpSync(join(live, 'package.json'), join(copy, 'package.json'));
    const modules = join(live, 'node_modules');
    for (const entry of existsSync(modules) ? readdirSync(modules) : []) {
      if (entry === '.bin') continue;
      if (entry !== '@dl') {
        symlinkSync(join(modules, entry), join(copy, 'node_modules', entry));
        continue;
      }
      mkdirSync(join(copy, 'node_modules', '@dl'));
      for (const dep of readdirSync(join(modules, '@dl'))) {
        if (LIVE_PACKAGES.includes(dep)) {
          symlinkSync(join(ROOT, 'packages', dep), join(copy, 'node_modules', '@dl', dep));
          continue;
        }
        if (!DL_PACKAGES.includes(dep)) throw new Error(`@dl/${pkg} depends on @dl/${dep}, which the benchmark does not copy`);
        symlinkSync(join(dir, dep), join(copy, 'node_modules', '@dl', dep));
      }
    }
  }
}

/**
 * The dl side's scripts (bench/dl/*.ts and what they import) compiled to JavaScript in `dir`, run with plain `node` as
 * a user runs dl's compiled packages and CLI: under tsx, TypeScript's loader (a second V8 isolate on its own thread)
 * adds ~60 MB to every process's RSS (363 vs 425 MB after importing dl and running one op, measured), which the Keras
 * side, plain Python, does not carry.
 */
function compileDlSide(dir: string): void {
  execFileSync(
    join(ROOT, 'node_modules', '.bin', 'tsc'),
    [
      '-p',
      join(BENCH, 'tsconfig.json'),
      '--noEmit',
      'false',
      '--outDir',
      dir,
      '--rootDir',
      BENCH,
      '--sourceMap',
      'false',
      '--incremental',
      'false',
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
}

/** Modification time of the newest compiled file of the dl packages: a change during the run means dl was rebuilt. */
function newestBuild(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const pkg of DL_PACKAGES) {
    const dist = join(ROOT, 'packages', pkg, 'dist');
    if (existsSync(dist)) walk(dist);
  }
  return newest;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);
  if (options.md) checkReplaceable(resolve(options.md)); // before the run, not after it
  const started = new Date();
  const stamp = started
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d+Z$/, 'Z');
  const outDir = join(BENCH, 'out');
  const specDir = join(outDir, 'specs');
  mkdirSync(specDir, { recursive: true });

  if (options.build) {
    log('Building dl (tsc -b)…');
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-b'], { cwd: ROOT, stdio: 'inherit' });
  }
  if (!existsSync(join(ROOT, 'packages', 'core', 'dist', 'index.js')))
    throw new Error('dl is not built (packages/core/dist is missing): run `npx tsc -b`, or pass --build');
  const buildAtStart = newestBuild();
  const stale = staleDist();
  if (stale.length)
    log(
      `warning: ${stale.length} dl source file(s) are newer than their build (e.g. ${stale[0]}); pass --build to measure the current sources`,
    );

  const snapshot = join(outDir, `dl-${stamp}`);
  snapshotDl(snapshot);
  compileDlSide(join(snapshot, 'bench'));
  try {
    await measure(options, argv, { started, stamp, outDir, specDir, snapshot, buildAtStart });
  } finally {
    rmSync(snapshot, { recursive: true, force: true });
  }
}

interface RunContext {
  started: Date;
  stamp: string;
  outDir: string;
  specDir: string;
  /** The run's copy of dl's compiled packages. */
  snapshot: string;
  buildAtStart: number;
}

async function measure(
  options: Options,
  argv: string[],
  { started, stamp, outDir, specDir, snapshot, buildAtStart }: RunContext,
): Promise<void> {
  const machine = machineInfo(ROOT);
  const mdPath = reportPath(options, machine.kind, outDir, stamp);
  const python = ensureVenv(ROOT, log);
  const timeoutMs = (options.quick ? 5 : 30) * 60_000;
  const env = {
    DL_REQUIRE_NATIVE: '1',
    DL_BENCH_PACKAGES: snapshot,
    TF_CPP_MIN_LOG_LEVEL: '2',
    CUDA_VISIBLE_DEVICES: '',
    PYTHONUNBUFFERED: '1',
  };
  const child = (command: string, args: string[]) => runChild(command, args, { cwd: ROOT, env, timeoutMs, echo: options.verbose });
  // The dl side runs compiled (compileDlSide), with plain node: `dl/x.ts` runs `<snapshot>/bench/dl/x.js`.
  const ts = (script: string, args: string[]) =>
    child(process.execPath, [join(snapshot, 'bench', script.replace(/\.ts$/, '.js')), ...args]);

  log(`dl vs Keras 3 on ${machine.cpu}, ${machine.logicalCpus} CPUs, load ${machine.loadAverage.start.toFixed(2)}`);

  // The networks, as dl builds them; the Keras scripts mirror them from these specs.
  const described = await ts('dl/describe.ts', ['--out', specDir, '--workloads', options.workloads.join(',')]);
  const specs = lastJsonLine<Record<WorkloadName, { source: string; networks: Record<string, NetworkSummary> }>>(described.stdout);
  if (described.code !== 0 || !specs) throw new Error(`bench/dl/describe.ts failed: ${failure(described)}`);

  const measurePeak = async (): Promise<PeakMeasurement | null> => {
    const r = await ts('dl/peak.ts', ['--size', '2048', '--repeats', options.quick ? '3' : '10']);
    const p = r.code === 0 ? lastJsonLine<PeakMeasurement>(r.stdout) : undefined;
    if (!p) log(`warning: the matmul peak was not measured: ${failure(r)}`);
    else log(`Peak: 2048×2048 float32 matMul, best ${p.bestGflops.toFixed(1)} GFLOP/s (median ${p.medianGflops.toFixed(1)})`);
    return p ?? null;
  };
  const peakStart = await measurePeak();

  const runs = new Map<WorkloadName, RunRecord[]>(options.workloads.map((w) => [w, []]));
  const dlVersions: Record<string, string | null> = {};
  const kerasVersions: Record<string, string> = {};
  for (let round = 0; round < options.rounds; round++) {
    // Alternate which side goes first, so a trend in the machine's load does not favour one side.
    const order: Side[] = round % 2 === 0 ? ['dl', 'keras'] : ['keras', 'dl'];
    for (const name of options.workloads) {
      const w = WORKLOADS[name];
      const length = options.quick ? w.quick : w;
      const args = ['--steps', String(length.steps), '--batch-size', String(w.batchSize), '--warmup', String(length.warmup)];
      for (const side of order) {
        const spec = ['--spec', join(specDir, `${name}.json`)];
        const r =
          side === 'dl'
            ? await ts(`dl/${name}.ts`, [...args, ...spec])
            : await child(python, [join(BENCH, 'keras', `${name}.py`), ...spec, ...args]);
        const out = r.code === 0 ? lastJsonLine<Record<string, unknown>>(r.stdout) : undefined;
        const record: RunRecord = out
          ? {
              round,
              side,
              ok: true,
              samplesPerSecond: out.samplesPerSecond as number,
              peakRssMb: out.peakRssMb as number,
              seconds: out.seconds as number,
              wallSeconds: r.wallSeconds,
              params: out.params as number,
              ...(out.kernels ? { kernels: out.kernels as RunRecord['kernels'] } : {}),
              ...(out.jitCompile !== undefined ? { jitCompile: out.jitCompile as boolean } : {}),
            }
          : { round, side, ok: false, wallSeconds: r.wallSeconds, error: failure(r) };
        if (out) Object.assign(side === 'dl' ? dlVersions : kerasVersions, out.versions);
        runs.get(name)!.push(record);
        const label = `[round ${round + 1}/${options.rounds}] ${name.padEnd(10)} ${side.padEnd(5)}`;
        log(
          record.ok
            ? `${label} ${record.samplesPerSecond!.toFixed(1).padStart(9)} samples/s  peak RSS ${record.peakRssMb!.toFixed(0)} MB  (${r.wallSeconds.toFixed(0)} s)`
            : `${label} FAILED: ${record.error}`,
        );
      }
    }
  }
  const peakEnd = options.quick ? null : await measurePeak(); // once is enough for a smoke test
  const rebuilt = newestBuild() !== buildAtStart;
  if (rebuilt) log("note: dl's packages/*/dist changed during the run; the run measured the copy made at its start");
  machine.loadAverage.end = os.loadavg()[0]!;
  const peakGflops = Math.max(peakStart?.bestGflops ?? 0, peakEnd?.bestGflops ?? 0) || null;

  const workloads: WorkloadResult[] = options.workloads.map((name) => {
    const w = WORKLOADS[name];
    const spec = specs[name];
    const list = runs.get(name)!;
    const macs = Object.values(spec.networks).reduce((s, n) => s + n.forwardMacs, 0);
    const flopsPerSample = w.flopFactor === null ? null : 2 * macs * w.flopFactor;
    const params = Object.values(spec.networks).reduce((s, n) => s + n.params, 0);
    const notes = list
      .filter((r) => r.ok && r.params !== params)
      .map((r) => `${r.side} round ${r.round + 1} reported ${r.params} parameters, dl's spec ${params}`);
    return {
      ...workloadShell(w, options.quick ? w.quick : w),
      source: spec.source,
      networks: spec.networks,
      flopsPerSample,
      runs: list,
      dl: summarizeSide(
        list.filter((r) => r.side === 'dl'),
        flopsPerSample,
        peakGflops,
      ),
      keras: summarizeSide(
        list.filter((r) => r.side === 'keras'),
        flopsPerSample,
        peakGflops,
      ),
      ratio: ratios(list, options.rounds),
      notes,
    };
  });
  const results: Results = {
    date: started.toISOString(),
    command: commandLine(argv),
    quick: options.quick,
    rounds: options.rounds,
    machine,
    versions: { dl: dlVersions, keras: kerasVersions },
    peak: { start: peakStart, end: peakEnd, gflops: peakGflops },
    workloads,
    failures: workloads.reduce((s, w) => s + w.runs.filter((r) => !r.ok).length, 0),
    rebuiltDuringRun: rebuilt,
  };

  const jsonPath = join(outDir, `results-${stamp}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  // The run this one replaces moves under "Earlier runs" (reportPath checked that the file is a bench report).
  const report = markdown(results);
  writeFileSync(mdPath, existsSync(mdPath) ? withEarlierRuns(report, readFileSync(mdPath, 'utf8')) : report);
  log('');
  log(consoleTable(results));
  log('');
  log(`dl ÷ Keras above 1: dl is faster. Wrote ${relative(process.cwd(), jsonPath)} and ${relative(process.cwd(), mdPath)}.`);
  if (results.failures) {
    log(`${results.failures} run(s) failed; see the report.`);
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (err) {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
