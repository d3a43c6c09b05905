/** Where a command's human-readable lines go: stdout normally, stderr when stdout carries `--json`, nowhere with `--quiet`. */
export interface Output {
  /** A line for the user. */
  info(line: string): void;
  /** The one JSON line of `--json`, on stdout. */
  json(value: unknown): void;
  /** Stream for progress bars and dataset notices, or undefined when quiet. */
  progressStream: NodeJS.WriteStream | undefined;
  /** A dataset loader's `log` option: its notices (which source it read) on the progress stream; false when quiet. */
  datasetLog: ((line: string) => void) | false;
}

export function makeOutput(options: { json?: boolean; quiet?: boolean }): Output {
  if (options.quiet) silenceLibraryWarnings();
  const stream = options.json ? process.stderr : process.stdout;
  return {
    info: (line) => {
      if (!options.quiet) stream.write(`${line}\n`);
    },
    json: (value) => {
      if (options.json) process.stdout.write(`${JSON.stringify(value)}\n`);
    },
    progressStream: options.quiet ? undefined : stream,
    datasetLog: options.quiet ? false : (line) => stream.write(`${line}\n`),
  };
}

/**
 * `--quiet` means nothing but errors, but TF.js prints advice with console.warn (e.g. "Orthogonal initializer is being
 * called on a matrix with more than 2000 (16384) elements: Slowness may result." when the lstm preset is built), which
 * is no error and nothing the user can act on. dl's own messages never use console.warn, so it is silenced whole for
 * the rest of this (one-command) process.
 */
function silenceLibraryWarnings(): void {
  console.warn = () => {};
}
