# {{ banner }}
# The activations of each compute unit live in the PLRAM of its SLR (plan engine.activations). v++ sources
# this before the system link (the Makefile passes --advanced.param compiler.userPreSysLinkOverlayTcl;
# UG1393 "PLRAM Configuration and Use"): each PLRAM is sized to hold the plan's {{ act_bytes }} bytes of
# activations, built of UltraRAM, {{ plram_width }} bits wide (the act_rd / act_wr ports' width).
{% for p in plram %}
sdx_memory_subsystem::update_plram_specification [get_bd_cells /memory_subsystem] {{ p.tcl_name }} { SIZE {{ p.size }} AXI_DATA_WIDTH {{ plram_width }} SLR_ASSIGNMENT {{ p.slr }} READ_LATENCY 10 MEMORY_PRIMITIVE URAM }
{% endfor %}
validate_bd_design -force
save_bd_design
