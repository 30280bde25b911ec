"""Schedule: the compacted IR mapped onto engine invocations (ENGINE.md sections 1, 3, 4).

``lower(graph, engine)`` decides, layer by layer: where every tensor lives in the
activation memory (plan.memory), which layers fuse (plan.fusion: clip into its producer, a
residual add into the conv epilogue), the row tiles of every conv and pool (plan.row_tiles, sized
to the input buffer), and the fields of every invocation (plan.lower_conv, plan.lower_vector).
With ``pack=True`` it also builds weights.bin (plan.weight_pack: engine layout, bias' with zx
folded, requant scale bits). The cycle model, the tiled golden and the emitters read the result.
``buffer_needs`` (plan.buffers) sizes the buffers before an engine is chosen.
"""
from __future__ import annotations

from .. import ir
from .buffers import buffer_needs
from .concat import with_concat_tables
from .engine import Engine
from .fusion import Fusion
from .gather import without_gathers
from .lower_conv import ConvLowering
from .lower_vector import VectorLowering
from .memory import ActivationMemory, BankConflict
from .reuse import reuse
from .steps import Schedule, Step
from .weight_pack import WeightBlob

__all__ = ["Schedule", "Step", "buffer_needs", "lower"]


class _Lowering(ConvLowering, VectorLowering):
    """One lowering of GRAPH on ENGINE over BANKS activation banks: ``run()`` the Schedule."""

    def __init__(self, graph: ir.Graph, engine: Engine, pack: bool, banks: int):
        self.g, self.e = graph, engine
        self.fx = Fusion(graph)
        self.mem = ActivationMemory(graph, engine, banks, self.fx)
        self.wts = WeightBlob(engine, pack)
        self.done: set = set()

    def run(self) -> Schedule:
        steps = []
        for layer in self.g.layers:
            if layer.name in self.done:
                continue
            fn = getattr(self, f"_lower_{layer.op}")
            step = fn(layer)
            self.done.update(step.layers)
            steps.append(step)
        sched = Schedule(self.e, self.mem.tensors, steps, self.mem.top,
                         bytes(self.wts.blob) if self.wts.pack else None, self.wts.size)
        return reuse(sched, self.mem.sizes)

    def _lower_quantize(self, layer):
        m = self.mem.map(layer.outputs[0])
        return Step(layer.name, "quantize", [layer.name],
                    host=[{"kind": "quantize", "layer": layer.name, "input": layer.inputs[0],
                           "tensor": m.name}])

    def _lower_dequantize(self, layer):
        m = self.mem.map(layer.inputs[0])
        return Step(layer.name, "dequantize", [layer.name],
                    host=[{"kind": "dequantize", "layer": layer.name, "tensor": m.name,
                           "output": layer.outputs[0]}])

    def _lower_flatten(self, layer):
        self.mem.view(layer.outputs[0], self.mem.map(layer.inputs[0]))
        return Step(layer.name, "flatten", [layer.name], info={"free": "layout permutation in the gemm weights"})

    def _lower_concat(self, layer):
        self.mem.map(layer.outputs[0])
        return Step(layer.name, "concat", [layer.name], info={"free": "inputs written at channel offsets"})


def lower(graph: ir.Graph, engine: Engine, pack: bool = True) -> Schedule:
    """Schedule over the engine's activation banks; all in one bank when two would make an
    invocation read through act_rd from both."""
    graph = with_concat_tables(without_gathers(graph))
    try:
        return _Lowering(graph, engine, pack, engine.act_banks).run()
    except BankConflict:
        return _Lowering(graph, engine, pack, 1).run()
