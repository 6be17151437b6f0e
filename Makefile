# make test: the whole suite (pytest + pgTAP) on PostgreSQL 18 (embedded) and 15 (Debian).
# make demo: a local database, migrated and seeded, and what is in it.
# make supabase-cli: the Supabase CLI the tests push with (npm, cached in ~/.cache/vic; installed only when missing).
# make bench: matching and search at 10k-1M rows on a throw-away server, table in bench/results/ (BENCH_QUICK=1: < 2 min).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two cores on CI; the harness shares one server between xdist workers.
PYTEST_ARGS ?= -n 2
# postgresql-15 ships contrib (unaccent, pg_trgm, btree_gist): Debian 12 has no postgresql-contrib-15.
APT_PACKAGES := postgresql-15 postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
# The real Supabase CLI (its npm package pulls the platform binary from the npm registry, nothing else).
SUPABASE_CLI_VERSION := 2.117.0
SUPABASE_CLI_DIR ?= $(HOME)/.cache/vic/supabase-cli-$(SUPABASE_CLI_VERSION)
SUPABASE_CLI := $(SUPABASE_CLI_DIR)/node_modules/.bin/supabase
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)

# $(call apt_ensure,packages): install with apt only what is missing; `apt-get update` only then.
define apt_ensure
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

.PHONY: venv deps test demo python3-venv supabase-cli

python3-venv:
	$(call apt_ensure,python3-venv)

venv: $(VENV)/.installed

# Debian's own python3 cannot make a venv without python3-venv (ensurepip); other Pythons can.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || $(MAKE) --no-print-directory python3-venv
	$(PYTHON) -m venv $(VENV)
	PIP_DISABLE_PIP_VERSION_CHECK=1 $(BIN)/pip install -q -e '.[test]'
	touch $@

deps:
	$(call apt_ensure,$(APT_PACKAGES))

supabase-cli: $(SUPABASE_CLI)

$(SUPABASE_CLI):
	@command -v npm >/dev/null || { echo "apt: installing nodejs npm"; $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; }
	mkdir -p $(SUPABASE_CLI_DIR)
	cd $(SUPABASE_CLI_DIR) && npm install --silent --no-audit --no-fund -E supabase@$(SUPABASE_CLI_VERSION)
	$(SUPABASE_CLI) --version

# Both versions run even when the first fails; any non-zero pytest exit fails the target,
# including 5 (no test collected).
test: venv deps supabase-cli
	@rc=0; \
	for pg in 18 15; do \
	  echo "=== pytest --pg $$pg"; \
	  VIC_SUPABASE_CLI=$(SUPABASE_CLI) $(BIN)/python -m pytest --pg $$pg $(PYTEST_ARGS) || rc=1; \
	done; \
	exit $$rc

demo: venv
	$(BIN)/vic db up
	$(BIN)/vic db migrate
	$(BIN)/vic db seed
	$(BIN)/vic demo

# Never fails on a missed target: it reports (bench/README.md).
.PHONY: bench
bench: $(VENV)/.bench-installed
	$(BIN)/python -m bench.run

$(VENV)/.bench-installed: $(VENV)/.installed
	PIP_DISABLE_PIP_VERSION_CHECK=1 $(BIN)/pip install -q -e '.[bench]'
	touch $@
