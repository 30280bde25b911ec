`timescale 1ns/1ps

// hlsgen RTL twin: the lookup tables (ENGINE.md section 3), filled from the wgt stream.  TBYTES > 0:
// the table layers' memory (for each table word, for each lane, 256 output bytes), looked up in
// stages 10-11 for the vector lanes; CTAB: a conv's fused table, PO rows of 256 bytes after the
// constants, in three banks (group g % 3: block g+1 may stream in while group g-1's last pixel
// groups are still in the pipeline), looked up at stage 12 in the output's dtype (so that a fused
// max pool compares values).  Without either, the values pass through.
module hlsgen_tables #(parameter PP = 2, PO = 4, PI = 4, BW = 64, TBYTES = 0, CTAB = 0) (
    input  wire                 clk,
    input  wire                 ce,
    // the wgt stream (hlsgen_wgt_buf)
    input  wire                 w_we,
    input  wire [8*BW-1:0]      wr_data,
    input  wire [31:0]          w_off,
    input  wire [15:0]          w_load_g,
    input  wire [31:0]          c_off,
    input  wire                 is_tab,           // a table layer's block
    input  wire                 conv_tab,         // a conv with a fused table
    input  wire                 out_signed,
    // stages 10-11: the vector lanes' bytes of table word tw
    input  wire [15:0]          tw,
    input  wire [8*PI-1:0]      t_in,
    output wire [8*PI-1:0]      t_out,
    // stage 12: the output lanes' values through the table of bank tb
    input  wire [1:0]           tb,
    input  wire [10*PP*PO-1:0]  y_in,
    output wire [10*PP*PO-1:0]  y_out
);
    genvar gi, gp;
    generate if (TBYTES == 0 && !CTAB) begin : none
        wire unused_w = &{1'b0, clk, ce, w_we, wr_data, w_off};
    end endgenerate
    generate if (TBYTES > 0) begin : table_mem
        localparam TB = $clog2(TBYTES);
        integer ti;
        reg [7:0] tbuf [0:TBYTES-1];
        always @(posedge clk) if (ce && w_we && is_tab)
            for (ti = 0; ti < BW; ti = ti + 1)
                if (w_off + ti < TBYTES) tbuf[w_off[TB-1:0] + ti[TB-1:0]] <= wr_data[8 * ti +: 8];
        for (gi = 0; gi < PI; gi = gi + 1) begin : lookup
            wire [31:0] a = ({16'd0, tw} * PI + gi) * 256 + {24'd0, t_in[8 * gi +: 8]};
            reg [7:0] t1, t2;
            wire unused_a = &{1'b0, a[31:TB]};
            always @(posedge clk) if (ce) begin t1 <= tbuf[a[TB-1:0]]; t2 <= t1; end
            assign t_out[8 * gi +: 8] = t2;
        end
    end else begin : no_table_mem
        wire unused_t = &{1'b0, is_tab, tw, t_in};
        assign t_out = {8*PI{1'b0}};
    end endgenerate
    generate if (CTAB) begin : conv_table
        localparam CB = $clog2(3 * PO * 256);
        reg [7:0] tbufc [0:3*PO*256-1];
        wire [31:0] t_off = c_off + ((8 * PO + 63) & ~63);
        wire [31:0] bank_base = {16'd0, w_load_g % 16'd3} * PO * 256;
        integer tc;
        wire unused_b = &{1'b0, bank_base[31:CB]};
        always @(posedge clk) if (ce && w_we && conv_tab)
            for (tc = 0; tc < BW; tc = tc + 1)
                if (w_off + tc >= t_off && w_off + tc < t_off + PO * 256)
                    tbufc[bank_base[CB-1:0] + w_off[CB-1:0] + tc[CB-1:0] - t_off[CB-1:0]] <= wr_data[8 * tc +: 8];
        for (gp = 0; gp < PP * PO; gp = gp + 1) begin : lanes
            wire [31:0] a = ({30'd0, tb} * PO + gp % PO) * 256 + {24'd0, y_in[10 * gp +: 8]};
            wire [7:0] tv = tbufc[a[CB-1:0]];
            wire unused_a = &{1'b0, a[31:CB]};
            assign y_out[10 * gp +: 10] = conv_tab ? (out_signed ? { {2{tv[7]}}, tv } : {2'b00, tv}) : y_in[10 * gp +: 10];
        end
    end else begin : no_conv_table
        wire unused_c = &{1'b0, conv_tab, out_signed, tb, c_off, w_load_g};
        assign y_out = y_in;
    end endgenerate
endmodule
