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
