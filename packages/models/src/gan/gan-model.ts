/**
 * A generative adversarial network as one dl `Model`, as Keras's "DCGAN by overriding train_step": `fit(realImages)`
 * drives an overridden `trainStep` that alternates a generator update and a discriminator update, so the progress
 * bar, callbacks, checkpoints and `dl train --resume` work as for any other model.
 *
 * - `gan.generator` and `gan.discriminator` are ordinary dl Models, each compiled with its own optimizer.
 * - `gan.net` is the discriminator's network: what `fit` feeds real images to, so fit's input-shape checks apply to
 *   them; the generator is the second network the step trains.
 * - `gan.save(dir)` writes `dir/generator/` and `dir/discriminator/`, each a complete TF.js layers model with its own
 *   optimizer's state (moments, step count); `loadGan(dir)` reads both back, compiled, so training resumes exactly.
 *   Either folder also loads on its own with `loadModel`.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  GraphFunction,
  Model,
  hostTensors,
  loadModel,
  opSeed,
  runsInGraph,
  tf,
  type Batch,
  type CompileOptions,
  type Logs,
  type ModelMetadata,
  type Optimizer,
  type SaveOptions,
  type Scalar,
  type Tensor,
  type Variable,
} from '@dl/core';
import { WeightAverage } from './weight-average.js';

export const GENERATOR_DIR = 'generator';
/** The moving average of the generator's weights (GanOptions.emaMomentum), when the run kept one. */
export const GENERATOR_EMA_DIR = 'generator-ema';
export const DISCRIMINATOR_DIR = 'discriminator';

export interface GanCompileOptions {
  /** The discriminator's optimizer, and the generator's too unless `generatorOptimizer` is given. */
  optimizer: CompileOptions['optimizer'];
  generatorOptimizer?: CompileOptions['optimizer'];
}

/** Whether `dir` holds a `GanModel.save`: `dir/generator/model.json` marks one. */
export function isGanSave(dir: string): boolean {
  return existsSync(join(dir, GENERATOR_DIR, 'model.json'));
}

/** The generator of a saved GAN to draw samples from: the moving average (`generator-ema/`) when saved, else `generator/`. */
export function samplingGeneratorDir(dir: string): string {
  return existsSync(join(dir, GENERATOR_EMA_DIR, 'model.json')) ? join(dir, GENERATOR_EMA_DIR) : join(dir, GENERATOR_DIR);
}

export interface GanOptions {
  /**
   * 'nonSaturating' (default): sigmoid cross-entropy on the discriminator's logits, the generator maximising
   * log D(G(z)) (Goodfellow et al.; DCGAN). 'leastSquares': squared distance of the outputs to the targets (LSGAN).
   */
  loss?: 'nonSaturating' | 'leastSquares';
  /** Target for real images in the discriminator's loss; 0.9 is one-sided label smoothing. Default 1. */
  realTarget?: number;
  /**
   * Keep an exponential moving average of the generator's weights with this momentum (e.g. 0.999, Keras's
   * `ema_momentum`), updated after every step, and draw samples from it (`generate`, sample grids, the saved
   * `generator-ema/`): it gives cleaner digits than the last step's weights. Default: no average.
   */
  emaMomentum?: number;
  /** An average to continue, as `loadGan` restores it (its momentum wins over `emaMomentum`). */
  generatorAverage?: WeightAverage;
}

export class GanModel extends Model {
  /** Latent vectors `[n, latentDim]` → images; its last layer's activation sets the image range (tanh: [-1, 1]). */
  readonly generator: Model;
  /** Images → one logit per image (real > 0 > fake); trained with sigmoid cross-entropy on the logits. */
  readonly discriminator: Model;
  /** The moving average of the generator's weights, when kept (GanOptions.emaMomentum). */
  readonly generatorAverage: WeightAverage | undefined;
  private readonly ganLoss: (targets: Tensor, outputs: Tensor) => Scalar;
  /** The discriminator's target for real images (GanOptions.realTarget). */
  readonly realTarget: number;
  /** The training step as a graph function (reset by compile). */
  private trainFunction: GraphFunction | undefined;

  constructor(generator: Model, discriminator: Model, options: GanOptions = {}) {
    super(discriminator.net);
    this.generator = generator;
    this.discriminator = discriminator;
    this.realTarget = options.realTarget ?? 1;
    this.generatorAverage =
      options.generatorAverage ?? (options.emaMomentum === undefined ? undefined : WeightAverage.of(generator, options.emaMomentum));
    this.ganLoss =
      options.loss === 'leastSquares'
        ? (t, o) => tf.losses.meanSquaredError(t, o) as Scalar
        : (t, o) => tf.losses.sigmoidCrossEntropy(t, o) as Scalar;
    const gOut = generator.net.outputs[0]!.shape;
    const dIn = discriminator.net.inputs[0]!.shape;
    if (JSON.stringify(gOut.slice(1)) !== JSON.stringify(dIn.slice(1))) {
      throw new Error(`the generator makes ${JSON.stringify(gOut)} but the discriminator takes ${JSON.stringify(dIn)}`);
    }
    // Already compiled networks (from loadGan) keep their optimizers and state.
    if (discriminator.isCompiled && generator.isCompiled) super.compile({ optimizer: discriminator.optimizer });
  }

