"""What every example of the zoo (hlsgen.examples.zoo) shares: the seed, the calibration size of the
random-weight nets, and pruning by style."""
from __future__ import annotations

from torch import nn

from ..errors import UserError
from .quantize import apply_masks, l1_filter_masks

SEED = 0
PRUNE_STYLES = ("group", "group-removed", "per-layer")
RANDOM_CALIB = 4          # random calibration samples for the random-weight nets


def no_progress(k=1, note=""):
    """Progress.update's signature, doing nothing."""


def prune_net(net: nn.Module, input_shape: tuple, prune: float, style: str = "group",
              round_to: int | None = None) -> dict:
    """Prune NET in place at level PRUNE by STYLE (the styles: hlsgen.examples.zoo); returns the keep masks
    of the zeroed filters ({} when channels were removed or nothing was pruned)."""
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
