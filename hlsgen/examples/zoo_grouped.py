"""The zoo's grouped-conv nets: ResNeXt-50 32x4d and RegNetX-400MF (bottlenecks with grouped 3x3 convs)."""
from __future__ import annotations

import torch
from torch import nn

from .zoo_resnet import Bottleneck, _Block, conv_bn, imagenet_stem


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
