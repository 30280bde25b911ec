"""Build a small QOperator ONNX model and the matching IR graph side by side.

Each method adds one op to both: the ONNX node(s) onnxruntime runs and the IR
layer the golden model runs, from the same parameters.  ``check`` runs both
and returns the number of mismatching elements over every checked tensor.
"""
from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from .. import ir
from . import reference
from .run import run_tensors

ONNX_TYPE = {"int8": TensorProto.INT8, "uint8": TensorProto.UINT8}
MS = "com.microsoft"


def _node_table(op_type, qx: ir.QParams, qy: ir.QParams, attrs) -> np.ndarray:
    """(1, 256): onnxruntime's output of the com.microsoft node OP_TYPE for every input byte."""
    sx, zx, sy, zy = (numpy_helper.from_array(np.asarray(v), n) for v, n in (
        (np.float32(qx.scale), "sx"), (np.array(qx.zero_point, qx.dtype), "zx"),
        (np.float32(qy.scale), "sy"), (np.array(qy.zero_point, qy.dtype), "zy")))
    node = helper.make_node(op_type, ["x", "sx", "zx", "sy", "zy"], ["y"], domain=MS, **attrs)
    g = helper.make_graph([node], "table", [helper.make_tensor_value_info("x", ONNX_TYPE[qx.dtype], [256])],
                          [helper.make_tensor_value_info("y", ONNX_TYPE[qy.dtype], [256])], [sx, zx, sy, zy])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(MS, 1)],
                              ir_version=8)
    import onnxruntime as ort
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.arange(256, dtype=np.uint8).view(qx.np_dtype)
    return sess.run(None, {"x": x})[0].astype(np.int32).reshape(1, 256)


