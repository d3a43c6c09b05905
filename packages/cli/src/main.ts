import { Command, CommanderError, Option } from 'commander';
import { ModelFileError, OptionError, ShapeError } from '@dl/core/errors';
import { DatasetError } from '@dl/data';
import { fsErrorMessage } from './fs-error.js';
import { nonNegativeInteger, nonNegativeNumber, port, positiveInteger, positiveNumber } from './parse-options.js';
import { UsageError } from './usage-error.js';

/** Exit code of usage errors and bad input (a bad flag, an unknown preset, a corrupt dataset file). */
const EXIT_USAGE = 2;

const program = new Command('dl')
  .description("Keras-style deep learning for TypeScript on TensorFlow's native kernels")
  .option('--verbose', 'print stack traces with errors')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

// Commands import the engine lazily: `dl --help` should not wait for TensorFlow to load.
program
  .command('train')
  .description('train a preset on its default dataset, evaluate on the test split, save model, history.json and metrics.json')
  .argument('[preset]', 'preset name (see `dl list`); omit with --resume')
  .option('--epochs <n>', "epochs to train (default: the preset's)", positiveInteger)
  .option('--batch-size <n>', "samples per gradient step (default: the preset's)", positiveInteger)
  .option('--limit <n>', 'train on the first N training samples only', positiveInteger)
  .option('--learning-rate <x>', "peak learning rate of the preset's schedule (default: the preset's)", positiveNumber)
  .option('--seed <n>', 'random seed for reproducible initialisation and shuffling', nonNegativeInteger)
  .option('--out <dir>', 'output folder, new or empty: dl never writes over files it did not write (default: runs/<preset>-<timestamp>)')
  .option('--data-dir <dir>', 'read the dataset files from this folder only')
  .option(
    '--resume <dir>',
    'continue a stopped run from its last checkpoint, running only the remaining epochs (a finished run: nothing to do, exit 0; --epochs N trains it on)',
  )
  .option('--dp', "differentially private training (DP-SGD) by the preset's DP recipe; ε, δ and the noise go to run.json and metrics.json")
  .option(
    '--target-epsilon <x>',
    "with --dp: calibrate the noise multiplier to reach this ε after all epochs (default: the recipe's, 3)",
    positiveNumber,
  )
  .option('--noise-multiplier <x>', 'with --dp: the noise standard deviation / clipping norm, instead of --target-epsilon', positiveNumber)
  .option('--clip <x>', "with --dp: clip each example's gradient to this L2 norm (default: the recipe's)", positiveNumber)
  .option('--delta <x>', 'with --dp: δ of (ε, δ) (default: the largest power of ten ≤ 1/N)', positiveNumber)
  .option('--json', 'print one JSON line with the results on stdout (progress goes to stderr)')
  .option('--quiet', 'print nothing but errors (and --json output)')
  .action(async (preset: string | undefined, options) => (await import('./commands/train.js')).train(preset, options));

program
  .command('evaluate')
  .description(
    "reload a saved model and evaluate it on its dataset's test split (a GAN: Inception Score and Fréchet distance); an export: also what its quantization cost",
  )
  .argument('<dir>', 'a folder written by `dl train` or `dl export`')
  .option('--data-dir <dir>', 'read the dataset files from this folder only')
  .option('--json', 'print one JSON line with loss and accuracy on stdout')
  .option('--quiet', 'print nothing but errors (and --json output)')
  .option('--samples <n>', 'GAN runs: samples to generate and real test images to score (default 10000)', positiveInteger)
  .option('--seed <n>', 'GAN runs: seed of the latent vectors (default 0)', nonNegativeInteger)
  .option(
    '--classifier <dir>',
    'GAN runs: the MNIST classifier to score with (default: a cnn cached in the datasets folder, trained on first use)',
  )
  .option(
    '--membership-inference',
    'also run the loss-threshold membership-inference attack (training members vs test non-members) and print its AUC',
  )
  .action(async (dir: string, options) => (await import('./commands/evaluate.js')).evaluate(dir, options));

program
  .command('predict')
  .description('classify a text with a model trained by a text preset (lstm, text-classifier): probability and label')
  .argument('<dir>', 'a folder written by `dl train` with a text preset, or its `dl export`')
  .option('--text <text>', 'the text to classify, e.g. a movie review')
  .option('--file <path>', "read the text to classify from a file ('-': standard input), e.g. a long review")
  .option('--json', "print one JSON line with probability and label ('positive' or 'negative') on stdout")
  .option('--quiet', 'print nothing but errors (and --json output)')
  .action(async (dir: string, options) => (await import('./commands/predict.js')).predict(dir, options));

