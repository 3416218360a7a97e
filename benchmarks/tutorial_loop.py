"""The training step of the official TensorFlow DCGAN tutorial (tensorflow.org/tutorials/generative/dcgan),
shared by the benchmarks that compare the helper with it."""

import keras
import tensorflow as tf


def tutorial_train_step(generator, discriminator, generator_optimizer, discriminator_optimizer,
                        batch_size: int, noise_dim: int):
    """The tutorial's ``tf.function`` step: two ``GradientTape``s, binary cross-entropy on logits."""
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def train_step(real_images):
        noise = tf.random.normal([batch_size, noise_dim])
        with tf.GradientTape() as generator_tape, tf.GradientTape() as discriminator_tape:
            generated = generator(noise, training=True)
            real_output = discriminator(real_images, training=True)
            fake_output = discriminator(generated, training=True)
            generator_loss = cross_entropy(tf.ones_like(fake_output), fake_output)
            discriminator_loss = (cross_entropy(tf.ones_like(real_output), real_output)
                                  + cross_entropy(tf.zeros_like(fake_output), fake_output))
        generator_gradients = generator_tape.gradient(generator_loss, generator.trainable_variables)
        discriminator_gradients = discriminator_tape.gradient(discriminator_loss, discriminator.trainable_variables)
        generator_optimizer.apply_gradients(zip(generator_gradients, generator.trainable_variables, strict=True))
        discriminator_optimizer.apply_gradients(
            zip(discriminator_gradients, discriminator.trainable_variables, strict=True)
        )

    return train_step
