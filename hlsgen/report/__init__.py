"""Reports: tables, comparison across pruning levels, plots."""
