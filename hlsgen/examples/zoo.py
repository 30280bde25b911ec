"""The example zoo: named networks, optionally pruned, quantized through onnxruntime.

    lenet-digits    a small LeNet trained on scikit-learn's digits (8x8 grey images, inputs in [-1, 1]),
                    fine-tuned after pruning, calibrated on training images
    resnet20-cifar  ResNet-20 for 3x32x32 inputs (1x1 conv shortcuts), random weights
    vgg16-cifar     VGG-16 (13 convs + BN folded, max pooling) for 3x32x32 inputs, random weights
    resnet18        ResNet-18 for 3x224x224 inputs, random weights
    resnet50        ResNet-50 (v1.5 bottlenecks) for 3x224x224 inputs, random weights
    mobilenet-v2    MobileNetV2 (width 1.0, inverted residual blocks with depthwise convs, ReLU6) for
                    3x224x224 inputs, random weights
    mobilenet-v2-cifar  the same for 3x32x32 inputs (stem and the 24-channel stage at stride 1), 10 classes
    mobilenet-v3-small  MobileNetV3-Small (bottlenecks with Hardswish, squeeze-and-excitation gated by
                    Hardsigmoid, 3x3 and 5x5 depthwise convs) for 3x224x224 inputs, random weights
    mobilenet-v3-small-cifar  the same for 3x32x32 inputs (stem and first bottleneck at stride 1), 10 classes
    resnext50       ResNeXt-50 32x4d (bottlenecks with 32-group 3x3 convs) for 3x224x224 inputs, random weights
    regnetx-400mf   RegNetX-400MF (group width 16, 22 blocks) for 3x224x224 inputs, random weights

Random-weight nets are written by hand (no torchvision), He-initialized with batchnorm whose
statistics come from seeded random inputs, then folded into the convs.  Pruning styles
(``PRUNE_STYLES``; the classifier's outputs always stay whole):

    group           channels pruned by dependency group (residual streams, concat, depthwise pairs;
                    torch-pruning's DependencyGraph, ranked by the group's L1 magnitude), zeroed in
                    place with their biases: the net keeps its shape (SeReNe style)
    group-removed   the same channels removed physically: a narrower net
    per-layer       each conv's filters zeroed by their own L1 rank (residual streams stay live)

``round_to`` N keeps every pruned channel count a multiple of N.  Everything is seeded: the same
arguments give the same model.  Nothing is downloaded.
"""
from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import UserError
from ..util import Progress
from .quantize import (apply_masks, check_output, check_prune, check_round_to, fold_batchnorm, l1_filter_masks,
                       metadata, write_model)
from .testnets import random_input

SEED = 0
PRUNE_STYLES = ("group", "group-removed", "per-layer")
RANDOM_CALIB = 4          # random calibration samples for the random-weight nets


def _no_progress(k=1, note=""):
    """Progress.update's signature, doing nothing."""


# -- building blocks ------------------------------------------------------------------------

def conv_bn(i, o, k, stride=1):
    return [nn.Conv2d(i, o, k, stride, k // 2, bias=False), nn.BatchNorm2d(o)]


class _Block(nn.Module):
    """Residual block: relu(residual(x) + shortcut(x)); a 1x1 conv shortcut when the shape changes."""

    def __init__(self, i, o, stride):
        super().__init__()
        self.relu = nn.ReLU()
        self.down = nn.Sequential(*conv_bn(i, o, 1, stride)) if stride != 1 or i != o else None

    def forward(self, x):
        return self.relu(self.residual(x) + (self.down(x) if self.down is not None else x))


class BasicBlock(_Block):
    expansion = 1

    def __init__(self, i, width, stride=1):
        super().__init__(i, width, stride)
        self.conv1, self.bn1 = conv_bn(i, width, 3, stride)
        self.conv2, self.bn2 = conv_bn(width, width, 3)

    def residual(self, x):
        return self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))


