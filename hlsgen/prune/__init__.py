"""Structured pruning: find dead and constant channels, remove them exactly.

``compact(graph) -> (graph2, report)``: graph2 computes bit-identical outputs
with the removable channels gone; the report (JSON-serializable) says per layer
what was removed, folded into a bias, or kept and why.
"""
from .analysis import Analysis, analyze
from .compact import compact, compact_with

__all__ = ["Analysis", "analyze", "compact", "compact_with"]
