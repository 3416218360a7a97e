import numpy as np
import pytest
from keras import layers

from dcgan_helpers.config import PAPER_DESIGN, GANConfig
from dcgan_helpers.datasets import preset
from dcgan_helpers.models import build_discriminator, build_generator

pytestmark = pytest.mark.kernel


def layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


@pytest.mark.parametrize("architecture, kernel_size", [("radford", 4), ("paper", 5), ("dense", 5)])
@pytest.mark.parametrize("image_size, channels", [(28, 1), (32, 3), (64, 3), (128, 3)])
def test_models_map_noise_to_images_and_images_to_one_logit(architecture, kernel_size, image_size, channels):
    config = GANConfig(architecture=architecture, kernel_size=kernel_size, image_size=image_size, channels=channels,
                       generator_filters=8, discriminator_filters=8, noise_dim=10)
    generator, discriminator = build_generator(config), build_discriminator(config)
    images = generator(np.random.default_rng(0).standard_normal((2, 10)).astype("float32"), training=False)
    assert tuple(images.shape) == (2, image_size, image_size, channels)
    assert float(np.min(images)) >= -1 and float(np.max(images)) <= 1
    assert tuple(discriminator(images).shape) == (2, 1)
    for model in (generator, discriminator):
        assert not [layer for layer in model.layers if "pool" in type(layer).__name__.lower()]


def test_radford_64_is_the_torch_family_layout():
    """dcgan.torch and PyTorch's DCGAN tutorial, all 4x4 kernels: G 100 -> 1024x4x4 -> 512x8x8 -> 256x16x16 ->
    128x32x32 -> 3x64x64 (the widths of the paper's Figure 1); D 64-128-256-512-1, ending in a convolution."""
    config = preset("celeba64")
    generator, discriminator = build_generator(config), build_discriminator(config)
    transposed = layers_of(generator, layers.Conv2DTranspose)
    assert [layer.filters for layer in transposed] == [1024, 512, 256, 128, 3]
    assert [layer.output.shape[1] for layer in transposed] == [4, 8, 16, 32, 64]
    assert [layer.kernel_size for layer in transposed] == [(4, 4)] * 5
    assert [layer.strides for layer in transposed] == [(1, 1)] + [(2, 2)] * 4
    convolutions = layers_of(discriminator, layers.Conv2D)
    assert [layer.filters for layer in convolutions] == [64, 128, 256, 512, 1]
    assert [layer.output.shape[1] for layer in convolutions] == [32, 16, 8, 4, 1]
    assert [layer.kernel_size for layer in convolutions] == [(4, 4)] * 5
    assert [layer.strides for layer in convolutions[:4]] == [(2, 2)] * 4
    assert not layers_of(generator, layers.Dense) and not layers_of(discriminator, layers.Dense)


def follows(model, kind):
    """Names of the layers directly followed by a layer of ``kind`` (reshapes do not count)."""
    stack = [layer for layer in model.layers if not isinstance(layer, layers.Reshape)]
    return [stack[i].name for i in range(len(stack) - 1) if isinstance(stack[i + 1], kind)]


@pytest.mark.parametrize("name", ["fashion_mnist", "celeba64", "hands64", "celeba64 paper"])
def test_batchnorm_and_activations_sit_where_the_paper_puts_them(name):
    config = preset("celeba64").replace(**PAPER_DESIGN) if name == "celeba64 paper" else preset(name)
    generator, discriminator = build_generator(config), build_discriminator(config)
    generator_weighted = [layer.name for layer in generator.layers if layer.weights and
                          not isinstance(layer, layers.BatchNormalization)]
    assert follows(generator, layers.BatchNormalization) == generator_weighted[:-1]  # all but the output layer
    assert len(layers_of(generator, layers.ReLU)) == len(generator_weighted) - 1
    assert generator.layers[-1].activation.__name__ == "tanh"
    discriminator_convolutions = [layer.name for layer in layers_of(discriminator, layers.Conv2D)]
    discriminator_batchnormed = follows(discriminator, layers.BatchNormalization)
    assert discriminator_convolutions[0] not in discriminator_batchnormed  # no BN on the input layer
    assert set(discriminator_batchnormed) == set(discriminator_convolutions[1:len(discriminator_batchnormed) + 1])
    assert all(layer.negative_slope == pytest.approx(0.2) for layer in layers_of(discriminator, layers.LeakyReLU))
    logit = discriminator.get_layer("logit")
    assert logit.activation.__name__ == "linear"  # logits: the loss applies the sigmoid


