#!/usr/bin/env bash
# Install everything hlsgen needs on a fresh machine: system packages, then the package itself.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
need_apt=""
for tool in yosys iverilog g++ make; do command -v "$tool" >/dev/null 2>&1 || need_apt=1; done
[ -f /usr/include/lz4.h ] || need_apt=1   # Verilator's FST writer (simulate --trace)
if [ -n "$need_apt" ]; then
  echo "setup: installing system packages (yosys, iverilog, g++, make, liblz4-dev)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq yosys iverilog g++ make liblz4-dev >/dev/null
fi
PY=${PYTHON:-python3}
# torch first, pinned to the CPU wheel (a bare 'torch' requirement would pull a multi-GB CUDA build).
if ! $PY -c "import torch" >/dev/null 2>&1; then
  echo "setup: installing torch (CPU)"
  $PY -m pip install -q torch==2.13.0
fi
# Always (re)install this checkout: pip is quick when everything is there, and an editable install
# left by another checkout must not be what the tests import.
echo "setup: installing hlsgen and its dependencies"
$PY -m pip install -q --disable-pip-version-check -e ".[test]"
