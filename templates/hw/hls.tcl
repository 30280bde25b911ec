# {{ banner }}
# Vitis HLS (make hls: vitis-run --mode hls --tcl hls.tcl, or vitis_hls -f hls.tcl where vitis-run is
# absent): C synthesis of the engine (C++14), and (COSIM=1) C/RTL co-simulation with the csim host
# program as test bench (C++17) on INPUT (a float32 .npy batch).
open_project -reset hlsgen_engine_hls
set_top hlsgen_engine
add_files ../kernel/engine.cpp -cflags "-I../kernel -std=c++14"
add_files -tb "../host/host.cpp ../host/npy.cpp ../host/device_csim.cpp" -cflags "-I../host -I../kernel -std=c++17"
open_solution -reset solution1 -flow_target vitis
set_part {{ part }}
create_clock -period {{ clock_period_ns }} -name default
csynth_design
if {[info exists ::env(COSIM)]} {
    cosim_design -argv "--weights [file normalize ../weights.bin] --input $::env(INPUT) --output [file normalize cosim_y.npy]"
}
exit
