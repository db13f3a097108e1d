# The two commands: `make run` (set up and serve the portal with demo data) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1

.PHONY: run test setup clean-instance

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

setup: $(VENV)/.installed-run
	$(BIN)/python -m portal.instance
	PORTAL_ENV=development $(BIN)/flask --app wsgi db upgrade
	PORTAL_ENV=development $(BIN)/flask --app wsgi demo-data --if-empty

# The web server in the foreground; the postback worker and the scheduled jobs beside it, stopped with it.
run: setup
	@echo "Serving the portal on http://$(HOST):$(PORT), with the postback worker  (Ctrl-C stops both)"
	export PORTAL_ENV=development; \
	$(BIN)/flask --app wsgi postbacks work & delivery=$$!; \
	$(BIN)/flask --app wsgi scheduler >/dev/null & jobs=$$!; \
	trap 'kill $$delivery $$jobs 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT) --no-debugger --no-reload

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean-instance:
	rm -f instance/portal.sqlite
