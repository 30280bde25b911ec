"""Small deterministic quantized test networks for everyone's tests.

``make(kind, path, ...)`` builds a tiny torch net with seeded random weights (batchnorm only in dense), optionally
zeroes whole conv filters by L1 rank, exports ONNX (opset 17, dynamic batch, static C, H, W) and
quantizes it with onnxruntime's quantize_static on seeded random calibration inputs.  The same
arguments always give the same file, so callers may cache on them.

Kinds (default size: input 3x16x16, width 8, 10 classes):

    chain   conv3x3+ReLU, conv3x3+ReLU, conv3x3 stride 2+ReLU, Flatten, Gemm
    resnet  stem conv3x3+ReLU, maxpool 3x3/2, basic block, basic block with stride 2 and
            1x1 downsample (residual adds + ReLU), global average pool, Flatten, Gemm
    vgg     conv1x1, conv3x3, avgpool 2x2, conv5x5, conv1x1, maxpool 2x2 (ReLUs; the engine fuses this
            max pool into the conv before it), Flatten, Gemm
    mobile  MobileNetV2's inverted residual block (expand 1x1, depthwise 3x3, project 1x1, residual add),
            global average pool, Gemm (not in KINDS: its own tests, tests/test_prune_depthwise.py)
    hswish  conv3x3+Hardswish, conv1x1+Sigmoid, conv3x3+SiLU, global average pool, Flatten, Gemm
    dense   DenseNet block: stem conv, pre-activation BatchNorm+ReLU+conv3x3 concatenated with its input,
            BatchNorm+ReLU+conv1x1, global average pool, Gemm (its BatchNorms stay float: table layers)
    fire    SqueezeNet fire module: squeeze 1x1, expand 1x1 and 3x3 concatenated, maxpool, global average
            pool, Gemm (hswish, dense, fire: not in KINDS; tests/test_frontend_tables.py)
    inception  GoogLeNet's inception block: 1x1, 1x1-3x3, 1x1-3x3-3x3 and maxpool-1x1 branches concatenated
            (not in KINDS; tests/test_plan_families.py)
    se      MobileNetV3's bottleneck: Hardswish expand and depthwise convs, squeeze-and-excitation (1x1 convs,
            Hardsigmoid gate, times the map), project 1x1, residual add (not in KINDS; tests/test_plan_families.py)
    shuffle ShuffleNetV2: stem conv, a stride 1 unit (channel split, branch 1x1 / depthwise 3x3 / 1x1, concat,
            channel shuffle), a stride 2 unit (both branches downsample), global average pool, Gemm
            (not in KINDS; tests/test_frontend_shuffle.py)

Inputs are drawn uniformly from [-1, 1] (``random_input``); calibration uses the same range.

onnxruntime 1.31 (x86) runs every variant on integer kernels: in QDQ models every Conv, Add and Gemm
is fused into QLinearConv / QLinearAdd / QGemm, for int8 activations only with the session option
``session.qdqisint8allowed=1`` (without it, 3 of resnet's 6 convs and 1 of its 2 adds stay float);
uint8 activations fuse either way.  Per-channel quantization gives an all-zero (pruned) filter the
weight scale 1.0, so its bias, when kept, is quantized coarsely (bias / x_scale).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from ..errors import UserError
from .quantize import check_prune, prune_filters, write_model

KINDS = ("chain", "resnet", "vgg")
DEFAULT_SIZE = {"in_ch": 3, "hw": 16, "width": 8, "classes": 10}
CALIB_SAMPLES = 8
INPUT_RANGE = (-1.0, 1.0)


def _conv(i, o, k, stride=1):
    return nn.Conv2d(i, o, k, stride=stride, padding=k // 2)


class Chain(nn.Module):
    def __init__(self, in_ch, hw, width, classes):
        super().__init__()
        self.features = nn.Sequential(
            _conv(in_ch, width, 3), nn.ReLU(),
            _conv(width, width, 3), nn.ReLU(),
            _conv(width, 2 * width, 3, stride=2), nn.ReLU())
        self.fc = nn.Linear(2 * width * ((hw + 1) // 2) ** 2, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


class BasicBlock(nn.Module):
    """Two 3x3 convs and a residual add; a 1x1 strided conv on the shortcut when the shape changes."""

    def __init__(self, i, o, stride=1):
        super().__init__()
        self.conv1 = _conv(i, o, 3, stride)
        self.conv2 = _conv(o, o, 3)
        self.down = nn.Conv2d(i, o, 1, stride=stride) if (stride != 1 or i != o) else None
        self.relu = nn.ReLU()

    def forward(self, x):
        y = self.conv2(self.relu(self.conv1(x)))
        return self.relu(y + (self.down(x) if self.down is not None else x))


class ResNet(nn.Module):
    def __init__(self, in_ch, hw, width, classes):
        super().__init__()
        self.stem = nn.Sequential(_conv(in_ch, width, 3), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        self.block1 = BasicBlock(width, width)
        self.block2 = BasicBlock(width, 2 * width, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2 * width, classes)

    def forward(self, x):
        x = self.block2(self.block1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


class VGG(nn.Module):
    def __init__(self, in_ch, hw, width, classes):
        super().__init__()
        self.features = nn.Sequential(
            _conv(in_ch, width, 1), nn.ReLU(),
            _conv(width, width, 3), nn.ReLU(),
            nn.AvgPool2d(2),
            _conv(width, 2 * width, 5), nn.ReLU(),
            _conv(2 * width, 2 * width, 1), nn.ReLU(),
            nn.MaxPool2d(2))
        self.fc = nn.Linear(2 * width * (hw // 4) ** 2, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


class Mobile(nn.Module):
    """MobileNetV2's inverted residual block: stem conv3x3+ReLU6, expand 1x1 (x4)+ReLU6, depthwise 3x3+ReLU6,
    project 1x1, residual add, global average pool, Gemm. ``hidden`` narrows the expanded channels (a
    net with channels physically removed)."""

    def __init__(self, in_ch, hw, width, classes, hidden=None):
        super().__init__()
        h = hidden or 4 * width
        self.stem = _conv(in_ch, width, 3)
        self.expand = nn.Conv2d(width, h, 1)
        self.dw = nn.Conv2d(h, h, 3, padding=1, groups=h)
        self.project = nn.Conv2d(h, width, 1)
        self.relu = nn.ReLU6()
        self.fc = nn.Linear(width, classes)

    def forward(self, x):
        x = self.relu(self.stem(x))
        y = self.project(self.relu(self.dw(self.relu(self.expand(x)))))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x + y, 1), 1))


class HSwish(nn.Module):
    """Element-wise functions between convs (MobileNetV3 / EfficientNet style): conv3x3+Hardswish,
    conv1x1+Sigmoid, conv3x3+SiLU (x * sigmoid(x)), global average pool, Flatten, Gemm."""

    def __init__(self, in_ch, hw, width, classes):
        super().__init__()
        self.features = nn.Sequential(
            _conv(in_ch, width, 3), nn.Hardswish(),
            _conv(width, width, 1), nn.Sigmoid(),
            _conv(width, 2 * width, 3), nn.SiLU(),
            nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(2 * width, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


class Dense(nn.Module):
    """A DenseNet block: stem conv3x3+ReLU, then pre-activation BatchNorm+ReLU+conv3x3 whose output is
    concatenated with its input (torch.cat), BatchNorm+ReLU+conv1x1, global average pool, Gemm."""

    def __init__(self, in_ch, hw, width, classes):
        super().__init__()
        self.stem = _conv(in_ch, width, 3)
        self.bn1, self.conv1 = nn.BatchNorm2d(width), _conv(width, width, 3)
        self.bn2, self.conv2 = nn.BatchNorm2d(2 * width), _conv(2 * width, width, 1)
        self.fc = nn.Linear(width, classes)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = torch.cat([x, self.conv1(torch.relu(self.bn1(x)))], 1)
        x = self.conv2(torch.relu(self.bn2(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class Fire(nn.Module):
    """SqueezeNet's fire module: stem conv3x3+ReLU, squeeze 1x1+ReLU, expand 1x1 and expand 3x3 (+ReLU)
    concatenated (torch.cat), maxpool 2x2, global average pool, Gemm."""

    def __init__(self, in_ch, hw, width, classes):
        super().__init__()
        self.stem = _conv(in_ch, width, 3)
        self.squeeze = _conv(width, width // 2, 1)
        self.expand1, self.expand3 = _conv(width // 2, width, 1), _conv(width // 2, width, 3)
        self.fc = nn.Linear(2 * width, classes)

    def forward(self, x):
        s = torch.relu(self.squeeze(torch.relu(self.stem(x))))
        x = torch.cat([torch.relu(self.expand1(s)), torch.relu(self.expand3(s))], 1)
        x = nn.functional.max_pool2d(x, 2)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class Inception(nn.Module):
    """GoogLeNet's inception block: stem conv3x3+ReLU, four branches concatenated (torch.cat): 1x1; 1x1 then
    3x3; 1x1 then two 3x3 (the 5x5 of v1 as in v3); max pool 3x3 stride 1 then 1x1 (all + ReLU), global
    average pool, Gemm."""

    def __init__(self, in_ch, hw, width, classes):
        super().__init__()
        w = width
        self.stem = _conv(in_ch, w, 3)
        self.b1 = _conv(w, w, 1)
        self.b2 = nn.Sequential(_conv(w, w // 2, 1), nn.ReLU(), _conv(w // 2, w, 3))
        self.b3 = nn.Sequential(_conv(w, w // 2, 1), nn.ReLU(), _conv(w // 2, w, 3), nn.ReLU(), _conv(w, w, 3))
        self.b4 = _conv(w, w, 1)
        self.fc = nn.Linear(4 * w, classes)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        p = nn.functional.max_pool2d(x, 3, 1, 1)
        x = torch.cat([torch.relu(b(v)) for b, v in ((self.b1, x), (self.b2, x), (self.b3, x), (self.b4, p))], 1)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class SqueezeExcite(nn.Module):
    """MobileNetV3's bottleneck with squeeze-and-excitation: stem conv3x3+Hardswish, expand 1x1+Hardswish,
    depthwise 3x3+Hardswish, SE (global average pool, 1x1 conv+ReLU, 1x1 conv, Hardsigmoid, times the
    map), project 1x1, residual add, global average pool, Gemm."""

    def __init__(self, in_ch, hw, width, classes):
        super().__init__()
        h = 2 * width
        self.stem = _conv(in_ch, width, 3)
        self.expand = nn.Conv2d(width, h, 1)
        self.dw = nn.Conv2d(h, h, 3, padding=1, groups=h)
        self.squeeze, self.excite = nn.Conv2d(h, h // 4, 1), nn.Conv2d(h // 4, h, 1)
        self.project = nn.Conv2d(h, width, 1)
        self.act, self.gate = nn.Hardswish(), nn.Hardsigmoid()
        self.fc = nn.Linear(width, classes)

    def forward(self, x):
        x = self.act(self.stem(x))
        y = self.act(self.dw(self.act(self.expand(x))))
        s = nn.functional.adaptive_avg_pool2d(y, 1)
        y = y * self.gate(self.excite(torch.relu(self.squeeze(s))))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x + self.project(y), 1), 1))



def channel_shuffle(x, groups: int, c: int, h: int, w: int):
    """ShuffleNet's channel shuffle with static sizes: Reshape (N, g, C/g, H, W), Transpose, Reshape back."""
    return x.reshape(-1, groups, c // groups, h, w).transpose(1, 2).reshape(-1, c, h, w)


class ShuffleUnit(nn.Module):
    """A ShuffleNetV2 unit (Ma et al. 2018, fig. 3c/d). Stride 1: the input is split in two halves
    (torch.split), the second goes through 1x1+ReLU, depthwise 3x3, 1x1+ReLU and is concatenated after the
    first. Stride 2: no split; both branches downsample (depthwise 3x3 stride 2, 1x1+ReLU; and the stride 1
    branch with a strided depthwise conv). Then the channel shuffle in 2 groups."""

    def __init__(self, c_in, c_out, hw, stride):
        super().__init__()
        self.stride, self.c_out = stride, c_out
        self.hw = (hw - 1) // stride + 1
        half = c_out // 2
        b_in = c_in // 2 if stride == 1 else c_in
        if stride > 1:
            self.branch1 = nn.Sequential(nn.Conv2d(c_in, c_in, 3, stride, 1, groups=c_in),
                                         nn.Conv2d(c_in, half, 1), nn.ReLU())
        self.branch2 = nn.Sequential(nn.Conv2d(b_in, half, 1), nn.ReLU(),
                                     nn.Conv2d(half, half, 3, stride, 1, groups=half),
                                     nn.Conv2d(half, half, 1), nn.ReLU())

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = torch.split(x, [self.c_out // 2, self.c_out // 2], dim=1)
            out = torch.cat((x1, self.branch2(x2)), 1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), 1)
        return channel_shuffle(out, 2, self.c_out, self.hw, self.hw)


class Shuffle(nn.Module):
    """ShuffleNetV2: stem conv3x3+ReLU, a stride 1 unit (channel split) and a stride 2 unit (twice the
    channels), global average pool, Gemm."""

    def __init__(self, in_ch, hw, width, classes):
        super().__init__()
        self.stem = _conv(in_ch, width, 3)
        self.unit1 = ShuffleUnit(width, width, hw, 1)
        self.unit2 = ShuffleUnit(width, 2 * width, hw, 2)
        self.fc = nn.Linear(2 * width, classes)

    def forward(self, x):
        x = self.unit2(self.unit1(torch.relu(self.stem(x))))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


_NETS = {"chain": Chain, "resnet": ResNet, "vgg": VGG, "mobile": Mobile, "hswish": HSwish, "dense": Dense,
         "fire": Fire, "se": SqueezeExcite, "inception": Inception, "shuffle": Shuffle}


def build(kind: str, seed: int = 0, **size) -> nn.Module:
    """The float torch net of KIND with seeded random weights (eval mode)."""
    if kind not in _NETS:
        raise UserError(f"test network kind {kind!r}: expected one of {', '.join(_NETS)}")
    unknown = set(size) - set(DEFAULT_SIZE)
    if unknown:
        raise UserError(f"test network size option(s) {', '.join(sorted(unknown))}: "
                        f"expected {', '.join(DEFAULT_SIZE)}")
    torch.manual_seed(seed)
    net = _NETS[kind](**{**DEFAULT_SIZE, **size})
    with torch.no_grad():  # He init keeps the signal alive through the ReLUs; small random biases
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                m.bias.uniform_(-0.1, 0.1)
            elif isinstance(m, nn.BatchNorm2d):   # statistics of a trained net, not the identity
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
    return net.eval()


def make(kind: str, path, fmt: str = "qop", per_channel: bool = False, prune: float = 0.0,
         zero_bias: bool = True, seed: int = 0, act_dtype: str = "int8", **size) -> Path:
    """Write the quantized test network KIND to PATH and return PATH.

    fmt: 'qop' (QOperator), 'qdq', or 'float' (the unquantized export, for --calibrate tests).
    prune: fraction of filters zeroed in every conv by L1 rank (the Gemm classifier kept whole);
    zero_bias: zero the biases of the pruned filters too.  act_dtype: 'int8' or 'uint8' activations
    (weights are always symmetric int8).  size: in_ch, hw, width, classes.
    """
    net = build(kind, seed, **size)
    prune_filters(net, check_prune(prune), zero_bias)
    s = {**DEFAULT_SIZE, **size}
    shape = (s["in_ch"], s["hw"], s["hw"])
    calib = random_input(shape, n=CALIB_SAMPLES, seed=seed + 1000)
    return write_model(net, shape, path, calib, fmt, per_channel, act_dtype)


def input_shape(model_path) -> tuple:
    """Per-sample input shape (C, H, W) of an ONNX model's first input."""
    dims = onnx.load(str(model_path), load_external_data=False).graph.input[0].type.tensor_type.shape.dim
    return tuple(int(d.dim_value) for d in dims[1:])


def random_input(model_path_or_shape, n: int = 2, seed: int = 0) -> np.ndarray:
    """N seeded float32 inputs uniform in INPUT_RANGE, shaped (N, C, H, W) for a model file or a (C, H, W)."""
    if isinstance(model_path_or_shape, (str, Path)):
        shape = input_shape(model_path_or_shape)
    else:
        shape = tuple(int(d) for d in model_path_or_shape)
    rng = np.random.default_rng(seed)
    return rng.uniform(*INPUT_RANGE, size=(n, *shape)).astype(np.float32)
