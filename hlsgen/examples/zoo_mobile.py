"""The zoo's MobileNets: MobileNetV2 (inverted residuals, depthwise convs) and MobileNetV3-Small
(bottlenecks with squeeze-and-excitation, Hardswish)."""
from __future__ import annotations

import torch
from torch import nn

from .zoo_resnet import conv_bn


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
