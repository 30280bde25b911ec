"""hlsgen: quantized, pruned CNNs (ONNX) to FPGA accelerators for AMD Alveo cards.

The Python API (hlsgen.api) is importable from here: ``hlsgen.build``, ``hlsgen.run``,
``hlsgen.simulate``, ``hlsgen.compare``; errors are ``hlsgen.UserError``.
"""
__version__ = "0.1.0"

from .errors import UserError  # noqa: E402

_API = ("build", "run", "simulate", "compare", "Build", "Simulation", "Comparison")


def __getattr__(name):
    """The API is imported on first use, so that ``import hlsgen`` (and the command line) stays light."""
    if name in _API:
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'hlsgen' has no attribute {name!r}")


__all__ = ["UserError", "__version__", *_API]
