"""minigrad.nn: modules, layers and losses with torch.nn's names and semantics.

``import minigrad.nn as nn`` then write the same code as for ``torch.nn``.
"""

from minigrad.nn import functional, init, utils
from minigrad.nn.activations import CELU, SELU, Hardsigmoid, Hardswish, Mish, PReLU, Softmin
from minigrad.nn.adaptive_pooling import AdaptiveAvgPool1d, AdaptiveMaxPool1d
from minigrad.nn.containers import ModuleDict, ModuleList, Sequential
from minigrad.nn.deform import DeformConv2d
from minigrad.nn.distance import CosineSimilarity
from minigrad.nn.layers import (
    ELU,
    GELU,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    Dropout,
    Dropout2d,
    Flatten,
    GroupNorm,
    Hardtanh,
    Identity,
    InstanceNorm2d,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool1d,
    MaxPool2d,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
    Unflatten,
    Upsample,
    ZeroPad2d,
)
from minigrad.nn.lazy import (
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyConv1d,
    LazyConv2d,
    LazyConvTranspose2d,
    LazyLinear,
    UninitializedBuffer,
    UninitializedParameter,
)
from minigrad.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from minigrad.nn.module import Module, Parameter
from minigrad.nn.padding import (
    ConstantPad1d,
    ConstantPad2d,
    ConstantPad3d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReflectionPad3d,
    ReplicationPad1d,
    ReplicationPad2d,
    ReplicationPad3d,
    ZeroPad1d,
    ZeroPad3d,
)
from minigrad.nn.parallel import DataParallel
from minigrad.nn.parameter_containers import ParameterDict, ParameterList
from minigrad.nn.sparse import Embedding
from minigrad.nn.vision import Fold, LocalResponseNorm, PixelShuffle, PixelUnshuffle, Unfold

__all__ = [
    "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AvgPool1d", "AvgPool2d", "BCELoss",
    "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv1d", "Conv2d", "ConvTranspose2d",
    "CrossEntropyLoss", "DeformConv2d", "Dropout", "Dropout2d", "ELU", "Flatten", "GELU",
    "GroupNorm", "Hardtanh", "HuberLoss", "Identity", "InstanceNorm2d", "KLDivLoss", "L1Loss",
    "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "MaxPool1d", "MaxPool2d",
    "Module", "ModuleDict", "ModuleList", "NLLLoss", "Parameter", "ReLU", "ReLU6", "Sequential",
    "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Softplus", "Tanh", "Unflatten", "Upsample",
    "ZeroPad2d", "functional", "init",
    # activations, padding, embedding, parameter containers, vision, distance, 1-D pools
    "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "CELU", "ConstantPad1d", "ConstantPad2d",
    "ConstantPad3d", "CosineSimilarity", "Embedding", "Fold", "Hardsigmoid", "Hardswish",
    "LocalResponseNorm", "Mish", "PReLU", "ParameterDict", "ParameterList", "PixelShuffle",
    "PixelUnshuffle", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "SELU", "Softmin", "Unfold",
    "ZeroPad1d", "ZeroPad3d",
]
__all__ += ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyConv1d", "LazyConv2d",  # (nn/lazy.py)
            "LazyConvTranspose2d", "LazyLinear", "UninitializedBuffer", "UninitializedParameter"]
__all__ += ["DataParallel", "utils"]  # one device: the module itself; clip_grad_norm_, ...
