# The README's two commands.
PYTHON ?= python3

.PHONY: demo test setup
setup:
	bash scripts/setup.sh

demo: setup
	$(PYTHON) -m hlsgen demo -o hlsgen-demo

test: setup
	$(PYTHON) -m pytest -q -m "not slow" -n 2
