`timescale 1ns/1ps

// hlsgen RTL twin: the epilogue of stages 4-11 (ENGINE.md section 2), one lane per output (PP x PO).
// Stages 4-9: requantization (hlsgen_requant) of the accumulator (conv, with its output's scale) or
// of the vector lane's sum (global average pool); stages 10-11: with ADD the quantized add (a fused
// residual, whose words hlsgen_act_buf read at stage 8, or a standalone add), with MUL the map x
// vector product (hlsgen_mul), with TABLE the table layers' lookup (hlsgen_tables), else a 2-cycle
// bypass.  The vector ops' values come from hlsgen_vector (lanes j < PI of pixel lane 0).
module hlsgen_epilogue #(parameter PP = 2, PO = 4, PI = 4, NWO = 1, ADD = 0, MUL = 0, TABLE = 0) (
    input  wire                   clk,
    input  wire                   ce,
    input  wire                   is_conv, is_gavg, is_add, is_mul, is_tab,
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
    output wire [10*PP*PO-1:0]    y               // stage 11
);
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
    genvar gp, gj;
    generate for (gp = 0; gp < PP; gp = gp + 1) begin : px
        for (gj = 0; gj < PO; gj = gj + 1) begin : lane
            localparam V = (gp == 0 && gj < PI);     // a vector lane too
            localparam L = gj % PI;
            // stages 4-9: requantization (conv, gavgpool) / delay (vector)
            wire signed [31:0] rq;
            hlsgen_requant u_rq (.clk(clk), .ce(ce), .acc(is_conv ? acc[32 * (gp * PO + gj) +: 32] : V ? vres[32 * L +: 32] : 32'd0),
                .scale_bits(is_conv ? scale[32 * gj +: 32] : f_scale), .zy(zy), .lo(lo), .hi(hi), .y(rq));
            // stages 10-11
            wire signed [9:0] v_in = V ? vd[10 * L +: 10] : 10'sd0;
            wire signed [9:0] vb_in = V ? vdb[10 * L +: 10] : 10'sd0;
            wire signed [9:0] a_in = (is_conv || is_gavg) ? rq[9:0] : v_in;
            wire signed [31:0] y_add, y_mul;
            if (ADD) begin : add
                wire [7:0] rb8 = res_w[8 * (PI * (gp * NWO + gj / PI) + L) +: 8];
                wire signed [9:0] rb = add_signed ? { {2{rb8[7]}}, rb8 } : {2'b00, rb8};
                hlsgen_add u (.clk(clk), .ce(ce), .bypass(is_conv ? !add_en : !is_add), .a(a_in),
                    .b(is_conv ? rb : vb_in), .ma_m(add_sig.ma_m), .ma_e(add_sig.ma_e),
                    .mb_m(add_sig.mb_m), .mb_e(add_sig.mb_e), .k(add_k), .wsh(add_wsh), .sh(add_sh),
                    .lo(is_conv ? add_lo : lo), .hi(is_conv ? add_hi : hi), .y(y_add));
            end else begin : bypass                // no add unit (the plan has no add): its 2-cycle bypass
                reg signed [9:0] a1, a2;
                always @(posedge clk) if (ce) begin a1 <= a_in; a2 <= a1; end
                assign y_add = {{22{a2[9]}}, a2};
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
                assign t_in[8 * gj +: 8] = a_in[7:0];
            end
            wire [9:0] t_lane = (TABLE && V) ? {2'b00, t_out[8 * L +: 8]} : 10'd0;
            wire [31:0] ya = (TABLE && is_tab) ? {22'd0, t_lane} : is_mul ? y_mul : y_add;
            assign y[10 * (gp * PO + gj) +: 10] = ya[9:0];
            wire unused_y = &{1'b0, rq[31:10], ya[31:10], vb_in};   // (clamped to 10 bits)
        end
    end endgenerate
endmodule
