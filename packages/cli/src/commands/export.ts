import { join, resolve } from 'node:path';
import type { WeightQuantization } from '@dl/core';
import { exportKeras, exportModel } from '@dl/models';
import { makeOutput } from '../output.js';
import { UsageError } from '../usage-error.js';

export interface ExportCommandOptions {
  out?: string;
  /** `tfjs` (the default: the web layout) or `keras` (Keras 3 .keras files: export-keras.ts). */
  format?: 'tfjs' | 'keras';
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
  if (options.format === 'keras') return exportKerasCommand(dir, options);
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

/**
 * `dl export DIR --format keras --out model.keras`: Keras 3 files (a GAN run: --out is a folder that gets
 * generator.keras and discriminator.keras), see @dl/models export/export-keras.ts.
 */
async function exportKerasCommand(dir: string, options: ExportCommandOptions): Promise<void> {
  if (options.out === undefined) {
    throw new UsageError('--out is required: the new .keras file to write (for a GAN run, a new or empty folder)');
  }
  if (options.quantize !== undefined || options.web) {
    throw new UsageError(`--${options.web ? 'web' : 'quantize'} applies to --format tfjs; a .keras file holds float32 weights for Keras`);
  }
  const out = makeOutput(options);
  const result = await exportKeras(resolve(dir), resolve(options.out));
  out.info(`Exported ${result.preset} (${result.kind}) as Keras 3 to ${result.out}:`);
  for (const file of result.files) {
    const what = `${file.network}${file.compiled ? ', compiled with Adam state' : ''}`;
    out.info(`  ${file.name.padEnd(24)}${file.bytes.toLocaleString('en-US').padStart(14)} bytes  (${what})`);
  }
  out.info(`Open it in Python with keras.saving.load_model(${JSON.stringify(result.files[0]!.path)}).`);
  out.json(result);
}