class Bottleneck(_Block):
    """1x1 reduce, 3x3 (carries the stride, as in ResNet v1.5), 1x1 expand."""
    expansion = 4

    def __init__(self, i, width, stride=1):
        super().__init__(i, width * self.expansion, stride)
        self.conv1, self.bn1 = conv_bn(i, width, 1)
        self.conv2, self.bn2 = conv_bn(width, width, 3, stride)
        self.conv3, self.bn3 = conv_bn(width, width * self.expansion, 1)

    def residual(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        return self.bn3(self.conv3(x))


class ResNet(nn.Module):
    def __init__(self, block, depths, widths, stem, classes):
        super().__init__()
        self.stem = stem
        layers, ch = [], stem[0].out_channels
        for n, (depth, width) in enumerate(zip(depths, widths)):
            for j in range(depth):
                layers.append(block(ch, width, 2 if (j == 0 and n > 0) else 1))
                ch = width * block.expansion
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(ch, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


class XBlock(_Block):
    """ResNeXt's / RegNetX's bottleneck: 1x1 to the inner width, a grouped 3x3 (group width GW, carries the
    stride), 1x1 to the output width."""

    def __init__(self, i, inner, o, gw, stride=1):
        super().__init__(i, o, stride)
        self.conv1, self.bn1 = conv_bn(i, inner, 1)
        self.conv2 = nn.Conv2d(inner, inner, 3, stride, 1, groups=inner // gw, bias=False)
        self.bn2 = nn.BatchNorm2d(inner)
        self.conv3, self.bn3 = conv_bn(inner, o, 1)

    residual = Bottleneck.residual


class XNet(nn.Module):
    """Stages of XBlocks (depth, inner width, output width, group width), the first block of each stage
    strided (from STRIDED_FROM on), global average pool, Linear."""

    def __init__(self, stem, stages, classes, strided_from=1):
        super().__init__()
        self.stem, layers, ch = stem, [], stem[0].out_channels
        for n, (depth, inner, out, gw) in enumerate(stages):
            for j in range(depth):
                layers.append(XBlock(ch, inner, out, gw, 2 if (j == 0 and n >= strided_from) else 1))
                ch = out
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(ch, classes)

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.layers(self.stem(x)), 1), 1))


def resnext50():
    """ResNeXt-50 32x4d (Xie et al. 2017): 32 groups in every 3x3."""
    return XNet(imagenet_stem(), ((3, 128, 256, 4), (4, 256, 512, 8), (6, 512, 1024, 16), (3, 1024, 2048, 32)),
                1000)


def regnetx_400mf():
    """RegNetX-400MF (Radosavovic et al. 2020): group width 16, bottleneck ratio 1, stride 2 at every stage."""
    stem = nn.Sequential(*conv_bn(3, 32, 3, 2), nn.ReLU())
    return XNet(stem, ((1, 32, 32, 16), (2, 64, 64, 16), (7, 160, 160, 16), (12, 384, 384, 16)), 1000,
                strided_from=0)


def imagenet_stem():
    return nn.Sequential(*conv_bn(3, 64, 7, 2), nn.ReLU(), nn.MaxPool2d(3, 2, 1))


def resnet20_cifar():
    return ResNet(BasicBlock, (3, 3, 3), (16, 32, 64), nn.Sequential(*conv_bn(3, 16, 3), nn.ReLU()), 10)


def resnet18():
    return ResNet(BasicBlock, (2, 2, 2, 2), (64, 128, 256, 512), imagenet_stem(), 1000)


def resnet50():
    return ResNet(Bottleneck, (3, 4, 6, 3), (64, 128, 256, 512), imagenet_stem(), 1000)


VGG16_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def vgg16_cifar():
    layers, ch = [], 3
    for v in VGG16_CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [*conv_bn(ch, v, 3), nn.ReLU()]
            ch = v
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512, 10))


