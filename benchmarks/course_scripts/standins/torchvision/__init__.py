"""A small offline stand-in for torchvision, written against whichever ``torch`` is imported.

Only what the course scripts call: ``datasets.MNIST`` / ``FashionMNIST`` (the IDX files under
``$COURSE_SCRIPTS_DATA``, default /work/shared/data), a synthetic ``datasets.CIFAR10``,
``transforms.ToTensor`` / ``Normalize`` / ``Resize`` / ``Compose``, ``utils.make_grid`` and
the architectures of ``models.resnet18`` / ``vgg16`` (no pretrained weights: nothing is
downloaded). ``COURSE_SCRIPTS_TRAIN_N`` / ``COURSE_SCRIPTS_TEST_N`` keep only the first N
images of a training / test split, so that a course script's epochs stay short.
"""

from torchvision import datasets, models, transforms, utils

__version__ = "0.0+course-scripts-standin"
__all__ = ["datasets", "models", "transforms", "utils"]
