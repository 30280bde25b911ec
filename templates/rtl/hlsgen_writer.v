`timescale 1ns/1ps

// hlsgen RTL twin: stage 12 (ENGINE.md section 5), the fused max pool and the act_wr writes.  Lane p's
// pooled pixel px also takes lanes p - rp .. p - 1 of its pixel group, and (POOL: the running maxima of
// a row of up to POOL_W pooled pixels) the running maximum of px unless its window starts in this
// group (first conv row of the window, rp <= p).  A lane writes its pixel's NWO words at its address
// when it is the last row and column of its pool window (every lane without a pool).
module hlsgen_writer #(parameter PP = 2, PO = 4, NWO = 1, POOL = 0, POOL_W = 1) (
    input  wire                  clk,
    input  wire                  ce,
    input  wire                  is_conv,
    input  wire                  pool_on,
    input  wire [3:0]            pk,
    input  wire [10*PP*PO-1:0]   y,               // stage 11: lane p*PO + j
    input  wire                  v,               // stage 11: the pixel group's (word's) result
    input  wire                  frow, wrow,      // first, last conv row of the pool window
    input  wire [PP-1:0]         lv,              // lanes holding a column
    input  wire [4*PP-1:0]       rp,              // lane p's column within its pooled pixel
    input  wire [16*PP-1:0]      px,              // lane p's pooled pixel
    input  wire [NWO-1:0]        wen,
    input  wire [32*PP-1:0]      addr,
    output reg                   aw_en,
    output reg  [32*PP-1:0]      aw_addr,
    output reg  [8*PO*PP-1:0]    aw_data,
    output reg  [NWO*PP-1:0]     aw_wen
);
    reg [10*PP*PO-1:0] pv;                        // per lane and output channel: the (pooled) value
    wire [10*PP*PO-1:0] old;                      // running maxima of the lanes' pooled pixels
    wire [3:0] pk_m1 = pk - 4'd1;
    integer pl, pq, pj;
    reg signed [9:0] pmax, pcand;
    always @* begin
        for (pl = 0; pl < PP; pl = pl + 1)
            for (pj = 0; pj < PO; pj = pj + 1) begin
                pmax = y[10 * (pl * PO + pj) +: 10];
                for (pq = 0; pq < PP; pq = pq + 1)
                    if (pq < pl && pl - pq <= {28'd0, rp[4 * pl +: 4]}) begin
                        pcand = y[10 * (pq * PO + pj) +: 10];
                        if (pcand > pmax) pmax = pcand;
                    end
                pcand = old[10 * (pl * PO + pj) +: 10];
                if (pool_on && !(frow && {28'd0, rp[4 * pl +: 4]} <= pl) && pcand > pmax) pmax = pcand;
                pv[10 * (pl * PO + pj) +: 10] = pmax;
            end
    end
    genvar gp;
    generate if (POOL) begin : pool
        localparam XB = (POOL_W > 1) ? $clog2(POOL_W) : 1;
        reg [10*PO-1:0] rowmax [0:POOL_W-1];
        wire unused_px = &{1'b0, px};                // (< POOL_W where used)
        for (gp = 0; gp < PP; gp = gp + 1) begin : rd
            assign old[10 * PO * gp +: 10 * PO] = rowmax[px[16 * gp +: XB]];
        end
        integer pw;
        always @(posedge clk) if (ce)
            for (pw = 0; pw < PP; pw = pw + 1)              // the last lane of each pooled pixel in the group
                if (v && pool_on && lv[pw] && (rp[4 * pw +: 4] == pk_m1 || pw == PP - 1))
                    rowmax[px[16 * pw +: XB]] <= pv[10 * PO * pw +: 10 * PO];
    end else begin : no_pool
        wire unused_px = &{1'b0, px};
        assign old = {10*PP*PO{1'b0}};
    end endgenerate
    integer oj, ol, wl;
    reg [PP-1:0] w_lane;                           // lanes that write: conv outputs of the last row and
    always @*                                      // column of their pool window (every one without pool)
        for (wl = 0; wl < PP; wl = wl + 1)
            w_lane[wl] = v && lv[wl] && (!is_conv || (wrow && rp[4 * wl +: 4] == pk_m1));
    always @(posedge clk) if (ce) begin
        aw_en <= |w_lane;
        aw_addr <= addr;
        for (ol = 0; ol < PP; ol = ol + 1) begin
            aw_wen[NWO * ol +: NWO] <= w_lane[ol] ? wen : {NWO{1'b0}};
            for (oj = 0; oj < PO; oj = oj + 1) aw_data[8 * (ol * PO + oj) +: 8] <= pv[10 * (ol * PO + oj) +: 8];
        end
    end
endmodule
