"""Coupled-group channel pruning of the example nets with torch-pruning's DependencyGraph.

A channel of a residual stream is written by several convs (the shortcut and the last conv of every
block of the stage) and read by several; concat and depthwise pairs couple channels too.  Pruning
one conv alone leaves the stream's channel live, so nothing can be removed.  Here the unit is the
dependency group: all coupled layers lose the same channels at once.

* ``select(net, input_shape, prune, round_to)``: per group, the channels to prune, ranked by the
  group's mean L1 magnitude (ties: lower index), the classifier's outputs kept;
* ``masks(selection)``: {conv / linear module: keep mask over its outputs}, for zeroing in place
  (``quantize.apply_masks``; the net keeps its shape, SeReNe style);
* ``remove(selection)``: the channels removed physically (the net gets narrower).

Both apply the same selection, so a zeroed net compacts to the removed one.  torch-pruning is an
optional dependency (``pip install hlsgen[examples]``); it is imported when a net is pruned.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..errors import UserError
from .quantize import kept_count


def _tp():
    try:
        import torch_pruning
    except ImportError:
        raise UserError("--prune-style group: needs torch-pruning (pip install hlsgen[examples]), "
                        "or use --prune-style per-layer") from None
    return torch_pruning


@dataclass
class Selection:
    """The channels to prune, one entry per dependency group: (root module, pruning fn, indices)."""
    dg: object                  # torch_pruning.DependencyGraph of the net
    groups: list                # [(root module, pruning fn, sorted channel indices)]

    def members(self, root, fn, idxs) -> list:
        """[(module, indices)] of the conv / linear outputs the group prunes at IDXS."""
        out = []
        for dep, sub in self.dg.get_pruning_group(root, fn, idxs).items:
            m = dep.target.module
            if isinstance(m, (nn.Conv2d, nn.Linear)) and self.dg.is_out_channel_pruning_fn(dep.handler):
                out.append((m, list(sub)))
        return out


def classifier(net: nn.Module) -> nn.Module:
    """The last Linear of NET: its outputs are the classes and stay whole."""
    return [m for m in net.modules() if isinstance(m, nn.Linear)][-1]


def select(net: nn.Module, input_shape: tuple, prune: float, round_to: int | None = None) -> Selection:
    """Per dependency group of NET, the lowest-ranked channels at level PRUNE (``kept_count``)."""
    tp = _tp()
    net.eval()
    dg = tp.DependencyGraph().build_dependency(net, example_inputs=torch.zeros((1, *input_shape)),
                                               verbose=False)
    rank = tp.importance.GroupMagnitudeImportance(p=1, normalizer=None, group_reduction="mean")
    groups = []
    for group in dg.get_all_groups(ignored_layers=[classifier(net)], root_module_types=[nn.Conv2d, nn.Linear]):
        dep = group[0].dep
        n = len(group[0].idxs)
        drop = n - kept_count(n, prune, round_to)
        if drop <= 0:
            continue
        with torch.no_grad():
            score = rank(group).double().numpy()
        order = np.argsort(score, kind="stable")
        groups.append((dep.target.module, dep.handler, sorted(int(i) for i in order[:drop])))
    return Selection(dg, groups)


def masks(sel: Selection) -> dict:
    """{conv / linear module: bool keep mask over its outputs} of every pruned group member."""
    out = {}
    for root, fn, idxs in sel.groups:
        for m, sub in sel.members(root, fn, idxs):
            keep = out.setdefault(m, np.ones(m.weight.shape[0], dtype=bool))
            keep[sub] = False
    return out


@torch.no_grad()
def remove(sel: Selection) -> None:
    """Remove the selected channels physically, group by group (groups are disjoint, so the indices
    of a group stay valid while the others are pruned)."""
    for root, fn, idxs in sel.groups:
        sel.dg.get_pruning_group(root, fn, idxs).prune()
