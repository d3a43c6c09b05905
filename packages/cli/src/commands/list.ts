import { PRESETS } from '@dl/models';

/** `dl list`: the presets, their datasets and default hyper-parameters. */
export function list(options: { json?: boolean }): void {
  const rows = Object.values(PRESETS).map((p) => ({ name: p.name, dataset: p.dataset, ...p.defaults, description: p.description }));
  if (options.json) {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return;
  }
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    process.stdout.write(
      `${r.name.padEnd(width)}  ${r.description} [dataset ${r.dataset}, ${r.epochs} epochs, batch ${r.batchSize}, learning rate ${r.learningRate}]\n`,
    );
  }
}
