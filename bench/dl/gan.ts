/**
 * A GAN as a dl `Model` with a custom `trainStep` (see packages/core/src/model.ts), the way keras.io's "DCGAN overriding
 * train_step" subclasses keras.Model: `fit(realImages)` drives it with callbacks and progress as any model.
 * Used when @dl/models has no GAN preset; it steps as the preset's GanModel does: one generator update through the
 * discriminator with target 1 for its images (the non-saturating loss), then one discriminator update on [real; those
 * same generated images] with targets [1; 0]. Both networks run in training mode (batch norm, dropout).
 */
import { getOptimizer, Model, tf, type Batch, type Logs } from './dl.js';

type Optimizer = ReturnType<typeof getOptimizer>;
type Variable = ReturnType<typeof tf.variable>;
type Scalar = ReturnType<typeof tf.scalar>;
type Tensor = ReturnType<typeof tf.tensor>;

export class Gan extends Model {
  private readonly dOptimizer: Optimizer;
  private readonly gOptimizer: Optimizer;
  readonly latentDim: number;

  constructor(
    readonly generator: Model,
    readonly discriminator: Model,
    options: { latentDim: number; learningRate: number },
  ) {
    // fit checks its inputs against this net's: the real images, which the discriminator takes.
    super(discriminator.net);
    this.latentDim = options.latentDim;
    this.dOptimizer = getOptimizer({ name: 'adam', learningRate: options.learningRate });
    this.gOptimizer = getOptimizer({ name: 'adam', learningRate: options.learningRate });
    // fit needs a compiled model; the loss is the train step's own.
    this.compile({ optimizer: this.dOptimizer });
  }

  override trainStep(batch: Batch): Logs {
    const vars = (m: Model) => m.net.trainableWeights.map((w) => w.read() as Variable);
    return tf.tidy(() => {
      const real = batch.x[0]!;
      const n = batch.size;
      const z = tf.randomNormal([n, this.latentDim]);
      let generated: Tensor | undefined;
      const gLoss = this.gOptimizer.minimize(
        () => {
          generated = tf.keep(this.generator.forward([z], true)[0]!);
          return tf.losses.sigmoidCrossEntropy(tf.ones([n, 1]), this.discriminator.forward([generated], true)[0]!) as Scalar;
        },
        true,
        vars(this.generator),
      )!;
      const combined = tf.concat([real, generated!], 0);
      generated!.dispose();
      const labels = tf.concat([tf.ones([n, 1]), tf.zeros([n, 1])], 0);
      const dLoss = this.dOptimizer.minimize(
        () => tf.losses.sigmoidCrossEntropy(labels, this.discriminator.forward([combined], true)[0]!) as Scalar,
        true,
        vars(this.discriminator),
      )!;
      const [d, g] = tf.stack([dLoss, gLoss]).dataSync();
      return { d_loss: d!, g_loss: g! };
    });
  }
}
