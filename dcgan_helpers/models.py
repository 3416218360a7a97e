"""Generator and discriminator of the three architecture families, built from a GANConfig.

All follow the DCGAN paper's guidelines (Radford et al., 2016): strided convolutions instead of
pooling, BatchNorm in both networks but not on G's output or D's input, ReLU and a tanh output in
G, LeakyReLU(0.2) in D. They differ in how z enters G and how D reaches its one logit:

``radford``: the Torch-family reading of the paper (soumith/dcgan.torch, PyTorch's DCGAN
tutorial). G projects z to a 4x4 (7x7 for 28 px) map with a transposed convolution, D ends in a
convolution to one logit: fully convolutional, no dense layers. Meant for 4x4 kernels, which a
stride of 2 overlaps evenly.

``paper``: the DCGAN authors' own face model (Newmu/dcgan_code, faces/train_uncond_dcgan.py).
G projects z with a dense layer ("project and reshape"), BatchNorm on each of its units, D
flattens its last feature map into a dense layer to one logit; no biases (BatchNorm's shift
stands in for them). Meant for 5x5 kernels.

``dense``: a design reported to work best on 11k Hands: a dense layer from the noise with
BatchNorm per channel after the reshape, a dense logit, 5x5 kernels, biases as Keras gives them.

With ``layers_per_resolution`` above 1, every architecture adds 3x3 stride-1 convolutions (BatchNorm,
then G's ReLU or D's LeakyReLU) at each resolution: in G after the projection and after each upsampling
but the last, in D after each downsampling. D's alternation of strided and 3x3 stride-1 convolutions is
that of the "standard CNN" discriminator of Miyato et al. (2018); the TensorFlow DCGAN tutorial's G has
a stride-1 layer at its first resolution.

With ``conditional``, G and D also take a class label (an integer, one of ``config.classes``). G joins
a learned vector per class (an embedding) to z: a simplified form of Mirza & Osindero's (2014) joint
hidden layer of z and y. D judges image and class together, by one of two means
(``config.class_conditioning``): ``concatenation`` joins one constant plane per class to the image (1 on
the image's class, 0 elsewhere); ``projection`` (Miyato & Koyama, 2018) adds to a linear function of D's
last feature map φ(x), flattened, the inner product of φ(x) with a learned vector of the class.
"""

import keras
from keras import layers

from .config import GANConfig
from .device import dtype_policy
from .errors import ConfigError

__all__ = ["CLASS_EMBEDDING_SIZE", "batch_norm", "build_discriminator", "build_generator", "layer_table",
           "weight_initializer"]

CLASS_EMBEDDING_SIZE = 50  # length of the learned vector per class that G joins to z


def weight_initializer():
    """N(0, 0.02), as in the DCGAN paper."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def batch_norm(name: str, policy: str, synchronized: bool = False):
    """BatchNorm with its scale initialised around 1 with the paper's spread; ``synchronized`` computes
    the statistics over all replicas of a distribution strategy, as one device would over the global batch."""
    return layers.BatchNormalization(
        gamma_initializer=keras.initializers.RandomNormal(mean=1.0, stddev=0.02), name=name, dtype=policy,
        synchronized=synchronized,
    )


def start_size(image_size: int) -> int:
    """Side of the first feature map: halve the image size while it stays even and above 4."""
    size = image_size
    while size % 2 == 0 and size > 4:
        size //= 2
    return size


def resolution_steps(image_size: int) -> int:
    """How many stride-2 layers lead from the first feature map to the image (4 for 64 px)."""
    return (image_size // start_size(image_size)).bit_length() - 1


def generator_widths(config: GANConfig) -> list[int]:
    """Channels of G's hidden maps, from the noise projection to the last hidden layer."""
    steps = resolution_steps(config.image_size)
    return [config.generator_filters * 2 ** (steps - 1 - index) for index in range(steps)]


def discriminator_widths(config: GANConfig) -> list[int]:
    """Channels of D's convolutions, from the image towards the logit."""
    return [config.discriminator_filters * 2**index for index in range(resolution_steps(config.image_size))]


