`timescale 1ns/1ps

// hlsgen RTL twin: the vector unit (ENGINE.md section 5), pixel lane 0's PI input lanes.  Stage 2:
// per lane the running maximum (max pool, table, mul: the map's value), the window's sum of x - zx
// (global average pool), the word itself (add) or with AVGPOOL the float32 tap sum and the count of
// taps in the map (average pool), and the second operand's value; stage 3: the result, to the
// requantizers; with AVGPOOL the window's average (hlsgen_avg_out); stages 4-9: a delay to the epilogue.
// With MAXPOOL a max pool runs on all PP pixel lanes (ENGINE.md section 1, "Vector unit"): their PP x PI running maxima
// (stage 2), delayed from stage 3 to the epilogue's last stage 11+NC-1 (vmax), where they bypass it.
module hlsgen_vector #(parameter PP = 1, PI = 4, NC = 1, AVGPOOL = 0, MAXPOOL = 1) (
    input  wire                 clk,
    input  wire                 ce,
    input  wire                 is_conv, is_max, is_tab, is_mul, is_add, is_avg,
    input  wire                 v,                // stage 1: a tap, its window's first, inside the map
    input  wire                 first,
    input  wire                 in0,
    input  wire [10*PP*PI-1:0]  xin,              // stage 1: the lanes' values (pixel lane p at 10*PI*p)
    input  wire [PP-1:0]        in_l,             // stage 1: pixel lane p's tap inside the map
    input  wire [10*PI-1:0]     bin,              // stage 1: the second operand's
    input  wire signed [9:0]    zx, zy, lo, hi,
    input  wire [31:0]          scale, y_scale, y_recip, count,
    output wire [32*PI-1:0]     vres,             // stage 3: the lanes' results (low 32 bits)
    output wire [10*PI-1:0]     vd,               // stage 9: the lanes' results
    output wire [10*PI-1:0]     vdb,              // stage 9: the second operand
    output wire [10*PP*PI-1:0]  vmax              // stage 11+NC-1: a max pool's PP x PI results
);
    reg signed [63:0] vacc [0:PI-1];              // max; sum of (x - zx) over the window; a
    reg signed [9:0] vb [0:PI-1];
    reg signed [63:0] r_vres [0:PI-1];
    reg signed [9:0] vresb [0:PI-1];
    wire signed [63:0] avg_next [0:PI-1];
    wire signed [31:0] avg_y [0:PI-1];
    wire signed [63:0] zx64 = {{54{zx[9]}}, zx};
    wire signed [63:0] x [0:PI-1];                // the lanes' values, extended
    genvar gi;
    generate for (gi = 0; gi < PI; gi = gi + 1) begin : ext
        assign x[gi] = {{54{xin[10 * gi + 9]}}, xin[10 * gi +: 10]};
    end endgenerate
    generate if (AVGPOOL) begin : avg
        // average pool: float32 tap sums on the input scale's grid, and the count of taps in the map
        wire [23:0] msx, msy; wire signed [11:0] esx, esy;
        hlsgen_f32_parts x_parts (.bits(scale), .m(msx), .e(esx));
        hlsgen_f32_parts y_parts (.bits(y_scale), .m(msy), .e(esy));
        reg [31:0] vcnt, vres_cnt;
        always @(posedge clk) if (ce) begin
            if (v && !is_conv) vcnt <= (first ? 32'd0 : vcnt) + (in0 ? 32'd1 : 32'd0);
            vres_cnt <= vcnt;
        end
        for (gi = 0; gi < PI; gi = gi + 1) begin : lanes
            wire signed [10:0] dx = $signed(xin[10 * gi +: 10]) - zx;
            hlsgen_avg_tap u (.s(first ? 64'sd0 : vacc[gi]), .t(dx), .msx(msx), .s_next(avg_next[gi]));
            hlsgen_avg_out u_out (.s(r_vres[gi]), .count((count != 32'd0) ? count : vres_cnt), .esx(esx), .msy(msy),
                .esy(esy), .y_recip(y_recip), .zy(zy), .lo(lo), .hi(hi), .y(avg_y[gi]));
        end
    end else begin : no_avg
        wire unused_avg = &{1'b0, is_avg, scale, y_scale, y_recip, count, zy, lo, hi};
        for (gi = 0; gi < PI; gi = gi + 1) begin : lanes
            assign avg_next[gi] = 64'sd0;
            assign avg_y[gi] = 32'sd0;
        end
    end endgenerate
    integer vl;
    always @(posedge clk) if (ce) begin
        if (v && !is_conv)
            for (vl = 0; vl < PI; vl = vl + 1) begin
                vb[vl] <= bin[10 * vl +: 10];
                if (is_max || is_tab || is_mul)
                    vacc[vl] <= first ? (in0 ? x[vl] : -64'sd1024) : (in0 && x[vl] > vacc[vl]) ? x[vl] : vacc[vl];
                else if (is_add)
                    vacc[vl] <= x[vl];
                else if (AVGPOOL != 0 && is_avg)
                    vacc[vl] <= in0 ? avg_next[vl] : first ? 64'sd0 : vacc[vl];
                else
                    vacc[vl] <= (first ? 64'sd0 : vacc[vl]) + (in0 ? x[vl] - zx64 : 64'sd0);
            end
        for (vl = 0; vl < PI; vl = vl + 1) begin r_vres[vl] <= vacc[vl]; vresb[vl] <= vb[vl]; end
    end
    // a max pool's PP x PI lanes (MAXPOOL: the model has a max pool outside a conv): the running maximum
    // of each (lane 0's also as vacc), stage 3, then delayed
    genvar gm;
    generate if (MAXPOOL) begin : maxp
        reg signed [9:0] mx [0:PP*PI-1];
        reg [10*PP*PI-1:0] mx3;
        integer ml;
        always @(posedge clk) if (ce) begin
            if (v && is_max)
                for (ml = 0; ml < PP * PI; ml = ml + 1)
                    mx[ml] <= (first || (in_l[ml / PI] && $signed(xin[10 * ml +: 10]) > mx[ml])) ?
                              (in_l[ml / PI] ? $signed(xin[10 * ml +: 10]) : -10'sd512) : mx[ml];
            for (ml = 0; ml < PP * PI; ml = ml + 1) mx3[10 * ml +: 10] <= mx[ml];
        end
        hlsgen_delay #(.W(10 * PP * PI), .N(8 + NC - 1)) d_max (.clk(clk), .ce(ce), .d(mx3), .q(vmax));
    end else begin : no_maxp
        wire unused_l = &{1'b0, in_l};
        for (gm = PI; gm < PP * PI; gm = gm + 1) begin : unused_x
            wire unused = &{1'b0, xin[10 * gm +: 10]};
        end
        assign vmax = {10*PP*PI{1'b0}};
    end endgenerate
    // stages 4-9
    reg [9:0] d [0:5][0:PI-1];
    reg [9:0] db [0:5][0:PI-1];
    integer vs, v4;
    always @(posedge clk) if (ce)
        for (v4 = 0; v4 < PI; v4 = v4 + 1) begin
            d[0][v4] <= (AVGPOOL != 0 && is_avg) ? avg_y[v4][9:0] : r_vres[v4][9:0]; db[0][v4] <= vresb[v4];
            for (vs = 1; vs < 6; vs = vs + 1) begin d[vs][v4] <= d[vs - 1][v4]; db[vs][v4] <= db[vs - 1][v4]; end
        end
    generate for (gi = 0; gi < PI; gi = gi + 1) begin : outs
        assign vres[32 * gi +: 32] = r_vres[gi][31:0];
        assign vd[10 * gi +: 10] = d[5][gi];
        assign vdb[10 * gi +: 10] = db[5][gi];
    end endgenerate
endmodule
