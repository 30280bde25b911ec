"""The zoo's lenet-digits: a small LeNet trained on scikit-learn's digits, fine-tuned after pruning."""
from __future__ import annotations

import contextlib
import functools

import numpy as np
import torch
from torch import nn

from .quantize import apply_masks
from .zoo_common import SEED, no_progress, prune_net


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


def _train(net, epochs, lr, masks=None, step=no_progress):
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


def _trained_lenet_state(step=no_progress):
    if "lenet" not in _TRAINED:
        torch.manual_seed(SEED)
        with _one_thread():
            _TRAINED["lenet"] = _train(LeNet(), TRAIN_EPOCHS, 1e-2, step=step).state_dict()
    return _TRAINED["lenet"]


def lenet_steps(prune: float) -> int:
    return (0 if "lenet" in _TRAINED else TRAIN_EPOCHS) + (FINETUNE_EPOCHS if prune else 0) + 1


def lenet_digits(prune: float, step=no_progress, style: str = "group", round_to: int | None = None) -> nn.Module:
    """LeNet trained on digits; at PRUNE > 0 pruned by STYLE (``prune_net``) and fine-tuned."""
    net = LeNet()
    net.load_state_dict(_trained_lenet_state(step))
    step(1, "trained")
    if prune:
        masks = prune_net(net, (1, 8, 8), prune, style, round_to)
        with _one_thread():
            _train(net, FINETUNE_EPOCHS, 3e-3, masks, step)
    return net.eval()
