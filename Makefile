# The README's two commands: `make run` (CivicPulse with demo data on SQLite) and `make test` (the suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE ?= config.settings.prod

.PHONY: run test install lint typecheck suite messages demo-reset clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "CivicPulse needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade >/dev/null
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv>=0.5"
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Plain HTTP on loopback: cookies cannot be marked Secure there.
run: export SECURE_COOKIES = false
run: install
	$(BIN)/civicpulse migrate --noinput
	$(BIN)/civicpulse demo --if-empty
	$(BIN)/civicpulse serve --bind 127.0.0.1:8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy civicpulse config

# Runs the pytest suite only: .ci/run calls it again with DATABASE_URL set to PostgreSQL.
suite: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

test: lint typecheck suite

messages: install
	cd civicpulse && ../$(BIN)/django-admin makemessages -l zh_Hans -l en --no-obsolete --settings=config.settings.dev --pythonpath=..
	cd civicpulse && ../$(BIN)/django-admin compilemessages --settings=config.settings.dev --pythonpath=..

clean:
	rm -rf $(VENV) var
