/**
 * The Keras side's Python environment, bench/.venv (git-ignored), made on first use with the machine's pip
 * configuration from the pinned bench/requirements.txt. `--retries 0 --timeout 5` make an unreachable index fail fast
 * instead of retrying for minutes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const VENV_COMMAND = 'python3 -m venv bench/.venv && bench/.venv/bin/pip install --retries 0 --timeout 5 -r bench/requirements.txt';

/**
 * Written once tensorflow and keras import, holding the requirements installed: an interrupted install is redone
 * rather than trusted, and a venv made from other pins is brought to the current ones.
 */
const READY_MARKER = '.dl-bench-ready';

export interface PythonVersions {
  python: string;
  tensorflow: string;
  keras: string;
}

/**
 * bench/.venv/bin/python, ready with tensorflow-cpu and Keras 3: creates the venv when it has not been completed yet,
 * then checks that both import (once; importing TensorFlow takes seconds, and the scripts report their versions).
 */
export function ensureVenv(root: string, log: (line: string) => void): string {
  const venv = join(root, 'bench', '.venv');
  const python = join(venv, 'bin', 'python');
  const requirements = join(root, 'bench', 'requirements.txt');
  const pins = readFileSync(requirements, 'utf8');
  const marker = join(venv, READY_MARKER);
  if (existsSync(marker) && readFileSync(marker, 'utf8') === pins) return python;
  log(`Setting up the Keras side (once): ${VENV_COMMAND}`);
  if (!existsSync(python)) run('python3', ['-m', 'venv', venv], root);
  run(join(venv, 'bin', 'pip'), ['install', '--retries', '0', '--timeout', '5', '-r', requirements], root);
  const probe = spawnSync(
    python,
    [
      '-c',
      'import json, platform, os; os.environ["TF_CPP_MIN_LOG_LEVEL"]="2"; import tensorflow as tf, keras; print(json.dumps({"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__}))',
    ],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', CUDA_VISIBLE_DEVICES: '' },
    },
  );
  if (probe.status !== 0) {
    throw new Error(
      `bench/.venv cannot import tensorflow and keras:\n${probe.stderr.trim().split('\n').slice(-5).join('\n')}\nDelete bench/.venv and rerun, or run: ${VENV_COMMAND}`,
    );
  }
  const versions = JSON.parse(probe.stdout.trim().split('\n').pop()!) as PythonVersions;
  if (!versions.keras.startsWith('3.')) throw new Error(`bench/.venv has Keras ${versions.keras}; the benchmark compares against Keras 3`);
  log(`Keras side ready: Python ${versions.python}, TensorFlow ${versions.tensorflow}, Keras ${versions.keras}`);
  writeFileSync(marker, pins);
  return python;
}

function run(command: string, args: string[], cwd: string): void {
  const r = spawnSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    throw new Error(
      `\`${command} ${args.join(' ')}\` failed (${r.error?.message ?? `exit code ${r.status}`}); the Keras side needs: ${VENV_COMMAND}`,
    );
  }
}
