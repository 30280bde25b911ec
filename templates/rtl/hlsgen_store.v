// hlsgen RTL kernel: the resident weight store (ENGINE.md section 3, resident weights): all of weights.bin
// on chip in LINES lines of LINE bytes (URAM on the card).  Filled once per model by the preload
// command: `fill` restarts at line 0, then every fill beat (FB bytes, from the wgt read master) is
// appended.  Read as the engine's wgt stream: a request sampled at the end of cycle L (a line-aligned
// byte address and a length) delivers line k of it during cycle L + LAT + k, as the cycle model's
// store port (section 5: BW = LINE, LW = LAT).  `ce` is the engine's clock enable: a line is handed
// over only in cycles the engine runs.  Verilog-2001.
`timescale 1ns/1ps
module hlsgen_store #(
    parameter LINE = 64,                // bytes per line (the engine's wgt beat)
    parameter LINES = 16,
    parameter FB = 64,                  // bytes per fill beat (divides LINE)
    parameter LAT = 4
) (
    input  wire                 clk,
    input  wire                 ce,
    input  wire                 rst,
    input  wire                 fill,
    input  wire                 fill_valid,
    input  wire [8*FB-1:0]      fill_data,
    input  wire                 req,
    input  wire [31:0]          addr,
    input  wire [31:0]          len,
    output reg                  rd_valid,
    output reg  [8*LINE-1:0]    rd_data
);
    localparam PER = LINE / FB;         // fill beats per line
    localparam [31:0] LINE32 = LINE, PER32 = PER, LAT32 = LAT;
    reg [8*LINE-1:0] lines [0:LINES-1];
    reg [8*LINE-1:0] stage;             // a line assembled from fill beats (none when a beat is a line)
    reg [31:0] f_beat;                  // fill beats received
    reg [31:0] now, first, line, left;
    wire [31:0] f_line = f_beat / PER32;    // (< LINES)
    wire unused_fill = &{1'b0, stage, f_line};   // stage: unread when a beat is a line; f_line: its high bits
    wire [31:0] f_part = f_beat % PER32;
    wire [8*LINE-1:0] f_whole;          // the line with this fill beat in its place
    generate
        if (PER == 1) begin : one
            assign f_whole = fill_data;
        end else begin : part
            wire [8*LINE-1:0] mask = {{(8*LINE-8*FB){1'b0}}, {8*FB{1'b1}}} << (8 * FB * f_part);
            wire [8*LINE-1:0] put = {{(8*LINE-8*FB){1'b0}}, fill_data} << (8 * FB * f_part);
            assign f_whole = (stage & ~mask) | put;
        end
    endgenerate
    always @(posedge clk) begin
        now <= now + 32'd1;
        if (rst) begin
            now <= 32'd0; f_beat <= 32'd0; left <= 32'd0;
        end else begin
            if (fill) f_beat <= 32'd0;
            else if (fill_valid) begin
                if (f_part == PER32 - 32'd1) lines[f_line] <= f_whole;
                else stage <= f_whole;
                f_beat <= f_beat + 32'd1;
            end
        end
        if (ce) rd_valid <= 1'b0;
        if (!rst && req) begin
            first <= now + LAT32; line <= addr / LINE32; left <= (len + LINE32 - 32'd1) / LINE32;
        end else if (!rst && ce && left != 32'd0 && now + 32'd1 >= first) begin
            rd_valid <= 1'b1; rd_data <= lines[line];
            line <= line + 32'd1; left <= left - 32'd1;
        end
    end
endmodule
