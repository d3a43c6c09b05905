"""Keras reference for gan-train: keras.io's "DCGAN overriding train_step", with the generator and discriminator of dl's
`gan` preset (mirrored from the spec; without that preset, the TensorFlow DCGAN tutorial networks of
bench/dl/networks.ts) and the same optimizer, batch 64.

Each step, as dl's GanModel.trainStep: one generator update through the discriminator with target 1 for its images
(the non-saturating loss), then one discriminator update on [real; those same generated images] with targets [1; 0],
so the generator runs once a step (keras.io's example, discriminator first, runs it twice); binary cross-entropy on
logits; both networks in training mode (batch norm, dropout). model.fit drives the custom train_step.

Usage: bench/.venv/bin/python bench/keras/gan-train.py --spec bench/out/specs/gan-train.json [--steps N] [--batch-size N] [--warmup N]
"""

import numpy as np
import tensorflow as tf

import common
import keras


class GAN(keras.Model):
    def __init__(self, generator, discriminator, latent_dim):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def train_step(self, data):
        real = data[0] if isinstance(data, tuple) else data
        n = tf.shape(real)[0]
        with tf.GradientTape() as tape:
            generated = self.generator(tf.random.normal((n, self.latent_dim)), training=True)
            g_loss = self.loss_fn(tf.ones((n, 1)), self.discriminator(generated, training=True))
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        combined = tf.concat([real, generated], axis=0)
        labels = tf.concat([tf.ones((n, 1)), tf.zeros((n, 1))], axis=0)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(combined, training=True))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        return {"d_loss": d_loss, "g_loss": g_loss}


if __name__ == "__main__":
    args = common.parse_args(__doc__, steps=100, batch_size=64, warmup=10)
    spec = args.spec
    generator = common.keras_network(spec["networks"]["generator"])
    discriminator = common.keras_network(spec["networks"]["discriminator"])
    gan = GAN(generator, discriminator, spec["latentDim"])
    gan.compile(common.keras_optimizer(spec["optimizer"]), common.keras_optimizer(spec["optimizer"]))
    n = (args.warmup + args.steps) * args.batch_size
    x = common.synthetic(spec["x"], n, np.random.default_rng())
    measurement = common.measure_fit(gan, x, None, args)
    common.report("gan-train", measurement, args, generator.count_params() + discriminator.count_params(), gan)
