# Two commands do all the set-up on a fresh Linux machine:
#   make demo   creates .venv, installs costsheet and runs it on the shipped sample
#   make test   creates .venv, installs costsheet with its test extras and runs the tests
#   make lint   ruff, the layer contract (lint-imports) and the type checker (mypy)
#   make messages   extract translatable strings (Babel), update and compile every catalog
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	$(BIN)/python -m compileall -q engine/costsheet  # bytecode now, not at every start
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/costsheet estimate --params 671B --active-params 37B --tokens 14.8T --gpu H800 --gpu-count 2048 --gpu-hours 2.788M --price 2
	mkdir -p out && cp samples/deepseek-v3-like.xlsx out/demo.xlsx
	$(BIN)/costsheet run out/demo.xlsx
	@echo "open out/demo.xlsx: costsheet added Summary, Line items, Checks, Scenarios, Sensitivity, Risk, Monthly, Variance and Refresh log"

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

messages: $(STAMP)
	$(BIN)/python tools/messages.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info engine/*.egg-info
