// Simulation-only memory model of one bank (docs/ENGINE.md sections 3 and 5).
// Read: a request (two segments, read as one stream) sampled at the end of cycle L delivers
// beat k (RB bytes) during cycle L + LAT + k; a new request abandons the previous stream.
// Write: WW words of WB bytes at a byte address, word enables, applied at the clock edge.
// Bulk access: a rising edge on `load` reads FILE_IN ($readmemh, one byte per line),
// a rising edge on `dump` writes FILE_OUT.
`timescale 1ns/1ps
module hlsgen_mem #(
    parameter SIZE = 4096,
    parameter RB = 8,
    parameter LAT = 1,
    parameter WB = 8,
    parameter WW = 1,
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
    output reg               rd_valid,
    output reg  [8*RB-1:0]   rd_data,
    input  wire              wr_en,
    input  wire [31:0]       wr_addr,
    input  wire [8*WB*WW-1:0] wr_data,
    input  wire [WW-1:0]     wr_wen
);
    reg [7:0] mem [0:SIZE-1];
    always @(posedge load) $readmemh(FILE_IN, mem);
    always @(posedge dump) $writememh(FILE_OUT, mem);

    reg [31:0] now, first, sent, total, a0, n0, a1;
    reg active;
    integer i, w;
    reg [31:0] n;
    initial begin now = 0; active = 0; rd_valid = 0; end
    always @(posedge clk) begin
        now <= now + 1;
        rd_valid <= 1'b0;
        if (rd_req) begin
            active <= (rd_len0 + rd_len1) != 0;
            first <= now + LAT;            // cycle of beat 0
            sent <= 0; total <= rd_len0 + rd_len1;
            a0 <= rd_addr0; n0 <= rd_len0; a1 <= rd_addr1;
        end else if (active && now + 1 >= first) begin
            rd_valid <= 1'b1;
            for (i = 0; i < RB; i = i + 1) begin
                n = sent + i;
                rd_data[8*i +: 8] <= (n >= total) ? 8'd0 : (n < n0) ? mem[a0 + n] : mem[a1 + n - n0];
            end
            sent <= sent + RB;
            if (sent + RB >= total) active <= 1'b0;
        end
        if (wr_en)
            for (w = 0; w < WW; w = w + 1)
                if (wr_wen[w])
                    for (i = 0; i < WB; i = i + 1) mem[wr_addr + w*WB + i] <= wr_data[8*(w*WB + i) +: 8];
    end
endmodule