program
  .command('explain')
  .description(
    'why a trained classifier decided as it did: an image model writes a PNG (input | heatmap | overlay), a text model colours the words by attribution',
  )
  .argument('<dir>', 'a folder written by `dl train` with cnn, lstm or text-classifier')
  .option(
    '--method <name>',
    'ig (Integrated Gradients, default), smoothgrad, gradxinput (gradient × input) or gradcam (convolutional models)',
  )
  .option('--index <n>', 'image models: the test-split image to explain', nonNegativeInteger)
  .option('--image <file>', "image models: a PNG to explain (grayscale, resized to the model's input; MNIST digits are white on black)")
  .option('--out <file>', 'image models: the PNG to write, new (default: explain-<image>-<method>.png here)')
  .option('--text <text>', 'text models: the text to explain, e.g. a movie review')
  .option('--html <file>', 'text models: also write the coloured words as an HTML page (a new file)')
  .option('--target <n>', 'the class to explain (default: the predicted one; text models: 0, scores toward positive)', nonNegativeInteger)
  .option(
    '--steps <n>',
    'ig: interpolation steps (default 64, doubled while the scores miss f(x) − f(baseline) by over 1%)',
    positiveInteger,
  )
  .option('--data-dir <dir>', 'read the dataset files from this folder only (--index)')
  .option('--json', 'print one JSON line (text: tokens with scores; image: predicted class and the file) on stdout')
  .option('--quiet', 'print nothing but errors (and --json output)')
  .action(async (dir: string, options) => (await import('./commands/explain.js')).explain(dir, options));

program
  .command('generate')
  .description('sample images from a trained GAN: a PNG grid, or the raw samples (in [-1, 1]) as .json or .npy')
  .argument('<dir>', 'a folder written by `dl train gan` (or its generator/ folder)')
  .option('--n <n>', 'samples to generate (default 64, at most 10,000)', positiveInteger)
  .option('--seed <n>', 'seed of the latent vectors, for the same samples every time', nonNegativeInteger)
  .option('--out <file>', 'output file: .png (a grid), .json or .npy')
  .option('--json', 'print one JSON line describing the output on stdout')
  .option('--quiet', 'print nothing but errors (and --json output)')
  .action(async (dir: string, options) => (await import('./commands/generate.js')).generate(dir, options));

program
  .command('export')
  .description(
    'export a trained model for the web and for servers (TF.js layers format without optimizer state, optionally quantized, with dl-model.json; text presets: vocabulary.json and tokenizer.js), or for Keras 3 (--format keras)',
  )
  .argument('<dir>', 'a folder written by `dl train` (a GAN run exports its generator; with --format keras, both networks)')
  .option(
    '--out <path>',
    'tfjs: the export folder, new or empty; keras: the new .keras file (a GAN run: a new or empty folder for generator.keras and discriminator.keras). dl never writes over files it did not write',
  )
  .addOption(
    new Option(
      '--format <format>',
      'tfjs: TF.js web layout (default); keras: a Keras 3 .keras file that keras.saving.load_model opens, with compile settings and Adam state',
    )
      .choices(['tfjs', 'keras'])
      .default('tfjs'),
  )
  .addOption(
    new Option(
      '--quantize <dtype>',
      "quantize the weights as TF.js's converter does: float16 (half the size) or uint8 (a quarter)",
    ).choices(['float16', 'uint8']),
  )
  .option('--web', 'add a static web page that runs the model in the browser (index.html, app.js, TensorFlow.js)')
  .option('--json', 'print one JSON line describing the export on stdout')
  .option('--quiet', 'print nothing but errors (and --json output)')
  .action(async (dir: string, options) => (await import('./commands/export.js')).exportCommand(dir, options));

program
  .command('serve')
  .description(
    "serve models over TensorFlow Serving's REST API (POST /v1/models/NAME:predict), batching concurrent requests; SIGTERM finishes the requests in flight, then exits 0",
  )
  .argument('<dirs...>', 'folders written by `dl train` (a model is named after its folder; NAME=DIR names it NAME)')
  .option('--port <n>', "port to listen on (default 8501, TF Serving's REST port; 0: any free port)", port)
  .option('--host <address>', 'address to bind (default 127.0.0.1: this machine only; 0.0.0.0: every interface)')
  .option('--max-batch-size <n>', 'most instances run through a model at once (default 64)', positiveInteger)
  .option(
    '--batch-timeout-ms <t>',
    'longest wait of a batch that is not full, in ms (default 2; 0: only requests already received)',
    nonNegativeNumber,
  )
  .option('--no-batching', 'run every request on its own, as it arrives')
  .option('--max-body <bytes>', 'largest request body accepted; larger ones get 413 (default 8388608: 8 MB)', positiveInteger)
  .option('--json', 'print one JSON line with the URL and the models on stdout once listening')
  .option('--quiet', 'print nothing but errors (and --json output)')
  .action(async (dirs: string[], options) => (await import('./commands/serve.js')).serve(dirs, options));

