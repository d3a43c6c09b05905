import { join, resolve } from 'node:path';
import type { WeightQuantization } from '@dl/core';
import { exportModel } from '@dl/models';
import { makeOutput } from '../output.js';
import { UsageError } from '../usage-error.js';

export interface ExportCommandOptions {
  out?: string;
  quantize?: WeightQuantization;
  /** Add the static web page for the model (web-site.ts). */
  web?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/**
 * `dl export DIR --out OUT [--quantize float16|uint8]`: the model of a run folder in TF.js's web layout, with
 * dl-model.json (and, for text presets, vocabulary.json and tokenizer.js) — see @dl/models export/export-model.ts;
 * `--web` adds a static page that runs the model in the browser (web-site.ts).
 */
export async function exportCommand(dir: string, options: ExportCommandOptions): Promise<void> {
  if (options.out === undefined) throw new UsageError('--out OUT is required: the new or empty folder to export into');
  const out = makeOutput(options);
  const addFiles = options.web ? (await import('../web-site.js')).writeWebSite : undefined;
  const result = await exportModel(resolve(dir), resolve(options.out), { quantize: options.quantize, addFiles });
  const { meta } = result;
  out.info(
    `Exported ${meta.preset} (${meta.kind}, ${meta.parameters.toLocaleString('en-US')} parameters, ${meta.quantization}) to ${result.dir}:`,
  );
  for (const file of result.files) out.info(`  ${file.name.padEnd(24)}${file.bytes.toLocaleString('en-US').padStart(14)} bytes`);
  const total = result.files.reduce((n, f) => n + f.bytes, 0);
  out.info(`  ${'total'.padEnd(24)}${total.toLocaleString('en-US').padStart(14)} bytes`);
  if (options.web) {
    out.info(
      `The web page is ${join(result.dir, 'index.html')}; browsers load models only over HTTP, so serve the folder ` +
        `(\`dl serve ${options.out}\`, or \`python3 -m http.server -d ${options.out}\`) and open the address printed.`,
    );
  }
  out.json({ dir: result.dir, ...meta, files: result.files, totalBytes: total });
}
