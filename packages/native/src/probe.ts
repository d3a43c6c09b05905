/**
 * `node dist/probe.js <tfjs-node folder>`: loads that tfjs-node and prints one JSON line, what setup.ts's
 * `probeTfjsNode` reads. Run in a child process, so a crashing addon cannot take the setup down with it.
 */
import { checkCapabilities, type TfjsNode } from './capabilities.js';
import { loadTfjsNode } from './tfjs-node-dir.js';

const tf = loadTfjsNode<TfjsNode & { getBackend(): string; add(a: unknown, b: unknown): { dataSync(): ArrayLike<number> } }>(
  process.argv[2],
);
const sum = Array.from(tf.add(tf.tensor([1, 2], [2]), tf.tensor([1, 1], [2])).dataSync());
if (tf.getBackend() !== 'tensorflow' || sum.join() !== '2,3')
  throw new Error(`tfjs-node runs on '${tf.getBackend()}' and computes [1,2]+1 = [${sum}]`);
const binding = (tf.backend() as { binding: { TF_Version: string } }).binding;
process.stdout.write(`${JSON.stringify({ loads: true, tensorflowVersion: binding.TF_Version, capabilities: checkCapabilities(tf) })}\n`);