def test_dense_family_is_the_hands_design():
    """A dense layer from the Gaussian noise, 5x5 kernels, stride 2."""
    config = preset("hands64")
    generator, discriminator = build_generator(config), build_discriminator(config)
    assert isinstance(generator.layers[0], layers.Dense) and generator.layers[0].units == 4 * 4 * 512
    for layer in layers_of(generator, layers.Conv2DTranspose) + layers_of(discriminator, layers.Conv2D):
        assert layer.kernel_size == (5, 5) and layer.strides == (2, 2)
    assert isinstance(discriminator.layers[-1], layers.Dense) and discriminator.layers[-1].units == 1


def test_weights_start_from_normal_with_standard_deviation_0_02():
    generator = build_generator(preset("celeba64"))
    kernel = np.asarray(generator.get_layer("upsample_1").kernel)
    assert abs(kernel.mean()) < 1e-3 and kernel.std() == pytest.approx(0.02, rel=0.02)
    gamma = np.asarray(generator.get_layer("upsample_1_bn").gamma)
    assert gamma.mean() == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("precision, compute_dtype", [("mixed_float16", "float16"), ("mixed_bfloat16", "bfloat16")])
def test_mixed_precision_computes_in_half_precision_but_returns_float32(precision, compute_dtype):
    config = GANConfig(precision=precision, generator_filters=8, discriminator_filters=8)
    generator, discriminator = build_generator(config), build_discriminator(config)
    assert generator.get_layer("upsample_1").compute_dtype == compute_dtype
    assert discriminator.get_layer("downsample_2").compute_dtype == compute_dtype
    assert generator.get_layer("upsample_1").kernel.dtype == "float32"
    images = generator(np.zeros((2, 100), "float32"))
    assert images.dtype == "float32" and discriminator(images).dtype == "float32"


def test_layer_table_lists_names_types_shapes_and_parameters():
    from dcgan_helpers.datasets import preset
    from dcgan_helpers.models import build_generator, layer_table

    generator = build_generator(preset("celeba64"))
    table = layer_table(generator)
    assert table[1] == ("project", "Conv2DTranspose", (None, 4, 4, 1024), 100 * 4 * 4 * 1024)
    assert table[-1][2] == (None, 64, 64, 3)
    assert sum(row[3] for row in table) == generator.count_params()


# Trainable parameters of the authors' face model, from the shapes in faces/train_uncond_dcgan.py
# (Newmu/dcgan_code; nz = 100, ngf = ndf = 128, 5x5 kernels; g and b are BatchNorm's scale and shift).
AUTHORS_GENERATOR = {
    "gw": 100 * 1024 * 4 * 4, "gg, gb": 2 * 1024 * 4 * 4,
    "gw2": 1024 * 512 * 5 * 5, "gg2, gb2": 2 * 512,
    "gw3": 512 * 256 * 5 * 5, "gg3, gb3": 2 * 256,
    "gw4": 256 * 128 * 5 * 5, "gg4, gb4": 2 * 128,
    "gwx": 128 * 3 * 5 * 5,
}
AUTHORS_DISCRIMINATOR = {
    "dw": 3 * 128 * 5 * 5,
    "dw2": 128 * 256 * 5 * 5, "dg2, db2": 2 * 256,
    "dw3": 256 * 512 * 5 * 5, "dg3, db3": 2 * 512,
    "dw4": 512 * 1024 * 5 * 5, "dg4, db4": 2 * 1024,
    "dwy": 1024 * 4 * 4,
}


def trainable_count(model):
    return sum(int(np.prod(variable.shape)) for variable in model.trainable_variables)