  override get name(): string {
    return 'gan';
  }

  /** The discriminator's optimizer and the generator's: what learning-rate callbacks adjust. */
  override get optimizers(): Optimizer[] {
    return [this.discriminator.optimizer, this.generator.optimizer];
  }

  /** Size of the generator's latent vectors. */
  get latentDim(): number {
    return this.generator.net.inputs[0]!.shape[1] as number;
  }

  /**
   * Gives each network its own optimizer of the given kind (Keras's `gan.compile(d_optimizer, g_optimizer)`). The
   * losses are the GAN's own (sigmoid cross-entropy on the discriminator's logits), so there is no `loss` option.
   * `gan.optimizer` is the discriminator's, the one callbacks such as LearningRateScheduler see.
   */
  override compile(options: GanCompileOptions | CompileOptions): void {
    const { optimizer, generatorOptimizer, ...rest } = options as GanCompileOptions & CompileOptions;
    if (Object.keys(rest).length)
      throw new Error(`GanModel.compile takes optimizer and generatorOptimizer only, got ${Object.keys(rest).join(', ')}`);
    this.discriminator.compile({ optimizer });
    this.generator.compile({ optimizer: generatorOptimizer ?? optimizer });
    super.compile({ optimizer: this.discriminator.optimizer });
    this.trainFunction = undefined;
  }

  /**
   * One alternating update on a batch of real images (`batch.x[0]`, labels unused):
   * 1. the generator, on fresh latent vectors, to make the discriminator say 1 (the non-saturating GAN loss);
   * 2. the discriminator, on the real images (target 1) and the images the generator made in step 1 (target 0).
   * The generator goes first so that its one forward pass serves both updates (as PyTorch's DCGAN reuses `fake`):
   * Keras's example, discriminator first, runs the generator twice a step.
   */
  override trainStep(batch: Batch): Logs {
    const { generator: g, discriminator: d } = this;
    const step = ([real]: Tensor[]): Tensor[] => {
      const n = real!.shape[0]!;
      // Latent vectors are host values: a step run as a graph draws new ones at every call.
      const [z] = hostTensors(() => [this.latent(n)]);
      let fake: Tensor | undefined;
      const gLoss = g.optimizer.minimize(
        () => {
          fake = tf.keep(g.forward([z!], true)[0]!);
          return this.ganLoss(tf.ones([n, 1]), d.forward([fake], true)[0]!);
        },
        true,
        trainable(g),
      )!;
      // `fake` is a plain input here: the discriminator's update does not reach the generator.
      const targets = tf.concat([tf.fill([n, 1], this.realTarget), tf.zeros([n, 1])]);
      const dLoss = d.optimizer.minimize(
        () => this.ganLoss(targets, d.forward([tf.concat([real!, fake!])], true)[0]!),
        true,
        trainable(d),
      )!;
      fake!.dispose();
      this.generatorAverage?.update(g);
      return [tf.stack([dLoss, gLoss])];
    };
    let values: Tensor;
    if (runsInGraph(d.optimizer) && runsInGraph(g.optimizer)) {
      this.trainFunction ??= new GraphFunction(step, 'gan_train_step');
      values = this.trainFunction.run([batch.x[0]!])[0]!;
    } else {
      values = tf.tidy(() => step([batch.x[0]!])[0]!);
    }
    const [dValue, gValue] = values.dataSync();
    values.dispose();
    return { d_loss: dValue!, g_loss: gValue! };
  }

  protected override graphFunctions(): GraphFunction[] {
    return [...super.graphFunctions(), ...(this.trainFunction ? [this.trainFunction] : [])];
  }

  /** The same two losses on held-out real images, without training (dropout off, batch-norm moving statistics). */
  override testStep(batch: Batch): Logs {
    const n = batch.size;
    return tf.tidy(() => {
      const fake = this.generator.forward([this.latent(n)], false)[0]!;
      const logits = this.discriminator.forward([tf.concat([batch.x[0]!, fake])], false)[0]!;
      const dLoss = this.ganLoss(tf.concat([tf.fill([n, 1], this.realTarget), tf.zeros([n, 1])]), logits);
      const gLoss = this.ganLoss(tf.ones([n, 1]), logits.slice([n, 0], [n, 1]));
      const [dValue, gValue] = tf.stack([dLoss, gLoss]).dataSync();
      return { d_loss: dValue!, g_loss: gValue! };
    });
  }

