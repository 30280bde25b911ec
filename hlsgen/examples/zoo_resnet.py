"""The zoo's ResNets and VGG: residual blocks (basic, bottleneck), the ImageNet stem, ResNet-20/CIFAR,
ResNet-18, ResNet-50, VGG-16/CIFAR."""
from __future__ import annotations

import torch
from torch import nn


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
