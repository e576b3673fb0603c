# Panza: two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# The CPU build of torch is served locally on this kind of machine; installing
# the pin first keeps pip from pulling the multi-GB CUDA build.
TORCH_PIN ?= torch==2.13.0
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: venv sysdeps traydeps check test lint typecheck pytest node-deps node-lint node-test extension demo bench clean

$(VENV)/.stamp: pyproject.toml | traydeps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH_PIN)"
	@extras=dev,embeddings; \
	if pkg-config --exists gobject-introspection-1.0 cairo 2>/dev/null; then \
	  extras=$$extras,tray; \
	elif [ "$$(uname -s)" = Linux ]; then \
	  echo "note: the tray's menu needs PyGObject, which builds against: $(TRAY_DEPS)"; \
	  echo "      sudo apt-get install $(TRAY_DEPS), then: $(PIP) install -e '.[tray]'"; \
	fi; \
	echo "$(PIP) install -q -e .[$$extras]"; \
	$(PIP) install -q -e ".[$$extras]"
	@touch $@

venv: $(VENV)/.stamp

# mypy needs a directory named `panza`; mirror the package-dir mapping with links.
build/typecheck/panza:
	@mkdir -p build/typecheck/panza
	@for d in daemon training native_host installer; do ln -sfn ../../../$$d build/typecheck/panza/$$d; done

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv build/typecheck/panza
	$(VENV)/bin/mypy -p panza.daemon -p panza.training -p panza.native_host -p panza.installer

# $(call apt-ensure,PACKAGES): install those missing when running as root with apt (CI
# containers); elsewhere say what to install.
apt-ensure = missing=""; \
	for pkg in $(1); do \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "ok installed" \
	    || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	      --no-install-recommends $$missing; \
	  else \
	    echo "note: for $(2), install:$$missing (sudo apt-get install$$missing)"; \
	  fi; \
	fi

# The tray's menu on Linux: PyGObject (built into .venv, so pyenv and conda Pythons work
# too) needs the first three to build; pystray's appindicator backend loads the typelib.
TRAY_DEPS := libgirepository1.0-dev libcairo2-dev pkg-config gir1.2-ayatanaappindicator3-0.1

traydeps:
	@if command -v dpkg-query >/dev/null; then $(call apt-ensure,$(TRAY_DEPS),the tray's menu); fi

# Debian packages the test tiers run against:
#   dovecot-imapd  the IMAP tier (the tests start Dovecot themselves, unprivileged, on loopback)
#   xvfb           the tray's X11 and D-Bus tiers (a real pystray icon on a virtual display)
#   dbus-daemon    the tray's D-Bus tier (a private session bus, StatusNotifier host in the test)
#   dbus-x11       dbus-launch: a session bus for a bare X session
#   xdotool, xclip the tray's draft dialog, typed into on Xvfb; the clipboard read back
#   chromium       the extension's end-to-end tier (real Chromium, new headless mode)
#   thunderbird    the same for the Thunderbird add-on (real Thunderbird, --headless)
SYSDEPS := dovecot-imapd xvfb dbus-daemon dbus-x11 xdotool xclip chromium thunderbird $(TRAY_DEPS)

sysdeps:
	@if command -v dpkg-query >/dev/null; then $(call apt-ensure,$(SYSDEPS),some test tiers); fi

pytest: venv sysdeps
	$(VENV)/bin/pytest -q

# The unit tier: no processes, no models, no servers (markers in pyproject.toml; tests using
# the model and process fixtures are marked in tests/conftest.py).
UNIT_TIER := not integration and not process and not model and not slow and not gpu

# The fast default check while working: lint, types and the unit tier, under a minute.
check: lint typecheck
	$(VENV)/bin/pytest -q -m "$(UNIT_TIER)"

# The extension's test tools (jsdom, playwright-core, web-ext, fast-check, TypeScript, ESLint),
# as package-lock.json pins them.
extension/node_modules/.stamp: extension/package.json extension/package-lock.json
	cd extension && npm ci --no-audit --no-fund
	@touch $@

node-deps: extension/node_modules/.stamp

# The extension's JavaScript gets what the Python gets: types (tsc --checkJs, strict: the
# Chrome extension against Chrome's typings, the Thunderbird add-on against Firefox's plus
# types/messenger*.d.ts, the tests with Node's) and a linter (ESLint).
node-lint: node-deps
	cd extension && node_modules/.bin/tsc --noEmit -p tsconfig.json
	cd extension && node_modules/.bin/tsc --noEmit -p tsconfig.thunderbird.json
	cd extension && node_modules/.bin/tsc --noEmit -p test/tsconfig.json
	cd extension && node_modules/.bin/eslint .

# The extension: unit tests (node --test, jsdom; the fast-check fuzz tier with PANZA_FUZZ_RUNS
# runs per property, 100 by default), web-ext lint of the Thunderbird package,
# and the end-to-end tests in real Chromium with the real host and daemon (with CI=true a
# missing chromium fails them instead of skipping).
node-test: venv sysdeps node-deps
	cd extension && node --import ./test/register.js --test test/unit/
	cd extension && node test/lint-thunderbird.js
	cd extension && node --test --test-concurrency=1 test/e2e/

# dist/panza-thunderbird.xpi, dist/panza-chrome.zip (Web Store) and dist/chrome/ (unpacked).
extension: venv
	$(PY) extension/build.py dist

test: lint typecheck pytest node-lint node-test

demo: venv
	$(PY) -m panza.daemon.demo.run

# Every benchmark script (each writes benchmarks/out/<area>.json), then BENCHMARKS.md and
# benchmarks/results.json from the results; a failing one is reported and the rest still run.
bench: venv
	$(PY) benchmarks/run_all.py

clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