def add_stride_one_layers(model: keras.Sequential, config: GANConfig, width: int, name: str, activation,
                          policy: str, synchronized: bool) -> None:
    """``layers_per_resolution - 1`` blocks of 3x3 stride-1 convolution, BatchNorm and ``activation``."""
    for number in range(1, config.layers_per_resolution):
        model.add(layers.Conv2D(
            width, 3, padding="same", use_bias=False, kernel_initializer=weight_initializer(),
            name=f"{name}_conv_{number}", dtype=policy,
        ))
        model.add(batch_norm(f"{name}_conv_{number}_bn", policy, synchronized))
        model.add(activation(f"{name}_conv_{number}_{activation.__name__}"))


def check_classes(config: GANConfig) -> None:
    if not config.classes:
        raise ConfigError("a conditional GAN is built for its classes, which come from the data: start a session "
                          "(dcgan train, Session.prepare) or set classes from datasets.load_labels")


def build_generator(config: GANConfig, synchronized: bool = False) -> keras.Model:
    """Noise of shape (batch, noise_dim) to images in [-1, 1] of shape (batch, size, size, channels); with
    ``config.conditional``, ``[noise, label]`` (labels of shape (batch,)) to images of those classes."""
    if not config.conditional:
        return unconditional_generator(config, config.noise_dim, synchronized)
    check_classes(config)
    noise = keras.Input(shape=(config.noise_dim,), name="noise")
    label = keras.Input(shape=(), dtype="int32", name="label")
    embedded = layers.Embedding(len(config.classes), CLASS_EMBEDDING_SIZE, name="class_embedding")(label)
    joined = layers.Concatenate(name="noise_and_class")([noise, embedded])
    body = unconditional_generator(config, config.noise_dim + CLASS_EMBEDDING_SIZE, synchronized)
    return keras.Model([noise, label], body(joined), name=f"conditional_generator_{config.architecture}")


def unconditional_generator(config: GANConfig, input_size: int, synchronized: bool) -> keras.Sequential:
    """G's layers, from an input vector of ``input_size`` numbers to an image."""
    policy = dtype_policy(config)
    start = start_size(config.image_size)
    widths = generator_widths(config)
    biases = config.architecture != "paper"  # the authors' code has none: BatchNorm's shift does that job
    model = keras.Sequential(name=f"generator_{config.architecture}")
    model.add(keras.Input(shape=(input_size,), name="noise"))
    if config.architecture == "radford":  # z as a 1x1 map, one transposed convolution to start x start
        model.add(layers.Reshape((1, 1, input_size), name="noise_as_map", dtype=policy))
        model.add(layers.Conv2DTranspose(
            widths[0], start, strides=1, padding="valid", use_bias=False,
            kernel_initializer=weight_initializer(), name="project", dtype=policy,
        ))
    else:  # "project and reshape": a dense layer
        model.add(layers.Dense(
            start * start * widths[0], use_bias=False, kernel_initializer=weight_initializer(),
            name="project", dtype=policy,
        ))
    to_map = layers.Reshape((start, start, widths[0]), name="to_map", dtype=policy)
    if config.architecture == "dense":  # BatchNorm per channel of the map
        model.add(to_map)
    model.add(batch_norm("project_bn", policy, synchronized))
    model.add(layers.ReLU(name="project_relu", dtype=policy))
    if config.architecture == "paper":  # the authors' code normalises each unit of the projection, then reshapes
        model.add(to_map)

    def relu(name):
        return layers.ReLU(name=name, dtype=policy)

    add_stride_one_layers(model, config, widths[0], "project", relu, policy, synchronized)
    for number, width in enumerate(widths[1:], start=1):
        model.add(layers.Conv2DTranspose(
            width, config.kernel_size, strides=2, padding="same", use_bias=False,
            kernel_initializer=weight_initializer(), name=f"upsample_{number}", dtype=policy,
        ))
        model.add(batch_norm(f"upsample_{number}_bn", policy, synchronized))
        model.add(relu(f"upsample_{number}_relu"))
        add_stride_one_layers(model, config, width, f"upsample_{number}", relu, policy, synchronized)
    model.add(layers.Conv2DTranspose(
        config.channels, config.kernel_size, strides=2, padding="same", use_bias=biases,
        kernel_initializer=weight_initializer(), name="to_image", dtype=policy,
    ))
    model.add(layers.Activation("tanh", name="tanh", dtype="float32"))
    return model