class LeNet(nn.Module):
    """8x8 grey digit -> 10 classes: three 3x3 convs, two max pools, one Gemm."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


class InvertedResidual(nn.Module):
    """MobileNetV2's block: expand 1x1 (t > 1), depthwise 3x3 with the stride, project 1x1 (no
    activation); a residual add when the shape stays."""

    def __init__(self, i, o, stride, t):
        super().__init__()
        h = i * t
        layers = [*conv_bn(i, h, 1), nn.ReLU6()] if t != 1 else []
        layers += [nn.Conv2d(h, h, 3, stride, 1, groups=h, bias=False), nn.BatchNorm2d(h), nn.ReLU6(),
                   *conv_bn(h, o, 1)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and i == o

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


# (expansion t, channels c, blocks n, stride s) of MobileNetV2 (Sandler et al. 2018, table 2)
MOBILENET_V2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1))


def mobilenet_v2(classes=1000, cifar=False):
    """MobileNetV2 (width 1.0); CIFAR: stem and the 24-channel stage at stride 1 for 32x32 inputs."""
    layers, ch = [*conv_bn(3, 32, 3, 1 if cifar else 2), nn.ReLU6()], 32
    for n_stage, (t, c, n, s) in enumerate(MOBILENET_V2):
        for j in range(n):
            stride = s if j == 0 else 1
            if cifar and n_stage == 1:
                stride = 1
            layers.append(InvertedResidual(ch, c, stride, t))
            ch = c
    layers += [*conv_bn(ch, 1280, 1), nn.ReLU6(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, classes)]
    return nn.Sequential(*layers)


def _divisible(v, d=8):
    """The channel rounding of the MobileNets: the nearest multiple of D, never 10% below V."""
    n = max(d, int(v + d / 2) // d * d)
    return n + d if n < 0.9 * v else n


class SqueezeExcite(nn.Module):
    """MobileNetV3's squeeze-and-excitation: global average pool, 1x1 conv + ReLU, 1x1 conv, Hardsigmoid,
    times the map."""

    def __init__(self, c):
        super().__init__()
        s = _divisible(c // 4)
        self.fc1, self.fc2 = nn.Conv2d(c, s, 1), nn.Conv2d(s, c, 1)

    def forward(self, x):
        g = self.fc2(torch.relu(self.fc1(nn.functional.adaptive_avg_pool2d(x, 1))))
        return x * nn.functional.hardsigmoid(g)


class Bneck(nn.Module):
    """MobileNetV3's bottleneck: expand 1x1 (when wider), depthwise KxK with the stride, SE, project 1x1;
    a residual add when the shape stays."""

    def __init__(self, i, k, e, o, se, act, stride):
        super().__init__()
        layers = [*conv_bn(i, e, 1), act()] if e != i else []
        layers += [nn.Conv2d(e, e, k, stride, k // 2, groups=e, bias=False), nn.BatchNorm2d(e), act()]
        layers += [SqueezeExcite(e)] if se else []
        layers += [*conv_bn(e, o, 1)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and i == o

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)


# (kernel, expanded, out, SE, Hardswish, stride) of MobileNetV3-Small (Howard et al. 2019, table 2)
MOBILENET_V3_SMALL = ((3, 16, 16, 1, 0, 2), (3, 72, 24, 0, 0, 2), (3, 88, 24, 0, 0, 1), (5, 96, 40, 1, 1, 2),
                      (5, 240, 40, 1, 1, 1), (5, 240, 40, 1, 1, 1), (5, 120, 48, 1, 1, 1), (5, 144, 48, 1, 1, 1),
                      (5, 288, 96, 1, 1, 2), (5, 576, 96, 1, 1, 1), (5, 576, 96, 1, 1, 1))


def mobilenet_v3_small(classes=1000, cifar=False):
    """MobileNetV3-Small; CIFAR: the stem and the first bottleneck at stride 1 for 32x32 inputs."""
    layers, ch = [*conv_bn(3, 16, 3, 1 if cifar else 2), nn.Hardswish()], 16
    for n, (k, e, o, se, hs, s) in enumerate(MOBILENET_V3_SMALL):
        layers.append(Bneck(ch, k, e, o, se, nn.Hardswish if hs else nn.ReLU, 1 if cifar and n == 0 else s))
        ch = o
    layers += [*conv_bn(ch, 576, 1), nn.Hardswish(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
               nn.Linear(576, 1024), nn.Hardswish(), nn.Linear(1024, classes)]
    return nn.Sequential(*layers)


RANDOM_NETS = {  # name: (constructor, per-sample input shape)
    "resnet20-cifar": (resnet20_cifar, (3, 32, 32)),
    "vgg16-cifar": (vgg16_cifar, (3, 32, 32)),
    "resnet18": (resnet18, (3, 224, 224)),
    "resnet50": (resnet50, (3, 224, 224)),
    "mobilenet-v2": (mobilenet_v2, (3, 224, 224)),
    "mobilenet-v2-cifar": (lambda: mobilenet_v2(10, cifar=True), (3, 32, 32)),
    "mobilenet-v3-small": (mobilenet_v3_small, (3, 224, 224)),
    "mobilenet-v3-small-cifar": (lambda: mobilenet_v3_small(10, cifar=True), (3, 32, 32)),
    "resnext50": (resnext50, (3, 224, 224)),
    "regnetx-400mf": (regnetx_400mf, (3, 224, 224)),
}
NAMES = ("lenet-digits", *RANDOM_NETS)


# -- random-weight nets ------------------------------------------------------------------------

@torch.no_grad()
def random_net(name: str) -> nn.Module:
    """The float net NAME: He-initialized, BN statistics from seeded random inputs, BN folded."""
    make_net, shape = RANDOM_NETS[name]
    torch.manual_seed(SEED)
    net = make_net()
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.0)
            m.bias.uniform_(-0.1, 0.1)
            m.momentum = None  # cumulative average over the statistics pass
    net.train()
    net(torch.from_numpy(random_input(shape, n=RANDOM_CALIB, seed=SEED + 1)))
    return fold_batchnorm(net.eval())


# -- lenet-digits ------------------------------------------------------------------------------

DIGITS_TEST_FRACTION = 0.25
TRAIN_EPOCHS = 40
FINETUNE_EPOCHS = 15
DIGITS_CALIB = 128


@functools.lru_cache(maxsize=1)
def _digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images.astype(np.float32) / 8.0 - 1.0)[:, None]  # 0..16 -> [-1, 1], (N, 1, 8, 8)
    return train_test_split(x, d.target.astype(np.int64), test_size=DIGITS_TEST_FRACTION,
                            random_state=SEED, stratify=d.target)


def digits_split():
    """The held-out part of scikit-learn's digits: (x float32 (N, 1, 8, 8) in [-1, 1], y int64 (N,))."""
    _, x_test, _, y_test = _digits()
    return x_test.copy(), y_test.copy()


