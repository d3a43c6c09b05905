/**
 * HTTP load on `dl serve` over loopback with autocannon: single-image predictions of a cnn run, with batching on and
 * off; prints requests/s, latency p50/p99 and errors for each, and the machine, as one JSON line per mode.
 *
 *   npx tsx bench/serve-load.ts [--model runs/cnn-…] [--connections 64] [--duration 30] [--modes batching,no-batching]
 *                               [--serve-args="--max-batch-size 64 --batch-timeout-ms 2"]
 *
 * Without --model, it trains a small cnn first (`dl train cnn --limit 2000 --epochs 1`, ~15 s: the speed of a
 * prediction does not depend on how well the model was trained). The server is the real `dl serve` (the compiled
 * dist/: run `npx tsc -b` first), in its own process; autocannon runs here, on the same 2 cores.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
// bench/ is not a workspace package: dl's packages by path (their compiled dist/), as bench/dl/dl.ts does.
import { mnist } from '../packages/data/dist/index.js';
import { machineInfo } from './lib/machine.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DL = join(ROOT, 'packages/cli/bin/dl.js');

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    connections: { type: 'string', default: '64' },
    duration: { type: 'string', default: '30' },
    modes: { type: 'string', default: 'batching,no-batching' },
    'serve-args': { type: 'string', default: '' },
  },
});

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'dl-serve-load-'));
  try {
    const model = args.model ?? trainSmallCnn(scratch);
    // One real MNIST test image, scaled to [0, 1] as the model takes it.
    const [, [xTest]] = await mnist.loadData();
    const image = Array.from({ length: 28 }, (_, r) => Array.from({ length: 28 }, (_, c) => xTest.data[r * 28 + c]! / 255));
    const body = JSON.stringify({ instances: [image] });
    const machine = machineInfo(ROOT);
    for (const mode of args.modes.split(',')) {
      const extra = [...(mode === 'no-batching' ? ['--no-batching'] : []), ...args['serve-args'].split(' ').filter(Boolean)];
      const server = await startServer(model, extra);
      try {
        const result = await autocannon({
          url: `${server.url}/v1/models/cnn:predict`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          connections: Number(args.connections),
          duration: Number(args.duration),
        });
        console.log(
          JSON.stringify({
            mode,
            serveArgs: extra.join(' '),
            connections: result.connections,
            durationSeconds: result.duration,
            requestsPerSecond: result.requests.average,
            latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
            requests: result.requests.total,
            errors: result.errors,
            timeouts: result.timeouts,
            non2xx: result.non2xx,
            cpu: `${machine.cpu}, ${machine.logicalCpus} logical CPUs`,
            node: machine.node,
            dl: machine.dl.commit,
          }),
        );
      } finally {
        await stopServer(server.child);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function trainSmallCnn(scratch: string): string {
  const out = join(scratch, 'cnn');
  process.stderr.write('training a small cnn to serve (dl train cnn --limit 2000 --epochs 1)…\n');
  const r = spawnSync(process.execPath, [DL, 'train', 'cnn', '--limit', '2000', '--epochs', '1', '--out', out, '--quiet'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`dl train cnn failed (exit ${r.status})`);
  return out;
}

/** `dl serve cnn=MODEL --port 0 --json …extra`, resolved with its URL once it listens. */
function startServer(model: string, extra: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [DL, 'serve', `cnn=${model}`, '--port', '0', '--json', ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) resolvePromise({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.on('exit', (code) => reject(new Error(`dl serve exited (code ${code}) before listening`)));
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

await main();
