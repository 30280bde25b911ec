"""hlsgen: quantized, pruned CNNs (ONNX) to FPGA accelerators for AMD Alveo cards."""
__version__ = "0.1.0"
