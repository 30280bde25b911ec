"""The golden model: numpy, bit-exact with onnxruntime (see ops.py for what that means)."""
from .run import run, run_tensors

__all__ = ["run", "run_tensors"]