def build_discriminator(config: GANConfig, synchronized: bool = False) -> keras.Model:
    """Images in [-1, 1] to one real-vs-fake logit each (no sigmoid: the loss works on logits); with
    ``config.conditional``, ``[images, labels]`` to a logit of "a real image of this class"."""
    if not config.conditional:
        return unconditional_discriminator(config, config.channels, synchronized)
    check_classes(config)
    image = keras.Input(shape=(config.image_size, config.image_size, config.channels), name="image")
    label = keras.Input(shape=(), dtype="int32", name="label")
    if config.class_conditioning == "concatenation":  # one constant plane per class, 1 on the image's class
        planes = ClassPlanes(len(config.classes), config.image_size, name="class_planes")(label)
        joined = layers.Concatenate(name="image_and_class")([image, planes])
        body = unconditional_discriminator(config, config.channels + len(config.classes), synchronized)
        return keras.Model([image, label], body(joined), name=f"conditional_discriminator_{config.architecture}")
    features = layers.Flatten(name="flatten", dtype="float32")(
        discriminator_features(config, config.channels, synchronized)(image))
    class_vector = layers.Embedding(len(config.classes), features.shape[-1],
                                    embeddings_initializer=weight_initializer(), name="class_projection")(label)
    unconditional_logit = layers.Dense(1, use_bias=config.architecture != "paper", name="logit", dtype="float32",
                                       kernel_initializer=weight_initializer())(features)
    projection = layers.Dot(axes=1, name="projection", dtype="float32")([class_vector, features])
    logit = layers.Add(name="logit_with_class", dtype="float32")([unconditional_logit, projection])
    return keras.Model([image, label], logit, name=f"conditional_discriminator_{config.architecture}")


@keras.saving.register_keras_serializable(package="dcgan_helpers")
class ClassPlanes(layers.Layer):
    """Labels of shape (batch,) to one-hot maps of shape (batch, size, size, classes)."""

    def __init__(self, classes: int, size: int, **kwargs):
        super().__init__(**kwargs)
        self.classes, self.size = classes, size

    def call(self, labels):
        one_hot = keras.ops.one_hot(keras.ops.cast(labels, "int32"), self.classes, dtype=self.compute_dtype)
        return keras.ops.tile(one_hot[:, None, None, :], (1, self.size, self.size, 1))

    def get_config(self):
        return {**super().get_config(), "classes": self.classes, "size": self.size}


def discriminator_features(config: GANConfig, input_channels: int, synchronized: bool) -> keras.Sequential:
    """D's convolutions, from an image of ``input_channels`` channels to its last feature map."""
    policy = dtype_policy(config)
    biases = config.architecture != "paper"
    model = keras.Sequential(name=f"discriminator_{config.architecture}")
    model.add(keras.Input(shape=(config.image_size, config.image_size, input_channels), name="image"))

    def leaky_relu(name):
        return layers.LeakyReLU(config.leaky_relu_slope, name=name, dtype=policy)

    for number, width in enumerate(discriminator_widths(config), start=1):
        model.add(layers.Conv2D(
            width, config.kernel_size, strides=2, padding="same", use_bias=biases and number == 1,
            kernel_initializer=weight_initializer(), name=f"downsample_{number}", dtype=policy,
        ))
        if number > 1:  # the paper leaves the input layer without BatchNorm
            model.add(batch_norm(f"downsample_{number}_bn", policy, synchronized))
        model.add(leaky_relu(f"downsample_{number}_leaky_relu"))
        add_stride_one_layers(model, config, width, f"downsample_{number}", leaky_relu, policy, synchronized)
    return model


def unconditional_discriminator(config: GANConfig, input_channels: int, synchronized: bool) -> keras.Sequential:
    """D's convolutions, then its one logit: a convolution over the last map (``radford``) or a dense layer."""
    policy = dtype_policy(config)
    start = start_size(config.image_size)
    biases = config.architecture != "paper"
    model = discriminator_features(config, input_channels, synchronized)
    if config.architecture == "radford":
        model.add(layers.Conv2D(
            1, start, padding="valid", kernel_initializer=weight_initializer(), name="logit", dtype="float32"
        ))
        model.add(layers.Flatten(name="flatten", dtype="float32"))
    else:
        model.add(layers.Flatten(name="flatten", dtype=policy))
        model.add(layers.Dense(
            1, use_bias=biases, kernel_initializer=weight_initializer(), name="logit", dtype="float32"
        ))
    return model


def layer_table(model: keras.Model) -> list[tuple[str, str, tuple, int]]:
    """(name, layer type, output shape, parameter count) of every layer, for printing or checking."""
    return [(layer.name, type(layer).__name__, tuple(layer.output.shape), layer.count_params())
            for layer in model.layers]
