import { InvalidArgumentError } from 'commander';

/** commander parser for options like `--epochs N`: a whole number ≥ 1. */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a whole number ≥ 1, got '${value}'.`);
  }
  return n;
}

/** commander parser for options like `--learning-rate X`: a finite number > 0 (e.g. 0.001 or 1e-3). */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a number > 0 (e.g. 1e-3), got '${value}'.`);
  return n;
}

/** commander parser for `--seed N`: any whole number ≥ 0. */
export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(`expected a whole number ≥ 0, got '${value}'.`);
  return n;
}

/** commander parser for `--batch-timeout-ms T`: a finite number ≥ 0. */
export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got '${value}'.`);
  return n;
}

/** commander parser for `--port N`: 0 (any free port) to 65535. */
export function port(value: string): number {
  const n = nonNegativeInteger(value);
  if (n > 65535) throw new InvalidArgumentError(`expected a port number from 0 to 65535, got '${value}'.`);
  return n;
}
