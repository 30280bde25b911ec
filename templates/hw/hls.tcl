# {{ banner }}
# Vitis HLS: C synthesis of the engine, and (COSIM=1) C/RTL co-simulation with the
# csim host program as test bench on INPUT (a float32 .npy batch).
open_project -reset hlsgen_engine_hls
set_top hlsgen_engine
add_files ../kernel/engine.cpp -cflags "-I../kernel -std=c++17"
add_files -tb "../host/host.cpp ../host/npy.cpp ../host/device_csim.cpp" -cflags "-I../host -I../kernel -std=c++17"
open_solution -reset solution1 -flow_target vitis
set_part {{ part }}
create_clock -period {{ clock_period_ns }} -name default
csynth_design
if {[info exists ::env(COSIM)]} {
    cosim_design -argv "--weights [file normalize ../weights.bin] --input $::env(INPUT) --output [file normalize cosim_y.npy]"
}
exit
