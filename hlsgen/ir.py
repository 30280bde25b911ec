"""Integer graph IR: the one representation every stage of hlsgen reads.

A Graph is a list of Layers in topological order over named Tensors.  Shapes
are per sample (batch dimension dropped): (C, H, W) for feature maps, (C,) for
vectors.  Every integer tensor carries its quantization (scale, zero point,
dtype); the float model input and output carry none.

Ops (``Layer.op``) and what they hold:

    quantize    float input -> int      (attrs: none; output tensor's q is the quantizer)
    dequantize  int -> float output     (input tensor's q is used)
    conv        params w (O, I/groups, KH, KW) int8|uint8 as stored in the model,
                       w_zp int32 (O,), w_scale float32 (O,), b int32 (O,)
                attrs  kernel (KH, KW), stride (SH, SW), pads (top, left, bottom, right),
                       dilation (DH, DW), groups,
                       act_min, act_max: clamp bounds in the output's integer domain
                       (dtype range unless an activation was absorbed)
    gemm        params w (O, I), w_zp (O,), w_scale (O,), b (O,); input (I,) -> output (O,)
                attrs  act_min, act_max
    add         two inputs; attrs act_min, act_max
    mul         a feature map times a per-channel vector (C, 1, 1) (squeeze-and-excitation), QLinearMul
    avgpool     attrs kernel, stride, pads, count_include_pad
    gavgpool    global average pool, (C, H, W) -> (C, 1, 1)
    maxpool     attrs kernel, stride, pads
    concat      attrs axis (0 = channels, per-sample axis)
    flatten     (C, H, W) -> (C*H*W,) in ONNX (C-major) order
    clip        attrs act_min, act_max in the integer domain (Relu/Clip on a quantized tensor)
    table       an element-wise function of one integer tensor as 256-entry lookup tables
                params table int32 (T, 256): the output integer for every input byte, indexed
                       by the byte read as unsigned (x & 0xff); T = 1 (the same function for
                       every channel) or T = C (one table per channel, e.g. a float BatchNorm)
                attrs  source: what the table replaces (op types, for reports)
    gather      channel selection: y[c] = x[index[c]] (H, W unchanged, the same quantization in and out)
                attrs  index: tuple of input channel numbers, any length (a channel shuffle's
                       permutation, a Split / Slice output's range)

Analyses annotate ``Layer.meta`` (pruning: live channels, constants; planner:
schedule); they never change ``params`` in place -- a pass returns a new Graph.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

OPS = ("quantize", "dequantize", "conv", "gemm", "add", "mul", "avgpool", "gavgpool",
       "maxpool", "concat", "flatten", "clip", "table", "gather")

DTYPE_RANGE = {"int8": (-128, 127), "uint8": (0, 255)}


@dataclass(frozen=True)
class QParams:
    """Quantization of one tensor: real = scale * (q - zero_point)."""
    scale: float          # a float32 value, stored as Python float (exact)
    zero_point: int
    dtype: str            # 'int8' | 'uint8'

    def __post_init__(self):
        if self.dtype not in DTYPE_RANGE:
            raise ValueError(f"unsupported quantized dtype {self.dtype}")
        object.__setattr__(self, "scale", float(np.float32(self.scale)))
        object.__setattr__(self, "zero_point", int(self.zero_point))

    @property
    def qmin(self) -> int:
        return DTYPE_RANGE[self.dtype][0]

    @property
    def qmax(self) -> int:
        return DTYPE_RANGE[self.dtype][1]

    @property
    def np_dtype(self):
        return np.dtype(self.dtype)


@dataclass
class Tensor:
    name: str
    shape: tuple            # per sample: (C, H, W) or (C,)
    q: QParams | None = None  # None: float tensor (model input / output)

    @property
    def channels(self) -> int:
        return int(self.shape[0])


@dataclass
class Layer:
    name: str               # the ONNX node name (unsanitized; unique within the graph)
    op: str
    inputs: list
    outputs: list
    attrs: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.op not in OPS:
            raise ValueError(f"unknown IR op {self.op!r}")


@dataclass
class Graph:
    tensors: dict           # name -> Tensor
    layers: list            # topological order
    inputs: list            # names of float graph inputs
    outputs: list           # names of float graph outputs
    source_format: str = "qop"   # 'qop' | 'qdq' | 'float' (quantized on the way in)
    name: str = "model"
    meta: dict = field(default_factory=dict)

    # -- lookups ---------------------------------------------------------
    def tensor(self, name: str) -> Tensor:
        return self.tensors[name]

    def producer(self, tensor_name: str) -> Layer | None:
        for layer in self.layers:
            if tensor_name in layer.outputs:
                return layer
        return None

    def consumers(self, tensor_name: str) -> list:
        return [layer for layer in self.layers if tensor_name in layer.inputs]

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def copy(self) -> "Graph":
        return copy.deepcopy(self)

    def validate(self) -> None:
        """Structural checks: every input is produced before use, names unique."""
        known = set(self.inputs)
        seen_layers = set()
        for layer in self.layers:
            if layer.name in seen_layers:
                raise ValueError(f"duplicate layer name {layer.name!r}")
            seen_layers.add(layer.name)
            for t in layer.inputs:
                if t not in known:
                    raise ValueError(f"layer {layer.name!r} reads {t!r} before it is produced")
            for t in layer.outputs:
                if t not in self.tensors:
                    raise ValueError(f"layer {layer.name!r} writes unknown tensor {t!r}")
                known.add(t)
        for t in self.outputs:
            if t not in known:
                raise ValueError(f"graph output {t!r} is produced by no layer")


# -- per-layer figures used by inspect, prune report and planner ------------

def conv_out_size(size: int, k: int, s: int, pad0: int, pad1: int, d: int = 1) -> int:
    return (size + pad0 + pad1 - d * (k - 1) - 1) // s + 1


def layer_macs(graph: Graph, layer: Layer) -> int:
    """Dense multiply-accumulates of one sample (0 for layers without MACs)."""
    if layer.op == "conv":
        w = layer.params["w"]
        out = graph.tensor(layer.outputs[0]).shape
        return int(np.prod(out)) * int(np.prod(w.shape[1:]))
    if layer.op == "gemm":
        return int(np.prod(layer.params["w"].shape))
    return 0


def layer_params(layer: Layer) -> int:
    return sum(int(np.prod(layer.params[k].shape)) for k in ("w", "b") if k in layer.params)
