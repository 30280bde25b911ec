"""Add and pooling arithmetic through build + C simulation against onnxruntime: random add
scales (standalone and fused), exact halves (ties everywhere), average pools padded with
count_include_pad 0 and 1 at near-tie scales, global average pool; 0 mismatches."""
from __future__ import annotations

import numpy as np
import pytest

from hlsgen import cli
from hlsgen.golden.reference import ort_run
from hlsgen.golden.twin import Net
from hlsgen.ir import QParams
from hlsgen.sim import csim

pytestmark = pytest.mark.hw


def arith_net(seed: int):
    rng = np.random.default_rng(seed)
    dt = ("uint8", "int8")[seed % 2]
    zp = (lambda: int(rng.integers(0, 256))) if dt == "uint8" else (lambda: int(rng.integers(-128, 128)))
    q = lambda: QParams(float(2.0 ** rng.uniform(-7, -3)), zp(), dt)   # noqa: E731

    def conv(x, o, k, qy):
        i = net.tensors[x].shape[0]
        w = rng.integers(-20, 21, size=(o, i, k, k)).astype(np.int8)
        return net.conv(x, w, np.zeros(o, np.int32), rng.uniform(0.005, 0.015, o).astype(np.float32),
                        rng.integers(-300, 300, size=o), qy, pads=(k // 2,) * 4)

    net = Net((8, 9, 10))
    x = net.quantize("x", QParams(1 / 64, zp(), dt))
    a = conv(x, 16, 3, q())
    p = net.avgpool(a, QParams(net.tensors[a].q.scale * 0.5, zp(), dt), (3, 3), (1, 1), (1, 1, 1, 1), True)
    p = net.avgpool(p, q(), (3, 3), (2, 2), (1, 1, 1, 1), False)        # divisor = taps inside the map
    b = conv(p, 16, 1, q())
    m = net.maxpool(b, (3, 3), (1, 1), (1, 1, 1, 1))
    t = net.add(m, p, QParams(net.tensors[m].q.scale * 2, zp(), dt))  # ra = 1/2: exact halves
    c = conv(t, 16, 3, q())
    f = net.add(c, t, q())                                              # fused into the conv
    g = net.gavgpool(f, q())
    out = net.dequantize(g)
    net.checked = []
    return net.onnx_model(out)


@pytest.mark.parametrize("seed", [0, 1])
def test_add_and_pool_arithmetic_csim(tmp_path, seed):
    model = tmp_path / "m.onnx"
    model.write_bytes(arith_net(seed))
    out = tmp_path / "out"
    assert cli.main(["build", str(model), "--dsp-budget", "96", "--compute-units", "1", "-o", str(out)]) == 0
    x = np.random.default_rng(seed).uniform(-2, 2, size=(3, 8, 9, 10)).astype(np.float32)
    (y,), (want,) = csim.simulate(out, x), ort_run(str(model), x)
    assert y.shape == want.shape and np.count_nonzero(y != want) == 0
