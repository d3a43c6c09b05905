/**
 * Writes the spec of each workload's networks (bench/keras/common.py builds the same networks in Keras from it) to
 * `<out>/<workload>.json`, and prints one JSON line: per workload, its source, parameter count, forward multiply-adds
 * per sample and a one-line summary of each network.
 * Usage: npx tsx bench/dl/describe.ts --out DIR [--workloads cnn-train,lstm-train]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isWorkloadName, WORKLOAD_NAMES } from '../workloads.js';
import { requireNativeBackend } from './common.js';
import { build, describe } from './networks.js';

const { values } = parseArgs({ options: { out: { type: 'string' }, workloads: { type: 'string', default: WORKLOAD_NAMES.join(',') } } });
if (!values.out) throw new Error('--out DIR is required');
requireNativeBackend();
mkdirSync(values.out, { recursive: true });
const summary: Record<string, unknown> = {};
for (const name of values.workloads!.split(',')) {
  if (!isWorkloadName(name)) throw new Error(`unknown workload '${name}'; valid: ${WORKLOAD_NAMES.join(', ')}`);
  const spec = describe(name, build(name));
  const file = join(values.out, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(spec, null, 2)}\n`);
  summary[name] = {
    file,
    source: spec.source,
    networks: Object.fromEntries(
      Object.entries(spec.networks).map(([role, n]) => [
        role,
        { params: n.params, forwardMacs: n.forwardMacs, summary: n.summary, inputShape: n.inputShape },
      ]),
    ),
  };
}
process.stdout.write(`${JSON.stringify(summary)}\n`);
