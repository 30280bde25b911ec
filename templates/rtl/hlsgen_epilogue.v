`timescale 1ns/1ps

// hlsgen RTL twin: the epilogue of stages 4-(11+NC-1) (ENGINE.md sections 1, 2): E lanes serve a
// pixel group's PP x PO outputs in NC = PP*PO/E passes, pass c taking outputs c*E .. c*E+E-1 (output
// p*PO + j).  Pass 0 takes the accumulators as the MAC array has them at stage 3, passes 1..NC-1
// take them held (the array restarts them at the next tap), with the group's scales and (stage 9)
// the residual words held alike.  Per lane, stages 4-9: requantization (hlsgen_requant) of the
// accumulator (conv, with its output's scale) or of the vector lane's sum (global average pool);
// stages 10-11: with ADD the quantized add (a fused residual, whose words hlsgen_act_buf read at
// stage 8, or a standalone add), with MUL the map x vector product (hlsgen_mul), with TABLE the table
// layers' lookup (hlsgen_tables), else a 2-cycle bypass.  The passes' results are collected and leave
// together at stage 11+NC-1.  The vector ops' values come from hlsgen_vector (lanes < PI of pass 0),
// delayed NC-1 cycles to the same stage.
module hlsgen_epilogue #(parameter PP = 2, PO = 4, PI = 4, NWO = 1, E = 8, ADD = 0, MUL = 0, TABLE = 0) (
    input  wire                   clk,
    input  wire                   ce,
    input  wire                   is_conv, is_gavg, is_add, is_mul, is_tab,
    input  wire                   v3,             // stage 3: a pixel group's (word's) accumulators
    input  wire [32*PP*PO-1:0]    acc,            // stage 3: hlsgen_mac_array
    input  wire [32*PO-1:0]       scale,          // stage 3: the group's requant scales
    input  wire [32*PI-1:0]       vres,           // stage 3: hlsgen_vector
    input  wire [10*PI-1:0]       vd, vdb,        // stage 9: hlsgen_vector
    input  wire [8*PI*PP*NWO-1:0] res_w,          // stage 9: residual words (ADD)
    input  wire [31:0]            f_scale,
    input  wire signed [9:0]      zx, zb, zy, lo, hi,
    input  wire                   add_en, add_signed,
    input  wire signed [63:0]     add_ma, add_mb, add_k,
    input  wire [5:0]             add_wsh,
    input  wire signed [7:0]      add_sh,
    input  wire signed [9:0]      add_lo, add_hi,
    output wire [8*PI-1:0]        t_in,           // stage 9: the table lookup's bytes (TABLE)
    input  wire [8*PI-1:0]        t_out,          // stage 11: their entries
    output wire [10*PP*PO-1:0]    y               // stage 11+NC-1
);
    localparam N = PP * PO, NC = N / E;
    localparam CB = (NC > 1) ? $clog2(NC) : 1;
    // the pass each stage works on: stage 3 (pass 0 with v3, then 1..NC-1), 9 and 11 (delayed)
    reg [CB-1:0] cnt;
    wire [CB-1:0] pass3 = v3 ? {CB{1'b0}} : cnt;
    wire act3 = v3 || cnt != {CB{1'b0}};
    localparam [31:0] LAST32 = NC - 1;
    localparam [CB-1:0] LAST = LAST32[CB-1:0];
    always @(posedge clk) if (ce) cnt <= (act3 && pass3 != LAST) ? pass3 + 1'b1 : {CB{1'b0}};
    wire [CB-1:0] pass9, pass11;
    wire act9, act11;
    hlsgen_delay #(.W(CB + 1), .N(6)) d_pass9 (.clk(clk), .ce(ce), .d({act3, pass3}), .q({act9, pass9}));
    hlsgen_delay #(.W(CB + 1), .N(2)) d_pass11 (.clk(clk), .ce(ce), .d({act9, pass9}), .q({act11, pass11}));
    // what passes 1..NC-1 read: the held accumulators and scales (stage 3), residual words (stage 9)
    wire [32*N-1:0] acc_src;
    wire [32*PO-1:0] scale_src;
    wire [8*N-1:0] res_src;
    generate if (NC > 1) begin : hold
        reg [32*N-1:0] h_acc;
        reg [32*PO-1:0] h_scale;
        reg [8*N-1:0] h_res;
        always @(posedge clk) if (ce) begin
            if (v3) begin h_acc <= acc; h_scale <= scale; end
            if (act9 && pass9 == {CB{1'b0}}) h_res <= res_w;
        end
        assign acc_src = (pass3 == {CB{1'b0}}) ? acc : h_acc;
        assign scale_src = (pass3 == {CB{1'b0}}) ? scale : h_scale;
        assign res_src = (pass9 == {CB{1'b0}}) ? res_w : h_res;
    end else begin : direct
        assign acc_src = acc;
        assign scale_src = scale;
        assign res_src = res_w;
        wire unused_pass = &{1'b0, act11, pass11};
    end endgenerate
    // the add's ma and mb as significand and exponent, split once for every lane (each has at most 24
    // significant bits, requant.add_consts: hlsgen_round24 is exact on them); registered, as they only
    // change with the registers between invocations
    generate if (ADD) begin : add_sig
        reg [23:0] ma_m, mb_m;
        reg [5:0]  ma_e, mb_e;
        wire [24:0] ma_m25, mb_m25;
        wire [6:0]  ma_e7, mb_e7;
        hlsgen_round24 ma_sig (.v(add_ma), .m(ma_m25), .e(ma_e7));
        hlsgen_round24 mb_sig (.v(add_mb), .m(mb_m25), .e(mb_e7));
        always @(posedge clk) begin
            ma_m <= ma_m25[23:0]; ma_e <= ma_e7[5:0]; mb_m <= mb_m25[23:0]; mb_e <= mb_e7[5:0];
        end
        wire unused_sig = &{1'b0, ma_m25[24], ma_e7[6], mb_m25[24], mb_e7[6]};   // < 2^24, <= 40
    end else begin : no_add
        wire unused_add = &{1'b0, is_add, res_w, add_en, add_signed, add_ma, add_mb, add_k, add_wsh, add_sh,
                            add_lo, add_hi};
    end endgenerate
    generate if (!TABLE) begin : no_table
        wire unused_table = &{1'b0, is_tab, t_out};
    end endgenerate
    wire [23:0] mr; wire signed [11:0] er;           // the mul's scale ratio (normal: the planner checks)
    hlsgen_f32_parts ratio_parts (.bits(f_scale), .m(mr), .e(er));
    generate if (!MUL) begin : no_mul
        wire unused_mul = &{1'b0, zx, zb, mr, er};
    end endgenerate
    wire [10*E-1:0] yl;                            // stage 11: the lanes' results (pass pass11)
    genvar ge, gc;
    generate for (ge = 0; ge < E; ge = ge + 1) begin : lane
        localparam V = (ge < PI);                  // a vector lane too (pass 0: pixel lane 0, channel ge)
        localparam L = ge % PI;
        // this lane's accumulator, scale and residual byte in each pass (output c*E + ge)
        wire [32*NC-1:0] acc_c, scale_c;
        wire [8*NC-1:0] res_c;
        for (gc = 0; gc < NC; gc = gc + 1) begin : pass
            assign acc_c[32 * gc +: 32] = acc_src[32 * (gc * E + ge) +: 32];
            assign scale_c[32 * gc +: 32] = scale_src[32 * ((gc * E + ge) % PO) +: 32];
            assign res_c[8 * gc +: 8] = res_src[8 * (gc * E + ge) +: 8];
        end
        // stages 4-9: requantization (conv, gavgpool) / delay (vector)
        wire signed [31:0] rq;
        hlsgen_requant u_rq (.clk(clk), .ce(ce),
            .acc(is_conv ? acc_c[32 * pass3 +: 32] : V ? vres[32 * L +: 32] : 32'd0),
            .scale_bits(is_conv ? scale_c[32 * pass3 +: 32] : f_scale), .zy(zy), .lo(lo), .hi(hi), .y(rq));
        // stages 10-11
        wire signed [9:0] v_in = V ? vd[10 * L +: 10] : 10'sd0;
        wire signed [9:0] vb_in = V ? vdb[10 * L +: 10] : 10'sd0;
        wire signed [9:0] a_in = (is_conv || is_gavg) ? rq[9:0] : v_in;
        wire signed [31:0] y_add, y_mul;
        if (ADD) begin : add
            wire [7:0] rb8 = res_c[8 * pass9 +: 8];
            wire signed [9:0] rb = add_signed ? { {2{rb8[7]}}, rb8 } : {2'b00, rb8};
            hlsgen_add u (.clk(clk), .ce(ce), .bypass(is_conv ? !add_en : !is_add), .a(a_in),
                .b(is_conv ? rb : vb_in), .ma_m(add_sig.ma_m), .ma_e(add_sig.ma_e),
                .mb_m(add_sig.mb_m), .mb_e(add_sig.mb_e), .k(add_k), .wsh(add_wsh), .sh(add_sh),
                .lo(is_conv ? add_lo : lo), .hi(is_conv ? add_hi : hi), .y(y_add));
        end else begin : bypass                // no add unit (the plan has no add): its 2-cycle bypass
            reg signed [9:0] a1, a2;
            always @(posedge clk) if (ce) begin a1 <= a_in; a2 <= a1; end
            assign y_add = {{22{a2[9]}}, a2};
            wire unused_res = &{1'b0, res_c};
        end
        if (MUL) begin : mul                   // map x vector, 2 stages like the add
            wire signed [31:0] y_mul0;
            reg signed [31:0] y_mul1, y_mul2;
            hlsgen_mul um (.a(a_in), .b(vb_in), .za(zx), .zb(zb), .mr(mr), .er(er), .zy(zy), .lo(lo),
                .hi(hi), .y(y_mul0));
            always @(posedge clk) if (ce) begin y_mul1 <= y_mul0; y_mul2 <= y_mul1; end
            assign y_mul = y_mul2;
        end else begin : no_mul
            assign y_mul = 32'sd0;
        end
        if (V) begin : lookup                  // table lookup, 2 stages like the add (hlsgen_tables)
            assign t_in[8 * ge +: 8] = a_in[7:0];
        end
        wire [9:0] t_lane = (TABLE && V) ? {2'b00, t_out[8 * L +: 8]} : 10'd0;
        wire [31:0] ya = (TABLE && is_tab) ? {22'd0, t_lane} : is_mul ? y_mul : y_add;
        assign yl[10 * ge +: 10] = ya[9:0];
        wire unused_y = &{1'b0, rq[31:10], ya[31:10], vb_in};   // (clamped to 10 bits)
    end endgenerate
    // stage 11+NC-1: a conv's passes collected (the last one as it leaves the lanes); the vector ops'
    // lanes < PI delayed alike
    generate if (NC > 1) begin : collect
        reg [10*E*(NC-1)-1:0] coll;
        integer cc;
        always @(posedge clk) if (ce)
            for (cc = 0; cc < NC - 1; cc = cc + 1)
                if (act11 && {{(32 - CB){1'b0}}, pass11} == cc) coll[10 * E * cc +: 10 * E] <= yl;
        wire [10*PI-1:0] yv;
        hlsgen_delay #(.W(10 * PI), .N(NC - 1)) d_vec (.clk(clk), .ce(ce), .d(yl[10*PI-1:0]), .q(yv));
        wire [10*N-1:0] yc = {yl, coll};
        assign y = is_conv ? yc : {{(10 * (N - PI)){1'b0}}, yv};
    end else begin : single
        assign y = yl;
    end endgenerate
endmodule