class Net:
    def __init__(self, shape):
        """A network with one float input 'x' of per-sample SHAPE."""
        self.nodes, self.inits, self.layers = [], [], []
        self.tensors = {"x": ir.Tensor("x", tuple(int(d) for d in shape))}
        self.checked = []          # tensors also exposed as ONNX outputs

    # -- plumbing --------------------------------------------------------
    def _const(self, name, value):
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def _qconst(self, prefix, q: ir.QParams):
        return (self._const(f"{prefix}_s", np.float32(q.scale)),
                self._const(f"{prefix}_z", np.array(q.zero_point, dtype=q.dtype)))

    def _wconst(self, prefix, w, w_scale, w_zp):
        """Weight scale and zero point: scalars when uniform (per-tensor), else per channel."""
        scale, zp = np.asarray(w_scale, np.float32), np.asarray(w_zp).astype(w.dtype)
        if np.all(scale == scale.flat[0]) and np.all(zp == zp.flat[0]):
            scale, zp = scale.flat[0], zp.flat[0]
        return self._const(f"{prefix}_ws", scale), self._const(f"{prefix}_wz", np.asarray(zp, w.dtype))

    def _add(self, op, inputs, shape, q, attrs=None, params=None, check=True):
        name = f"t{len(self.layers)}"
        self.tensors[name] = ir.Tensor(name, tuple(shape), q)
        self.layers.append(ir.Layer(f"n{len(self.layers)}", op, list(inputs), [name],
                                    attrs or {}, params or {}))
        if check:
            self.checked.append(name)
        return name

    def q(self, name) -> ir.QParams:
        return self.tensors[name].q

    # -- ops ------------------------------------------------------------
    def quantize(self, x, q):
        out = self._add("quantize", [x], self.tensors[x].shape, q)
        self.nodes.append(helper.make_node("QuantizeLinear", [x, *self._qconst(out, q)], [out]))
        return out

    def dequantize(self, x):
        out = self._add("dequantize", [x], self.tensors[x].shape, None)
        self.nodes.append(helper.make_node("DequantizeLinear", [x, *self._qconst(x + "_dq", self.q(x))], [out]))
        return out

    def conv(self, x, w, w_zp, w_scale, b, qy, stride=(1, 1), pads=(0, 0, 0, 0),
             dilation=(1, 1), groups=1, act=None):
        c, h, wd = self.tensors[x].shape
        o, _, kh, kw = w.shape
        oh = ir.conv_out_size(h, kh, stride[0], pads[0], pads[2], dilation[0])
        ow = ir.conv_out_size(wd, kw, stride[1], pads[1], pads[3], dilation[1])
        act_min, act_max = act or (qy.qmin, qy.qmax)
        out = self._add("conv", [x], (o, oh, ow), qy,
                        dict(kernel=(kh, kw), stride=stride, pads=pads, dilation=dilation,
                             groups=groups, act_min=act_min, act_max=act_max),
                        dict(w=w, w_zp=np.asarray(w_zp, np.int32), w_scale=np.asarray(w_scale, np.float32),
                             b=np.asarray(b, np.int32)))
        pre = out if act is None else out + "_pre"
        ins = [x, *self._qconst(out + "_x", self.q(x)), self._const(out + "_w", w),
               *self._wconst(out, w, w_scale, w_zp),
               *self._qconst(out, qy), self._const(out + "_b", np.asarray(b, np.int32))]
        self.nodes.append(helper.make_node("QLinearConv", ins, [pre], strides=list(stride),
                                           pads=[pads[0], pads[1], pads[2], pads[3]],
                                           dilations=list(dilation), group=groups,
                                           kernel_shape=[kh, kw]))
        if act is not None:
            self.nodes.append(helper.make_node(
                "Clip", [pre, self._const(out + "_lo", np.array(act_min, qy.dtype)),
                         self._const(out + "_hi", np.array(act_max, qy.dtype))], [out]))
        return out

    def matmul(self, x, w, w_zp, w_scale, qy):
        """QLinearMatMul with B = w.T (w: (O, I)); no bias."""
        o = w.shape[0]
        out = self._add("gemm", [x], (o,), qy, {},
                        dict(w=w, w_zp=np.asarray(w_zp, np.int32), w_scale=np.asarray(w_scale, np.float32),
                             b=np.zeros(o, np.int32)))
        ins = [x, *self._qconst(out + "_x", self.q(x)), self._const(out + "_w", np.ascontiguousarray(w.T)),
               *self._wconst(out, w, w_scale, w_zp),
               *self._qconst(out, qy)]
        self.nodes.append(helper.make_node("QLinearMatMul", ins, [out]))
        return out

    def qgemm(self, x, w, w_zp, w_scale, b, qy):
        """com.microsoft QGemm, transB=1 (w: (O, I)), int32 bias C."""
        o = w.shape[0]
        out = self._add("gemm", [x], (o,), qy, {},
                        dict(w=w, w_zp=np.asarray(w_zp, np.int32), w_scale=np.asarray(w_scale, np.float32),
                             b=np.asarray(b, np.int32)))
        ins = [x, *self._qconst(out + "_x", self.q(x)), self._const(out + "_w", w),
               *self._wconst(out, w, w_scale, w_zp),
               self._const(out + "_b", np.asarray(b, np.int32)), *self._qconst(out, qy)]
        self.nodes.append(helper.make_node("QGemm", ins, [out], domain=MS, transB=1, alpha=1.0))
        return out

    def add(self, a, b, qy):
        out = self._add("add", [a, b], self.tensors[a].shape, qy, dict(act_min=qy.qmin, act_max=qy.qmax))
        ins = [a, *self._qconst(out + "_a", self.q(a)), b, *self._qconst(out + "_b", self.q(b)),
               *self._qconst(out, qy)]
        self.nodes.append(helper.make_node("QLinearAdd", ins, [out], domain=MS))
        return out

    def mul(self, a, b, qy):
        """QLinearMul of a map A by a per-channel vector B (C, 1, 1), broadcast (squeeze-and-excitation)."""
        out = self._add("mul", [a, b], self.tensors[a].shape, qy)
        ins = [a, *self._qconst(out + "_a", self.q(a)), b, *self._qconst(out + "_b", self.q(b)),
               *self._qconst(out, qy)]
        self.nodes.append(helper.make_node("QLinearMul", ins, [out], domain=MS))
        return out

    def _pool_shape(self, x, kernel, stride, pads):
        c, h, w = self.tensors[x].shape
        return (c, ir.conv_out_size(h, kernel[0], stride[0], pads[0], pads[2]),
                ir.conv_out_size(w, kernel[1], stride[1], pads[1], pads[3]))

    def avgpool(self, x, qy, kernel, stride, pads, count_include_pad):
        shape = self._pool_shape(x, kernel, stride, pads)
        out = self._add("avgpool", [x], shape, qy,
                        dict(kernel=kernel, stride=stride, pads=pads, count_include_pad=int(count_include_pad)))
        ins = [x, *self._qconst(out + "_x", self.q(x)), *self._qconst(out, qy)]
        self.nodes.append(helper.make_node("QLinearAveragePool", ins, [out], domain=MS,
                                           kernel_shape=list(kernel), strides=list(stride), pads=list(pads),
                                           count_include_pad=int(count_include_pad)))
        return out

    def gavgpool(self, x, qy):
        out = self._add("gavgpool", [x], (self.tensors[x].shape[0], 1, 1), qy)
        ins = [x, *self._qconst(out + "_x", self.q(x)), *self._qconst(out, qy)]
        self.nodes.append(helper.make_node("QLinearGlobalAveragePool", ins, [out], domain=MS, channels_last=0))
        return out

    def maxpool(self, x, kernel, stride, pads):
        shape = self._pool_shape(x, kernel, stride, pads)
        out = self._add("maxpool", [x], shape, self.q(x), dict(kernel=kernel, stride=stride, pads=pads))
        self.nodes.append(helper.make_node("MaxPool", [x], [out], kernel_shape=list(kernel),
                                           strides=list(stride), pads=list(pads)))
        return out

    def concat(self, xs, qy):
        shapes = [self.tensors[x].shape for x in xs]
        shape = (sum(s[0] for s in shapes),) + tuple(shapes[0][1:])
        out = self._add("concat", list(xs), shape, qy, dict(axis=0))
        ins = [*self._qconst(out, qy)]
        for x in xs:
            ins += [x, *self._qconst(f"{out}_{x}", self.q(x))]
        self.nodes.append(helper.make_node("QLinearConcat", ins, [out], domain=MS, axis=1))
        return out

    def clip(self, x, lo, hi):
        """Clip (opset 13) on a quantized tensor, bounds in its integer domain."""
        q = self.q(x)
        out = self._add("clip", [x], self.tensors[x].shape, q, dict(act_min=lo, act_max=hi))
        self.nodes.append(helper.make_node("Clip", [x, self._const(out + "_lo", np.array(lo, q.dtype)),
                                                    self._const(out + "_hi", np.array(hi, q.dtype))], [out]))
        return out

    def unary(self, x, op_type, qy, **attrs):
        """An element-wise function of one quantized tensor: com.microsoft OP_TYPE (QLinearSigmoid,
        QLinearLeakyRelu) in the model, a ``table`` layer in the IR whose 256 entries onnxruntime
        computes with the same node."""
        qx = self.q(x)
        out = self._add("table", [x], self.tensors[x].shape, qy, dict(source=op_type),
                        dict(table=_node_table(op_type, qx, qy, attrs)))
        ins = [x, *self._qconst(out + "_x", qx), *self._qconst(out, qy)]
        self.nodes.append(helper.make_node(op_type, ins, [out], domain=MS, **attrs))
        return out

    def flatten(self, x):
        out = self._add("flatten", [x], (int(np.prod(self.tensors[x].shape)),), self.q(x))
        self.nodes.append(helper.make_node("Flatten", [x], [out], axis=1))
        return out

    # -- running ----------------------------------------------------------
    def graph(self, output) -> ir.Graph:
        g = ir.Graph(dict(self.tensors), list(self.layers), ["x"], [output])
        g.validate()
        return g

    def onnx_model(self, output) -> bytes:
        def info(name):
            t = self.tensors[name]
            elem = TensorProto.FLOAT if t.q is None else ONNX_TYPE[t.q.dtype]
            return helper.make_tensor_value_info(name, elem, ["N", *(int(d) for d in t.shape)])
        outs = [output] + [t for t in self.checked if t != output]
        g = helper.make_graph(self.nodes, "golden_check", [info("x")], [info(t) for t in outs], self.inits)
        model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(MS, 1)],
                                  ir_version=8)
        return model.SerializeToString()

    def check(self, x, output):
        """Run onnxruntime and the golden model on X; return (mismatching elements, elements)."""
        model = self.onnx_model(output)
        outs = [output] + [t for t in self.checked if t != output]
        got = reference.ort_run(model, x)
        values = run_tensors(self.graph(output), x)
        bad = total = 0
        for name, ref in zip(outs, got):
            mine = values[name]
            assert mine.dtype == ref.dtype and mine.shape == ref.shape, (name, mine.dtype, ref.dtype,
                                                                           mine.shape, ref.shape)
            bad += int(np.sum(mine != ref))
            total += ref.size
        return bad, total

