"""`hlsgen synth` counting: yosys ``stat`` parsed per module, instances multiplied, the hierarchical
flow agreeing with a flattened run on a small design, and the command's one-line errors."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from hlsgen.cli import main as cli
from hlsgen.commands import synth
from testkit import hlsgen

# yosys 0.23 ``stat -top top`` of: top (own 2 FDRE, 1 LUT2) with 3 x unit; unit (own 1 DSP48E2, 4 LUT6)
# with 2 x leaf; leaf (own 5 LUT3, 1 RAM32M16, 1 FDRE)
STAT = """
3. Printing statistics.

=== leaf ===

   Number of wires:                 12
   Number of memories:               0
   Number of cells:                  7
     FDRE                            1
     LUT3                            5
     RAM32M16                        1

=== top ===

   Number of wires:                 40
   Number of cells:                  6
     BUFG                            1
     FDRE                            2
     LUT2                            1
     unit                            3

=== unit ===

   Number of cells:                  7
     DSP48E2                         1
     LUT6                            4
     leaf                            2

=== design hierarchy ===

   top                               1
     unit                            3
       leaf                          2

   Number of wires:                 148
   Number of cells:                 45
     BUFG                            1
     DSP48E2                         3
     FDRE                            8
     LUT2                            1
     LUT3                           30
     LUT6                           12
     RAM32M16                        6

End of script.
"""


def test_stat_is_counted_per_module_and_by_instances():
    total, rows = synth.count(STAT, "top")
    by = {r["module"]: r for r in rows}
    assert {m: r["instances"] for m, r in by.items()} == {"top": 1, "unit": 3, "leaf": 6}
    assert by["leaf"]["lut"] == 5 + 8 and by["leaf"]["ff"] == 1          # RAM32M16: 8 LUTs
    assert by["unit"]["dsp"] == 1 and by["unit"]["lut"] == 4
    assert total == {"lut": 1 + 3 * 4 + 6 * 13, "ff": 2 + 6, "dsp": 3, "bram36": 0, "uram": 0}


def test_longest_paths_are_read_per_module():
    ltp = ("4. Executing LTP pass (find longest path).\nLongest topological path in unit (length=3):\n"
           "Longest topological path in top (length=12):\n")
    _, rows = synth.count(STAT, "top", ltp)
    assert {r["module"]: r["path"] for r in rows} == {"top": 12, "unit": 3, "leaf": 0}
    total = synth.count(STAT, "top")[0]
    text = synth.table({"tool": synth.TOOL, "seconds": 1.0, "engine": {"pp": 1}, "yosys": total, "model": total,
                        "modules": rows})
    top_row = next(line for line in text.splitlines() if line.startswith("| top | 1 |"))
    assert top_row.endswith("| 12 |")


def test_time_stamped_stat_counts_the_same():
    stamped = "\n".join(f"[{i:05d}.000123] {line}" for i, line in enumerate(STAT.splitlines()))
    assert synth.count(stamped, "top") == synth.count(STAT, "top")


def test_a_hierarchy_total_that_disagrees_with_the_modules_is_an_error():
    with pytest.raises(RuntimeError, match="differs"):
        synth.count(STAT.replace("DSP48E2                         3", "DSP48E2                         4"), "top")
    with pytest.raises(RuntimeError, match="no module"):
        synth.count(STAT, "hlsgen_engine")


def test_report_section_lists_every_module():
    total, rows = synth.count(STAT, "top")
    r = {"tool": synth.TOOL, "seconds": 1.0, "engine": {"pp": 1, "po": 2, "pi": 2}, "yosys": total,
         "model": {"dsp": 3, "lut": 90, "ff": 8, "bram36": 0, "uram": 0}, "modules": rows}
    text = synth.table(r)
    assert text.startswith(synth.SECTION) and "PP x PO x PI = 1 x 2 x 2" in text
    assert "| unit | 3 | 4 | 0 | 1 | 0 | 0 | 0 |" in text
    assert "DSPs by module: unit (3 x 1)" in text


# A small design of the engine's shape: a top with its own product and two kinds of units, one of them
# with a submodule inside. Counted hierarchically it must match a fully flattened run.
TOY = """
module leaf (input [7:0] a, input [7:0] b, output [8:0] y);
    assign y = a + b;