def digits_train():
    """The training part of the digits split, as digits_split()."""
    x_train, _, y_train, _ = _digits()
    return x_train.copy(), y_train.copy()


@contextlib.contextmanager
def _one_thread():
    """Train on one thread: reproducible sums and modest CPU use on a shared machine."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def _train(net, epochs, lr, masks=None, step=_no_progress):
    """Adam on the digits training split; MASKS (pruned filters) are re-applied after every step."""
    x, y = map(torch.from_numpy, digits_train())
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(SEED)
    net.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=gen).split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
            if masks:
                apply_masks(masks)
        step(1, "fine-tune" if masks else "train")
    return net.eval()


@torch.no_grad()
def accuracy(net, x, y) -> float:
    return float((net(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


_TRAINED = {}  # the unpruned LeNet's state_dict, trained once per process


def _trained_lenet_state(step=_no_progress):
    if "lenet" not in _TRAINED:
        torch.manual_seed(SEED)
        with _one_thread():
            _TRAINED["lenet"] = _train(LeNet(), TRAIN_EPOCHS, 1e-2, step=step).state_dict()
    return _TRAINED["lenet"]


def _lenet_steps(prune: float) -> int:
    return (0 if "lenet" in _TRAINED else TRAIN_EPOCHS) + (FINETUNE_EPOCHS if prune else 0) + 1


def lenet_digits(prune: float, step=_no_progress, style: str = "group", round_to: int | None = None) -> nn.Module:
    """LeNet trained on digits; at PRUNE > 0 pruned by STYLE (``prune_net``) and fine-tuned."""
    net = LeNet()
    net.load_state_dict(_trained_lenet_state(step))
    step(1, "trained")
    if prune:
        masks = prune_net(net, (1, 8, 8), prune, style, round_to)
        with _one_thread():
            _train(net, FINETUNE_EPOCHS, 3e-3, masks, step)
    return net.eval()


def prune_net(net: nn.Module, input_shape: tuple, prune: float, style: str = "group",
              round_to: int | None = None) -> dict:
    """Prune NET in place at level PRUNE by STYLE (module docstring); returns the keep masks of the
    zeroed filters ({} when channels were removed or nothing was pruned)."""
    if not prune:
        return {}
    if style == "per-layer":
        masks = l1_filter_masks(net, prune, round_to)
    else:
        from . import coupled
        sel = coupled.select(net, input_shape, prune, round_to)
        if style == "group-removed":
            coupled.remove(sel)
            return {}
        masks = coupled.masks(sel)
    apply_masks(masks)
    return masks


def check_prune_style(style: str) -> str:
    if style not in PRUNE_STYLES:
        raise UserError(f"--prune-style {style!r}: expected one of {', '.join(PRUNE_STYLES)}")
    return style


# -- the entry point ---------------------------------------------------------------------------

def default_format(name: str) -> str:
    """qop, or qdq for the MobileNetV3s: onnxruntime's QOperator quantizer runs the global average pool
    of their squeeze-and-excitation on the float Hardswish output, which hlsgen cannot reproduce."""
    return "qdq" if name.startswith("mobilenet-v3") else "qop"


def make_example(name: str, prune: float = 0.0, fmt: str | None = None, out="model.onnx",
                 progress: bool = False, prune_style: str = "group", round_to: int | None = None) -> Path:
    """Build example NAME pruned at level PRUNE by PRUNE_STYLE (``PRUNE_STYLES``; ROUND_TO: pruned
    channel counts stay multiples of it), quantize it (FMT 'qop' | 'qdq'; default ``default_format``), write OUT.

    progress: show a progress bar on stderr (hlsgen.util.Progress).  Returns OUT.
    The written model's metadata (see ``metadata(path)``) records the name, the prune level and style,
    and for lenet-digits the float model's held-out accuracy.
    """
    if name not in NAMES:
        raise UserError(f"unknown example {name!r}: expected one of {', '.join(NAMES)}")
    prune = check_prune(prune)
    check_prune_style(prune_style)
    round_to = check_round_to(round_to)
    fmt = fmt or default_format(name)
    if fmt not in ("qop", "qdq"):
        raise UserError(f"--format {fmt!r}: expected qop or qdq")
    check_output(out)
    meta = {"hlsgen.example": name, "hlsgen.prune": f"{prune:g}", "hlsgen.prune_style": prune_style}
    if round_to:
        meta["hlsgen.round_to"] = str(round_to)
    lenet = name == "lenet-digits"
    total = 2 + (_lenet_steps(prune) if lenet else 1)
    bar = Progress(total, f"example {name}") if progress else None
    step = bar.update if bar else _no_progress
    ok = False
    try:
        if lenet:
            net = lenet_digits(prune, step, prune_style, round_to)
            shape = (1, 8, 8)
            calib = digits_train()[0][:DIGITS_CALIB]
            meta["hlsgen.accuracy_float"] = f"{accuracy(net, *digits_split()):.4f}"
        else:
            net = random_net(name)
            step(1, "built")
            shape = RANDOM_NETS[name][1]
            prune_net(net, shape, prune, prune_style, round_to)
            calib = random_input(shape, n=RANDOM_CALIB, seed=SEED + 2)
        step(1, "export and quantize")
        path = write_model(net, shape, out, calib, fmt, metadata=meta)
        step(1, "written")
        ok = True
    finally:
        if bar:
            bar.close(done=ok)
    return path