  /**
   * `n` generated images (inference mode; from the generator's moving average when kept), from `latent` when given
   * (`[n, latentDim]`), else from latent vectors drawn with `seed` (or from the global random stream, which `setSeed`
   * makes reproducible). The caller disposes the result.
   */
  generate(n: number, options: { latent?: Tensor; seed?: number; batchSize?: number } = {}): Tensor {
    const z = options.latent ?? this.latent(n, options.seed);
    try {
      return (this.generatorAverage?.model ?? this.generator).predict(z, { batchSize: options.batchSize ?? 256 });
    } finally {
      if (z !== options.latent) z.dispose();
    }
  }

  /** Standard normal latent vectors `[n, latentDim]`. */
  latent(n: number, seed?: number): Tensor {
    return tf.randomNormal([n, this.latentDim], 0, 1, 'float32', opSeed(seed));
  }

  /**
   * Writes `dir/generator/` and `dir/discriminator/` (each with its optimizer's state and the same metadata), and the
   * generator's moving average, when kept, as `dir/generator-ema/` (weights only; its metadata adds `movingAverage`).
   */
  override async save(dir: string, options: SaveOptions = {}): Promise<void> {
    const metadata = options.metadata ?? this.metadata;
    const each: SaveOptions = { ...options, ...(metadata ? { metadata } : {}) };
    // The discriminator last: its metadata is `gan.metadata`, which carries a run's history; a crash between the two
    // writes leaves the older history, so a resumed run redoes the epoch rather than skipping one.
    await this.generator.save(join(dir, GENERATOR_DIR), each);
    const average = this.generatorAverage;
    if (average) {
      const movingAverage: MovingAverageMetadata = { momentum: average.momentum, updates: average.updates };
      await average.model.save(join(dir, GENERATOR_EMA_DIR), { metadata: { ...metadata, movingAverage }, includeOptimizer: false });
    } else {
      // An average left by an earlier save would otherwise be what `samplingGeneratorDir` picks.
      await rm(join(dir, GENERATOR_EMA_DIR), { recursive: true, force: true });
    }
    await this.discriminator.save(join(dir, DISCRIMINATOR_DIR), each);
  }

  /**
   * Restores both networks (and the generator's moving average, when kept and saved) in place from what `save` wrote
   * into `dir`; returns the discriminator's metadata, which is `gan.metadata` (see Model.loadWeights).
   */
  override async loadWeights(dir: string): Promise<ModelMetadata | undefined> {
    await this.generator.loadWeights(join(dir, GENERATOR_DIR));
    const average = this.generatorAverage;
    const averageDir = join(dir, GENERATOR_EMA_DIR);
    if (average && existsSync(join(averageDir, 'model.json'))) {
      const saved = (await average.model.loadWeights(averageDir))?.['movingAverage'] as Partial<MovingAverageMetadata> | undefined;
      if (typeof saved?.updates === 'number') average.updates = saved.updates;
    }
    return this.discriminator.loadWeights(join(dir, DISCRIMINATOR_DIR));
  }

  /** The metadata `save` stored: the discriminator's, written last. */
  override readSavedMetadata(dir: string): Promise<ModelMetadata | undefined> {
    return this.discriminator.readSavedMetadata(join(dir, DISCRIMINATOR_DIR));
  }

  override summary(printFn: (line: string) => void = console.log): void {
    printFn('Generator');
    this.generator.summary(printFn);
    printFn('');
    printFn('Discriminator');
    this.discriminator.summary(printFn);
  }
}

interface MovingAverageMetadata {
  momentum: number;
  updates: number;
}

/**
 * Reads what `GanModel.save` wrote into `dir`: both networks, compiled with their optimizers' state when saved so, and
 * the generator's moving average when there is one. `options`: the losses' settings to train on with (they are not
 * saved; a preset passes its own, so a resumed run trains as it started).
 */
export async function loadGan(dir: string, options: Pick<GanOptions, 'loss' | 'realTarget'> = {}): Promise<GanModel> {
  const generator = await loadModel(join(dir, GENERATOR_DIR));
  const discriminator = await loadModel(join(dir, DISCRIMINATOR_DIR));
  const averageDir = join(dir, GENERATOR_EMA_DIR);
  if (!existsSync(join(averageDir, 'model.json'))) return new GanModel(generator, discriminator, options);
  const averaged = await loadModel(averageDir);
  const saved = averaged.metadata?.['movingAverage'] as Partial<MovingAverageMetadata> | undefined;
  if (typeof saved?.momentum !== 'number' || typeof saved.updates !== 'number') {
    throw new Error(
      `${join(averageDir, 'model.json')} lacks its movingAverage metadata ({ momentum, updates }): it was not written by GanModel.save; remove the folder to resume without the average`,
    );
  }
  return new GanModel(generator, discriminator, {
    ...options,
    generatorAverage: new WeightAverage(averaged, saved.momentum, saved.updates),
  });
}

function trainable(model: Model): Variable[] {
  return model.net.trainableWeights.map((w) => w.read() as Variable);
}
