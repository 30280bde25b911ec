// Simulation-only AXI4 memory (slave) for the RTL kernel bench: one read port, one write port,
// INCR bursts. A burst accepted in cycle A returns its beats from cycle A + LAT, one per cycle
// (RREADY is honoured); bursts queue behind each other. Writes: AW and W beats are taken as they come
// (AWREADY, WREADY high while the queues have room), each beat applied with its strobes, one B per
// burst. Bulk access: a rising edge on `load` reads FILE_IN ($readmemh, one byte per line), a rising
// edge on `dump` writes FILE_OUT.
`timescale 1ns/1ps
module hlsgen_axi_mem #(
    parameter SIZE = 4096,
    parameter RDW = 8,                   // read data bytes
    parameter WDW = 8,                   // write data bytes
    parameter LAT = 8,
    parameter FILE_IN = "mem_in.hex",
    parameter FILE_OUT = "mem_out.hex"
) (
    input  wire              clk,
    input  wire              load,
    input  wire              dump,
    input  wire [63:0]       araddr,
    input  wire [7:0]        arlen,
    input  wire              arvalid,
    output wire              arready,
    output reg  [8*RDW-1:0]  rdata,
    output wire [1:0]        rresp,
    output reg               rlast,
    output reg               rvalid,
    input  wire              rready,
    input  wire [63:0]       awaddr,
    input  wire [7:0]        awlen,
    input  wire              awvalid,
    output wire              awready,
    input  wire [8*WDW-1:0]  wdata,
    input  wire [WDW-1:0]    wstrb,
    input  wire              wlast,
    input  wire              wvalid,
    output wire              wready,
    output wire [1:0]        bresp,
    output reg               bvalid,
    input  wire              bready
);
    localparam Q = 64;
    reg [7:0] mem [0:SIZE-1];
    always @(posedge load) $readmemh(FILE_IN, mem);
    always @(posedge dump) $writememh(FILE_OUT, mem);
    assign rresp = 2'b00;
    assign bresp = 2'b00;

    reg [63:0] now;
    reg [63:0] r_addr [0:Q-1];
    reg [8:0]  r_len [0:Q-1];
    reg [63:0] r_at [0:Q-1];
    reg [31:0] r_wp, r_rp;
    reg [8:0]  r_beat;
    reg [63:0] w_addr [0:Q-1];
    reg [31:0] w_wp, w_rp, b_n;
    reg [8:0]  w_beat;
    assign arready = (r_wp - r_rp) < Q;
    assign awready = (w_wp - w_rp) < Q;
    wire w_have = (w_wp != w_rp);
    assign wready = w_have || awvalid;   // a beat needs its burst's address: queued, or offered with it
    wire [63:0] w_base = w_have ? w_addr[w_rp % Q] : awaddr;
    integer i;
    initial begin
        now = 0; r_wp = 0; r_rp = 0; r_beat = 0; w_wp = 0; w_rp = 0; w_beat = 0; b_n = 0;
        rvalid = 0; bvalid = 0;
    end
    always @(posedge clk) begin
        now <= now + 1;
        if (arvalid && arready) begin
            r_addr[r_wp % Q] <= araddr; r_len[r_wp % Q] <= {1'b0, arlen} + 9'd1; r_at[r_wp % Q] <= now + LAT;
            r_wp <= r_wp + 1;
        end
        if (!rvalid || rready) begin
            rvalid <= 1'b0;
            if (r_wp != r_rp && now + 1 >= r_at[r_rp % Q]) begin
                for (i = 0; i < RDW; i = i + 1)
                    rdata[8 * i +: 8] <= mem[r_addr[r_rp % Q] + r_beat * RDW + i];
                rvalid <= 1'b1;
                rlast <= (r_beat + 1 == r_len[r_rp % Q]);
                if (r_beat + 1 == r_len[r_rp % Q]) begin r_beat <= 0; r_rp <= r_rp + 1; end
                else r_beat <= r_beat + 1;
            end
        end
        // (a burst whose address arrives with its first beat is queued and consumed at once)
        if (awvalid && awready) begin
            w_addr[w_wp % Q] <= awaddr; w_wp <= w_wp + 1;
        end
        if (wvalid && wready) begin
            for (i = 0; i < WDW; i = i + 1)
                if (wstrb[i]) mem[w_base + w_beat * WDW + i] <= wdata[8 * i +: 8];
            if (wlast) begin w_beat <= 0; w_rp <= w_rp + 1; end
            else w_beat <= w_beat + 1;
        end
        b_n = b_n + ((wvalid && wready && wlast) ? 1 : 0);
        if (bvalid && bready) begin bvalid <= 1'b0; b_n = b_n - 1; end
        else if (!bvalid && b_n != 0) bvalid <= 1'b1;
    end
endmodule