endmodule
module mul_unit (input clk, input signed [15:0] a, input signed [15:0] b, output reg signed [31:0] y);
    wire [8:0] s;
    leaf l (.a(a[7:0]), .b(b[7:0]), .y(s));
    always @(posedge clk) y <= a * b + s;
endmodule
module add_unit (input clk, input [31:0] a, input [31:0] b, output reg [31:0] y);
    always @(posedge clk) y <= a + b;
endmodule
module hlsgen_engine (input clk, input signed [15:0] x0, x1, x2, w, input [15:0] c, output reg [31:0] out);
    wire [31:0] p0, p1, p2, s0, s1;
    mul_unit m0 (.clk(clk), .a(x0), .b(w), .y(p0));
    mul_unit m1 (.clk(clk), .a(x1), .b(w), .y(p1));
    mul_unit m2 (.clk(clk), .a(x2), .b(w), .y(p2));
    add_unit a0 (.clk(clk), .a(p0), .b(p1), .y(s0));
    add_unit a1 (.clk(clk), .a(s0), .b(p2), .y(s1));
    always @(posedge clk) out <= s1 + c + x0 * x1;
endmodule
"""

needs_yosys = pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")


@needs_yosys
def test_hierarchical_count_matches_a_flattened_run(tmp_path):
    src = tmp_path / "toy.v"
    src.write_text(TOY)
    seconds, total, rows = synth.synth_verilog(src, tmp_path / "hier", progress=None)
    by = {r["module"]: r for r in rows}
    assert set(by) == {"hlsgen_engine", "mul_unit", "add_unit"}      # leaf is flattened into mul_unit
    assert by["mul_unit"]["instances"] == 3 and by["add_unit"]["instances"] == 2
    assert by["mul_unit"]["dsp"] == 1 and by["add_unit"]["dsp"] == 0
    flat = tmp_path / "flat_stat.txt"
    subprocess.run(["yosys", "-q", "-p", f"read_verilog {src}; synth_xilinx -family xcup -top hlsgen_engine "
                    f"-flatten; tee -q -o {flat} stat"], check=True, timeout=300)
    flat_total, _ = synth.count(flat.read_text())
    assert total["dsp"] == flat_total["dsp"] == 3 + 1        # one per mul_unit, one for x0 * x1
    assert total["ff"] == flat_total["ff"]
    assert abs(total["lut"] - flat_total["lut"]) <= 0.1 * flat_total["lut"]
    report = json.dumps(rows)
    assert "leaf" not in report


def _cli(*argv):
    return hlsgen(*argv, timeout=120)


@pytest.mark.parametrize("case", ["missing", "empty", "bad-plan"])
def test_bad_project_is_one_line_and_exit_2(tmp_path, case):
    project = tmp_path / "p"
    if case != "missing":
        project.mkdir()
    if case == "bad-plan":
        (project / "plan.json").write_text("{not json")
    p = _cli("synth", str(project))
    assert p.returncode == 2, p.stderr
    assert p.stdout == "" and len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
    assert str(project) in p.stderr


def test_every_lane_unit_states_its_cost_beside_its_logic():
    from hlsgen.plan import engine, resources
    from hlsgen.plan.unit_costs import COSTED_UNITS, unit_cost
    for unit in COSTED_UNITS:
        cost = unit_cost(unit)
        assert cost["lut"] > 0 and cost["path"] > 0, unit
    assert (resources.LUT_ADD, engine.DSP_PER_ADD) == (unit_cost("hlsgen_add")["lut"], unit_cost("hlsgen_add")["dsp"])
    with pytest.raises(AssertionError, match="no cost line"):
        unit_cost("hlsgen_delay")
