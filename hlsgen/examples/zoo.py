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

from pathlib import Path

import torch
from torch import nn

from ..errors import UserError
from ..util import Progress
from .quantize import check_output, check_prune, check_round_to, fold_batchnorm, metadata, write_model
from .testnets import random_input
from .zoo_common import PRUNE_STYLES, RANDOM_CALIB, SEED, no_progress, check_prune_style, prune_net
from .zoo_grouped import regnetx_400mf, resnext50
from .zoo_lenet import DIGITS_CALIB, lenet_steps, accuracy, digits_split, digits_train, lenet_digits
from .zoo_mobile import mobilenet_v2, mobilenet_v3_small
from .zoo_resnet import resnet18, resnet20_cifar, resnet50, vgg16_cifar

# what other modules and tests read from here besides the registry
__all__ = ["NAMES", "PRUNE_STYLES", "RANDOM_NETS", "default_format", "digits_split", "make_example", "metadata",
           "random_input", "random_net"]


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
    total = 2 + (lenet_steps(prune) if lenet else 1)
    bar = Progress(total, f"example {name}") if progress else None
    step = bar.update if bar else no_progress
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
