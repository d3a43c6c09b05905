// Loads an export with plain @tensorflow/tfjs on its pure-JS CPU backend (no tfjs-node, no dl), as a web page does:
// `tf.loadLayersModel(url)`, the files served by a fetch function that reads them from the export folder. Reads
// `{ dir, data, shape, dtype }` as JSON on stdin; writes `{ backend, predictions, shape }` as JSON on stdout.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { dir, data, shape, dtype } = JSON.parse(Buffer.concat(chunks).toString('utf8'));

await tf.setBackend('cpu');
const fetchFunc = async (url) => {
  const name = new URL(url).pathname.slice(1);
  return new Response(await readFile(join(dir, name)), { status: 200 });
};
const model = await tf.loadLayersModel('http://export.local/model.json', { fetchFunc });
const output = model.predict(tf.tensor(data, shape, dtype));
process.stdout.write(JSON.stringify({ backend: tf.getBackend(), predictions: Array.from(await output.data()), shape: output.shape }));
