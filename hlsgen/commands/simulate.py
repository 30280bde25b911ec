"""hlsgen simulate OUT --engine csim|verilator|rtl-kernel|tiled --input X.npy --output Y.npy [--workers N | --scheduler ADDR].

Runs a built project on a batch (hlsgen.api.simulate): ``csim`` compiles and runs the generated
HLS kernel and host program (hlsgen.sim.csim), ``verilator`` the RTL twin (hlsgen.sim.verilator),
``rtl-kernel`` the twin packaged as the RTL kernel, driven over AXI4-Lite with AXI4 memories,
``tiled`` the plan's invocations on the numpy engine model (hlsgen.plan.tiled).  Each image of X is
one inference, as on the card, whatever batch size the model file declares.  Y is what onnxruntime
returns for the model (a model with several outputs writes a .npz under their output names).
With --workers N (a LocalCluster) or --scheduler (a Dask cluster) the images are split over
the workers (hlsgen.sim.split): the same outputs, merged in order.
"""
from __future__ import annotations


from .. import api
from ..sim.verilator import report_file
from ..frontend.arrays import read_batch
from ..plan.plan_file import Plan
from .run import check_output, write_outputs


def main(args) -> int:
    plan = Plan.load(args.project)
    x = read_batch(args.input, plan.data.inputs[0].shape)
    names = [o.name for o in plan.data.outputs]
    out = check_output(args.output, names, same_as=args.input)
    layers = args.layers.split(",") if args.layers else None
    sim = api.simulate(args.project, x, engine=args.engine, layers=layers, trace=args.trace,
                       workers=args.workers, scheduler=args.scheduler)
    write_outputs(out, names, sim.outputs)
    n = len(x)
    line = f"wrote {out} ({n} image{'s' if n != 1 else ''}, {args.engine})"
    if sim.cycles is not None:
        model = sim.report["model_cycles_total"]
        same = "equal to" if sim.cycles == model else "model:"
        line += (f"; RTL cycles per image {sim.cycles:,} ({same} {model:,}), per layer in "
                 f"{report_file(args.project, args.engine == 'rtl-kernel')}")
    print(line)
    return 0
