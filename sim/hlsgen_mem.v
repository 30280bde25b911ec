// Simulation-only memory model of one bank (docs/ENGINE.md sections 3 and 5).
// Read: a request sampled at the end of cycle L delivers beat k (rd_rate <= RB bytes) of one stream during
// cycle L + LAT + k; a new request abandons the previous stream. The stream is rows of segment 0
// (rd_len0 bytes at rd_addr0, rows of rd_row bytes) and rows of segment 1 (rd_len1 bytes at
// rd_addr1), interleaved as ENGINE.md section 5 step 1 says: segment 1's first rd_glen bytes are
// rows of rd_rrow bytes, row j after the first a(j) = clamp(j*rd_s + rd_c, 0, rows0) rows of segment 0;
// the rest of segment 1 follows segment 0. Segment 1's bytes are groups of rd_chunks chunks, chunk k of
// group g at rd_addr1 + g*rd_ck + k*rd_pitch, min(rd_ck, rd_pitch - g*rd_ck) bytes (a conv's residual
// words of one output group per pixel; one contiguous range when rd_ck = rd_pitch).
// Write: WL lanes (the engine's pixel lanes), each WW words of WB bytes at its own byte address
// (wr_addr[32l +: 32]), word enables, applied at the clock edge.
// Bulk access: a rising edge on `load` reads FILE_IN ($readmemh, one byte per line),
// a rising edge on `dump` writes FILE_OUT.
`timescale 1ns/1ps
module hlsgen_mem #(
    parameter SIZE = 4096,
    parameter RB = 8,
    parameter LAT = 1,
    parameter WB = 8,
    parameter WW = 1,
    parameter WL = 1,
    parameter FILE_IN = "mem_in.hex",
    parameter FILE_OUT = "mem_out.hex"
) (
    input  wire              clk,
    input  wire              load,
    input  wire              dump,
    input  wire              rd_req,
    input  wire [31:0]       rd_addr0,
    input  wire [31:0]       rd_len0,
    input  wire [31:0]       rd_addr1,
    input  wire [31:0]       rd_len1,
    input  wire [31:0]       rd_row,
    input  wire [31:0]       rd_rrow,
    input  wire [31:0]       rd_ck,
    input  wire [31:0]       rd_pitch,
    input  wire [31:0]       rd_chunks,
    input  wire [31:0]       rd_glen,
    input  wire signed [31:0] rd_c,
    input  wire [15:0]       rd_s,
    input  wire [15:0]       rd_rate,            // bytes per beat (<= RB)
    output reg               rd_valid,
    output reg  [8*RB-1:0]   rd_data,
    input  wire              wr_en,
    input  wire [32*WL-1:0]  wr_addr,
    input  wire [8*WB*WW*WL-1:0] wr_data,
    input  wire [WW*WL-1:0]  wr_wen
);
    reg [7:0] mem [0:SIZE-1];
    always @(posedge load) $readmemh(FILE_IN, mem);
    always @(posedge dump) $writememh(FILE_OUT, mem);

    reg [31:0] now, first, a0, a1, row, rrow, rows0, len1, glen, ck, pitch, chunks, in_row, b1, off;
    reg signed [31:0] c;
    reg [15:0] s, rate;
    reg active, seg;
    reg [1:0] nxt;
    integer i, w, l;
    initial begin now = 0; active = 0; rd_valid = 0; end

    function [31:0] a_of;                 // segment-0 rows before segment-1 row j
        input [31:0] j;
        reg signed [31:0] v;
        begin
            v = $signed(j) * $signed({16'd0, s}) + c;
            a_of = (v < 0) ? 32'd0 : (v > $signed(rows0)) ? rows0 : v;
        end
    endfunction

    function [1:0] next_seg;              // {more rows, segment} after ir segment-0 rows and bb segment-1 bytes
        input [31:0] ir, bb;
        begin
            if (bb < glen && bb < len1 && ir >= a_of(bb / rrow)) next_seg = 2'b11;
            else if (ir < rows0) next_seg = 2'b10;
            else if (bb < len1) next_seg = 2'b11;
            else next_seg = 2'b00;
        end
    endfunction

    function [31:0] addr1_of;             // address of segment 1's byte bb
        input [31:0] bb;
        reg [31:0] full, g, r, ckg;
        begin
            full = chunks * ck;           // bytes of a whole group (every group's but the last's)
            g = bb / full;                // (the last group's chunks may be narrower: it is last)
            r = bb - g * full;
            ckg = (pitch - g * ck < ck) ? pitch - g * ck : ck;
            addr1_of = a1 + g * ck + (r / ckg) * pitch + r % ckg;
        end
    endfunction

    always @(posedge clk) begin
        now <= now + 1;
        rd_valid <= 1'b0;
        if (rd_req) begin
            first <= now + LAT;           // cycle of beat 0
            a0 = rd_addr0; a1 = rd_addr1; row = rd_row; rrow = rd_rrow; c = rd_c; s = rd_s; rate = rd_rate;
            len1 = rd_len1; glen = rd_glen; ck = rd_ck; pitch = rd_pitch; chunks = rd_chunks;
            rows0 = (rd_row != 0) ? rd_len0 / rd_row : 0;
            in_row = 0; b1 = 0; off = 0;
            nxt = next_seg(in_row, b1); active = nxt[1]; seg = nxt[0];
        end else if (active && now + 1 >= first) begin
            rd_valid <= 1'b1;
            for (i = 0; i < RB; i = i + 1) begin
                if (!active || i >= rate) rd_data[8*i +: 8] <= 8'd0;
                else begin
                    rd_data[8*i +: 8] <= seg ? mem[addr1_of(b1)] : mem[a0 + in_row * row + off];
                    if (seg) begin
                        b1 = b1 + 1;
                        if (b1 % rrow == 0 || b1 == len1) begin
                            nxt = next_seg(in_row, b1); active = nxt[1]; seg = nxt[0];
                        end
                    end else begin
                        off = off + 1;
                        if (off == row) begin
                            in_row = in_row + 1;
                            off = 0;
                            nxt = next_seg(in_row, b1); active = nxt[1]; seg = nxt[0];
                        end
                    end
                end
            end
        end
        if (wr_en)
            for (l = 0; l < WL; l = l + 1)
                for (w = 0; w < WW; w = w + 1)
                    if (wr_wen[l*WW + w])
                        for (i = 0; i < WB; i = i + 1)
                            mem[wr_addr[32*l +: 32] + w*WB + i] <= wr_data[8*((l*WW + w)*WB + i) +: 8];
    end
endmodule
