import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { makeFolder } from '../make-folder.js';
import { dirname, resolve } from 'node:path';
import { Callback, type Logs } from './callback.js';
import { OptionError } from '../errors/option-error.js';

export interface CSVLoggerOptions {
  /** The CSV file to write; its folder is created if missing. */
  filename: string;
  /** Column separator. Default `','`. */
  separator?: string;
  /**
   * Continue an existing file: rows are added after its rows, under its header, which is not repeated (columns come
   * from that header). Otherwise the file is emptied when training begins. Default false.
   */
  append?: boolean;
}

/**
 * Writes each epoch's logs as a CSV row, as Keras's CSVLogger: a header `epoch` then the log names in alphabetical
 * order (taken from the first epoch), then one row per epoch, with the epoch counted from 0. A value missing from an
 * epoch's logs is written `NA`; names that were not in the header are left out. Every row is appended to the file as
 * soon as its epoch ends, so a run that is killed keeps the rows of its finished epochs.
 *
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 10, callbacks: [new CSVLogger({ filename: 'runs/training.csv' })] });
 * // runs/training.csv:
 * // epoch,accuracy,loss
 * // 0,0.81,0.45
 * // 1,0.9,0.31
 * ```
 */
export class CSVLogger extends Callback {
  readonly filename: string;
  readonly separator: string;
  readonly append: boolean;
  /** The columns after `epoch`, once known. */
  private keys: string[] | undefined;
  private writeHeader = true;
  /** Whether the file ends in the middle of a line (a row cut short by a crash), which the next row must not extend. */
  private needsNewline = false;

  constructor(options: CSVLoggerOptions) {
    super();
    if (typeof options?.filename !== 'string' || options.filename === '')
      throw new OptionError('CSVLogger: filename must be a non-empty string');
    this.filename = resolve(options.filename);
    this.separator = options.separator ?? ',';
    this.append = options.append ?? false;
    if (this.separator === '' || /["\r\n]/.test(this.separator)) {
      throw new OptionError(
        `CSVLogger: separator must be a non-empty string without quotes or line breaks, got ${JSON.stringify(this.separator)}`,
      );
    }
  }

  override async onTrainBegin(): Promise<void> {
    this.keys = undefined;
    this.writeHeader = true;
    this.needsNewline = false;
    await makeFolder(dirname(this.filename));
    if (!this.append) {
      await writeFile(this.filename, '');
      return;
    }
    const existing = await readFile(this.filename, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const header = existing.split(/\r?\n/, 1)[0] ?? '';
    if (header === '') return;
    const columns = parseRow(header, this.separator);
    this.keys = columns[0] === 'epoch' ? columns.slice(1) : columns;
    this.writeHeader = false;
    this.needsNewline = !existing.endsWith('\n');
  }

  override async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    this.keys ??= Object.keys(logs).sort();
    let text = this.needsNewline ? '\n' : '';
    if (this.writeHeader) text += this.row(['epoch', ...this.keys]);
    text += this.row([String(epoch), ...this.keys.map((k) => (logs[k] === undefined ? 'NA' : String(logs[k])))]);
    await appendFile(this.filename, text);
    this.writeHeader = false;
    this.needsNewline = false;
  }

  private row(fields: string[]): string {
    return `${fields.map((f) => (f.includes(this.separator) || /["\r\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f)).join(this.separator)}\n`;
  }
}

/** Splits one CSV line, honouring double-quoted fields. */
function parseRow(line: string, separator: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (line.startsWith(separator, i)) {
      fields.push(field);
      field = '';
      i += separator.length - 1;
    } else field += ch;
  }
  fields.push(field);
  return fields;
}