def test_paper_64_is_the_dcgan_authors_face_model():
    """faces/train_uncond_dcgan.py: z -> dense 4x4x1024 with BatchNorm per unit -> 5x5 stride-2 transposed
    convolutions 512, 256, 128, 3; D 5x5 stride-2 convolutions 128, 256, 512, 1024 -> dense to one output."""
    config = preset("celeba64").replace(**PAPER_DESIGN)
    generator, discriminator = build_generator(config), build_discriminator(config)
    project = generator.layers[0]
    assert isinstance(project, layers.Dense) and project.units == 4 * 4 * 1024
    assert generator.get_layer("project_bn").gamma.shape == (4 * 4 * 1024,)  # one scale per unit, not per channel
    assert tuple(generator.get_layer("to_map").output.shape) == (None, 4, 4, 1024)
    transposed = layers_of(generator, layers.Conv2DTranspose)
    assert [layer.filters for layer in transposed] == [512, 256, 128, 3]
    assert [layer.output.shape[1] for layer in transposed] == [8, 16, 32, 64]
    convolutions = layers_of(discriminator, layers.Conv2D)
    assert [layer.filters for layer in convolutions] == [128, 256, 512, 1024]
    assert [layer.output.shape[1] for layer in convolutions] == [32, 16, 8, 4]
    for layer in transposed + convolutions:
        assert layer.kernel_size == (5, 5) and layer.strides == (2, 2)
    logit = discriminator.layers[-1]
    assert isinstance(logit, layers.Dense) and logit.units == 1 and logit.kernel.shape == (4 * 4 * 1024, 1)
    weighted = layers_of(generator, (layers.Dense, layers.Conv2DTranspose)) + [logit, *convolutions]
    assert not [layer.name for layer in weighted if layer.use_bias]  # the authors' code has no biases
    assert trainable_count(generator) == sum(AUTHORS_GENERATOR.values()) == 18_885_760
    assert trainable_count(discriminator) == sum(AUTHORS_DISCRIMINATOR.values()) == 17_232_768


def test_the_paper_design_is_its_own_config_and_radford_stays_the_default():
    config = preset("celeba64").replace(**PAPER_DESIGN)
    assert (config.architecture, config.kernel_size, config.weight_decay) == ("paper", 5, 1e-5)
    assert config.noise_distribution == "uniform"
    assert (config.generator_filters, config.discriminator_filters) == (128, 128)
    assert (GANConfig().architecture, GANConfig().weight_decay) == ("radford", 0.0)


@pytest.mark.parametrize("architecture, kernel_size", [("radford", 4), ("paper", 5), ("dense", 5)])
def test_layers_per_resolution_adds_3x3_stride_one_convolutions_at_every_resolution(architecture, kernel_size):
    """G gains one after its projection and after each upsampling but the last, D one after each downsampling;
    each keeps its map's shape and width and is followed by BatchNorm and the network's activation."""
    paper = GANConfig(architecture=architecture, kernel_size=kernel_size, image_size=64, channels=3,
                      generator_filters=8, discriminator_filters=8, noise_dim=10)
    for layers_per_resolution in (2, 3):
        deeper = paper.replace(layers_per_resolution=layers_per_resolution)
        for build, activation in ((build_generator, layers.ReLU), (build_discriminator, layers.LeakyReLU)):
            plain, deep = build(paper), build(deeper)
            added = [layer for layer in deep.layers if layer.name not in {kept.name for kept in plain.layers}]
            steps = 4  # 64 px: G 4x4 -> 8 -> 16 -> 32 -> 64, D 64 -> 32 -> 16 -> 8 -> 4
            assert len(added) == 3 * steps * (layers_per_resolution - 1)
            convolutions = [layer for layer in added if isinstance(layer, layers.Conv2D)]
            assert all(layer.kernel_size == (3, 3) and layer.strides == (1, 1) and not layer.use_bias
                       for layer in convolutions)
            assert all(layer.input.shape == layer.output.shape for layer in convolutions)
            following = [deep.layers[deep.layers.index(layer) + 1: deep.layers.index(layer) + 3]
                         for layer in convolutions]
            assert all(isinstance(norm, layers.BatchNormalization) and isinstance(act, activation)
                       for norm, act in following)
            assert deep.layers[-1].output.shape == plain.layers[-1].output.shape


def test_fashion_mnist_preset_is_the_paper_layout_with_one_stride_one_layer_per_resolution():
    config = preset("fashion_mnist")
    assert config.layers_per_resolution == 2
    generator, discriminator = build_generator(config), build_discriminator(config)
    stride_one = [(layer.output.shape[1], layer.filters) for model in (generator, discriminator)
                  for layer in layers_of(model, layers.Conv2D)
                  if layer.strides == (1, 1) and layer.kernel_size == (3, 3)]
    assert stride_one == [(7, 128), (14, 64), (14, 64), (7, 128)]
    paper = config.replace(layers_per_resolution=1)
    extra = 2 * (128 * 128 * 9 + 2 * 128) + 2 * (64 * 64 * 9 + 2 * 64)  # each: 3x3 kernel and BatchNorm's γ, β
    trainable = sum(int(np.prod(w.shape)) for w in generator.trainable_weights + discriminator.trainable_weights)
    paper_trainable = sum(int(np.prod(w.shape)) for model in (build_generator(paper), build_discriminator(paper))
                          for w in model.trainable_weights)
    assert trainable - paper_trainable == extra