program
  .command('import')
  .description('read a Keras .keras or .h5 file (architecture and weights) into a dl model folder that loadModel and `dl summary` read')
  .argument(
    '<file>',
    'a .keras file written by Keras 3 (model.save("model.keras")), or a legacy .h5 file of Keras 2 or 3 (model.save("model.h5"))',
  )
  .option('--out <dir>', 'the model folder, new or empty: dl never writes over files it did not write')
  .option('--json', 'print one JSON line describing the import on stdout')
  .option('--quiet', 'print nothing but errors (and --json output)')
  .action(async (file: string, options) => (await import('./commands/import.js')).importCommand(file, options));

program
  .command('summary')
  .description("print the layer table of a preset's network or of a saved model")
  .argument('<preset-or-dir>', 'a preset name (see `dl list`) or a folder holding model.json')
  .action(async (target: string) => (await import('./commands/summary.js')).summary(target));

program
  .command('list')
  .description('list the presets with their datasets and default hyper-parameters')
  .option('--json', 'print JSON')
  .action(async (options) => (await import('./commands/list.js')).list(options));

program
  .command('setup')
  .description("build TensorFlow's native kernels for dl (what its install does; run it when `dl info` says they are missing)")
  .option('--json', 'print one JSON line with the result (ok, tensorflowVersion, capabilities, reason)')
  .action(async (options) => (await import('./commands/setup.js')).setup(options));

program
  .command('info')
  .description('say which backend runs: native TensorFlow kernels or the slow pure-JS fallback, and why')
  .addOption(new Option('--json', 'print JSON with backend, tensorflowVersion, tfjsVersion, graphExecution and the reasons'))
  .action(async (options) => (await import('./commands/info.js')).info(options));

program
  .command('privacy')
  .description(
    "the privacy DP-SGD spends: ε for a noise multiplier, or the noise multiplier for a target ε (as TensorFlow Privacy's compute_dp_sgd_privacy)",
  )
  .requiredOption('--dataset-size <n>', 'training examples N', positiveInteger)
  .requiredOption('--batch-size <n>', 'expected batch size B (sampling rate q = B / N)', positiveInteger)
  .requiredOption('--epochs <x>', 'epochs E (steps = ⌈E · N / B⌉)', positiveNumber)
  .option('--noise-multiplier <x>', 'noise standard deviation / clipping norm: prints ε', positiveNumber)
  .option('--target-epsilon <x>', 'prints the smallest noise multiplier reaching this ε', positiveNumber)
  .option('--delta <x>', 'δ of (ε, δ) (default 1/N)', positiveNumber)
  .addOption(
    new Option(
      '--conversion <name>',
      "RDP → (ε, δ): improved (dp_accounting's, default) or classic (TensorFlow Privacy's tutorials)",
    ).choices(['improved', 'classic']),
  )
  .option('--json', 'print one JSON line with epsilon, delta, noiseMultiplier, samplingRate, steps, order')
  .action(async (options) => (await import('./commands/privacy.js')).privacy(options));

program
  .command('bench')
  .description('benchmark dl against Keras 3 on TensorFlow CPU (runs bench/run.ts of a dl checkout, as `pnpm bench`)')
  .option('--workloads <list>', 'comma-separated: cnn-train, cnn-infer, lstm-train, text-train, gan-train (default: all)')
  .option('--rounds <n>', 'dl/Keras pairs per workload (default 3; 1 with --quick)', positiveInteger)
  .option('--quick', 'short runs: a smoke test of both sides')
  .option('--build', 'run `tsc -b` first, so the measured dl matches its sources')
  .option('--md <file>', 'where to write the Markdown report (default bench/results-<cpu kind>.md, e.g. results-amd-epyc.md)')
  .action(async (options, command: Command) =>
    (await import('./commands/bench.js')).bench({ ...options, verbose: command.parent?.opts<{ verbose?: boolean }>().verbose }),
  );

function fail(err: unknown): never {
  if (err instanceof CommanderError) {
    // commander has printed the message already; help and --version are not failures.
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
  }
  const verbose = program.opts<{ verbose?: boolean }>().verbose || process.argv.includes('--verbose');
  const error = err instanceof Error ? err : new Error(String(err));
  const fsMessage = fsErrorMessage(error);
  const message = verbose && error.stack ? error.stack : (fsMessage ?? error.message);
  process.stderr.write(`error: ${message}\n`);
  process.exit(fsMessage !== undefined || isBadInput(error) ? EXIT_USAGE : 1);
}

/**
 * Errors the user can fix by changing their command or their files, rather than bugs. `@dl/core/errors` holds only
 * the error classes: importing it does not load TensorFlow, so `dl --help` stays fast.
 */
function isBadInput(error: Error): boolean {
  if (error instanceof UsageError || error instanceof DatasetError) return true;
  // A NativeError (no native backend) is the installation's to fix (`dl setup`), not the command's: exit 1.
  return error instanceof ModelFileError || error instanceof ShapeError || error instanceof OptionError;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  fail(err);
}
