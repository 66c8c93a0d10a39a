# BOS: a hardened secrets appliance. Plain GNU make, automatic dependencies.
#   make            build bos-vaultd, bos-hsmd, bosctl and bos-broker into $(BUILD)/bin
#   make deps       install missing Debian packages (sudo when not root) and the
#                   tests' pinned Node packages (npm ci into tests/node_modules)
#   make run        start a development vault with state in ./var/dev
#                   (LISTEN=ADDR:PORT serves HTTPS there instead of 127.0.0.1:8025)
#   make check      house rules, unit tests, sanitizer unit tests, integration tests
#   make bench      throughput, latency, memory and start-up against the machine's limits
#   make soak       the durability test at 100 rounds x 1,000 writers
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean

BUILD   ?= build
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/bos
DESTDIR ?=
SAN     ?= 0
STATE   ?= var/dev
LISTEN  ?=

CC      ?= cc
PKG_CONFIG ?= pkg-config

# Hardening and warnings (STYLE.md). -Werror keeps the tree warning-clean.
WARN    := -Wall -Wextra -Wformat=2 -Werror=format-security -Wshadow -Wvla \
           -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Werror
HARDEN  := -fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIE
FUZZ    ?= 0
FUZZ_TIME ?= 300
ifeq ($(SAN),1)
OPT     := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SANLD   := -fsanitize=address,undefined
else
OPT     := -O2 -g -D_FORTIFY_SOURCE=3
SANLD   :=
endif
ifeq ($(FUZZ),1)
OPT     += -fsanitize=fuzzer-no-link
endif
CPPFLAGS += -D_GNU_SOURCE -DSQLITE_HAS_CODEC -Icommon -Ishared -Ipolicy -Ivault -Isandbox -Itests/unit/support -DBOS_LIBEXECDIR='"$(LIBEXECDIR)"'
CFLAGS  ?=
CFLAGS  += -std=gnu11 $(OPT) $(WARN) $(HARDEN) -MMD -MP
LDFLAGS += -pie -Wl,-z,relro,-z,now,-z,noexecstack $(SANLD)

# Each program links only what it needs: the vault never links a PKCS#11
# library (it talks to bos-hsmd), and nothing links both SQLCipher and SQLite.
HSM_PKGS   := libp11 p11-kit-1 libcrypto
VAULT_PKGS := sqlcipher libcrypto jansson libmicrohttpd libargon2
# bosctl alone talks HTTPS as a client and draws QR codes; the vault never links libcurl.
# bosctl is only a client (issue #13): no SQLCipher, no HSM client, no vault code.
CLI_PKGS   := libcurl libqrencode libcrypto jansson
# bos-broker (broker/, docs/BROKERS.md): libcurl to the vault's socket and to
# providers, jansson, the seccomp sandbox; no vault code.
BROKER_PKGS := libcurl libcrypto jansson libmicrohttpd
pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pkg_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)
# Include paths only; what each program links is chosen per program below.
CPPFLAGS += $(call pkg_cflags,$(HSM_PKGS) $(VAULT_PKGS) $(CLI_PKGS))

COMMON_SRCS := $(wildcard common/*.c)
# shared/: what bosctl and the vault both need and that touches no vault
# state: the offline audit-trail verifier, credential ids and type names.
SHARED_SRCS := $(wildcard shared/*.c)
POLICY_SRCS := $(wildcard policy/*.c)
# sandbox/ (docs/SANDBOX.md): the seccomp filter, or the null sandbox in
# sanitizer and fuzz builds, whose runtimes make calls no allow-list should
# carry. SANDBOX_DEBUG=1 names a refused call before exiting (159);
# SANDBOX_DEBUG=log allows and logs to the kernel log (to find allow-lists).
SANDBOX_DEBUG ?= 0
ifeq ($(SAN)$(FUZZ),00)
SANDBOX_SRCS := sandbox/sandbox.c sandbox/sandbox_seccomp.c sandbox/sandbox_landlock.c
SANDBOX_LIBS := $(call pkg_libs,libseccomp)
else
SANDBOX_SRCS := sandbox/sandbox.c sandbox/sandbox_null.c
SANDBOX_LIBS :=
endif
ifeq ($(SANDBOX_DEBUG),1)
CPPFLAGS += -DBOS_SANDBOX_DEBUG=1
else ifeq ($(SANDBOX_DEBUG),log)
CPPFLAGS += -DBOS_SANDBOX_DEBUG=2
endif
HSM_SRCS    := $(filter-out hsm/hsmd_main.c,$(wildcard hsm/*.c))
# vault/ is in rooms (README.md "Source layout"): one folder per layer;
# vaultd_main.c alone stays at the top and is linked by bos-vaultd only.
VAULT_SRCS  := $(wildcard vault/*/*.c)
CLI_SRCS    := $(wildcard cli/*.c)
BROKER_SRCS := $(filter-out broker/broker_main.c,$(wildcard broker/*.c))
TEST_SUPPORT_SRCS := $(wildcard tests/unit/support/*.c)
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
TOOL_SRCS   := $(wildcard tests/tools/*.c)
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# bosctl's sources see common/ and shared/ headers only: a vault header
# included by mistake fails to compile instead of pulling vault code in.
$(call obj,$(CLI_SRCS)): CPPFLAGS := $(filter-out -Ivault -Ipolicy -Isandbox -Itests/unit/support \
	-DSQLITE_HAS_CODEC,$(CPPFLAGS))

LIBCOMMON := $(BUILD)/lib/libcommon.a
LIBSHARED := $(BUILD)/lib/libshared.a
LIBPOLICY := $(BUILD)/lib/libpolicy.a
LIBHSM    := $(BUILD)/lib/libhsm.a
LIBVAULT  := $(BUILD)/lib/libvault.a
LIBSANDBOX := $(BUILD)/lib/libsandbox.a
LIBBROKER := $(BUILD)/lib/libbroker.a
# bosctl's modules without its main (cli/bosctl.c), for the unit tests and
# fuzzers of its parsers (tests/unit/test_mcp_*.c, tests/fuzz/fuzz_mcp_rpc.c).
CLI_LIB_SRCS := $(filter-out cli/bosctl.c,$(CLI_SRCS))
LIBCLI    := $(BUILD)/lib/libcli.a

# bos-broker's sources see common/ and sandbox/ headers only (no vault, policy
# or shared/ code); the unit tests and tools that call the connectors see broker/.
$(call obj,$(BROKER_SRCS) broker/broker_main.c): CPPFLAGS := $(filter-out -Ivault -Ipolicy -Ishared \
	-Itests/unit/support -DSQLITE_HAS_CODEC,$(CPPFLAGS))
$(call obj,$(UNIT_SRCS) $(TOOL_SRCS)): CPPFLAGS += -Ibroker
# Unit tests and fuzzers of bosctl's code: they link bosctl's libraries only
# (LIBCLI, shared/, common/), as bosctl does, and see its headers.
CLI_UNIT_SRCS := $(wildcard tests/unit/test_mcp_*.c tests/unit/test_tool*.c)
CLI_FUZZ_SRCS := tests/fuzz/fuzz_mcp_rpc.c
$(call obj,$(CLI_UNIT_SRCS) $(CLI_FUZZ_SRCS)): CPPFLAGS += -Icli
# Fuzzers of the broker's hooks parsers (broker/hooks_*.c) and of what it
# reads from Meta (broker/conn_meta.c): they link the broker's library, as
# bos-broker does, and see its headers.
HOOKS_FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_hooks_*.c) tests/fuzz/fuzz_meta_answer.c
$(call obj,$(HOOKS_FUZZ_SRCS)): CPPFLAGS += -Ibroker

BINS  := $(BUILD)/bin/bos-vaultd $(BUILD)/bin/bos-hsmd $(BUILD)/bin/bosctl $(BUILD)/bin/bos-broker
UNITS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(TOOL_SRCS))
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

.PHONY: FORCE all deps deps-system run check unit asan integration house-rules fuzz fuzzers fuzz-run install clean bench soak programs
all: $(BINS)

# Everything the unit and integration stages run, built JOBS at a time
# (`make check` builds with it first, then runs the stages one after another).
JOBS ?= $(shell nproc 2>/dev/null || echo 1)

# V=1 shows full commands.
V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

# Objects depend on the flags they were built with, so changing PREFIX, SAN
# or CFLAGS rebuilds instead of mixing old and new objects.
FLAGS_STAMP := $(BUILD)/flags
$(FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(CPPFLAGS) $(CFLAGS)' | cmp -s - $@ || echo '$(CC) $(CPPFLAGS) $(CFLAGS)' > $@
FORCE:

$(BUILD)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(call obj,$(COMMON_SRCS))
$(LIBSHARED): $(call obj,$(SHARED_SRCS))
$(LIBPOLICY): $(call obj,$(POLICY_SRCS))
$(LIBHSM): $(call obj,$(HSM_SRCS))
$(LIBVAULT): $(call obj,$(VAULT_SRCS))
$(LIBSANDBOX): $(call obj,$(SANDBOX_SRCS))
$(LIBBROKER): $(call obj,$(BROKER_SRCS))
$(LIBCLI): $(call obj,$(CLI_LIB_SRCS))
$(BUILD)/lib/%.a:
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/bin/bos-hsmd: $(call obj,hsm/hsmd_main.c) $(LIBHSM) $(LIBSANDBOX) $(LIBCOMMON)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pkg_libs,$(HSM_PKGS)) $(SANDBOX_LIBS) -ldl

$(BUILD)/bin/bos-vaultd: $(call obj,vault/vaultd_main.c) $(LIBVAULT) $(LIBPOLICY) $(LIBSHARED) $(LIBSANDBOX) $(LIBCOMMON)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pkg_libs,$(VAULT_PKGS)) $(SANDBOX_LIBS)

# bosctl links shared/ and common/ only; tools/house-rules.sh checks the
# binary (no SQLCipher, no store_, cred_ or hsm_client_ symbol).
$(BUILD)/bin/bosctl: $(call obj,$(CLI_SRCS)) $(LIBSHARED) $(LIBCOMMON)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pkg_libs,$(CLI_PKGS))

# bos-broker links common/ and sandbox/ only (tools/house-rules.sh checks it).
$(BUILD)/bin/bos-broker: $(call obj,broker/broker_main.c) $(LIBBROKER) $(LIBSANDBOX) $(LIBCOMMON)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pkg_libs,$(BROKER_PKGS)) $(SANDBOX_LIBS)

# Unit tests and test tools link every library; they are not shipped.
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(call obj,$(TEST_SUPPORT_SRCS)) $(LIBVAULT) $(LIBPOLICY) $(LIBSHARED) $(LIBHSM) $(LIBBROKER) $(LIBSANDBOX) $(LIBCOMMON)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka $(call pkg_libs,$(VAULT_PKGS) $(HSM_PKGS) $(BROKER_PKGS)) $(SANDBOX_LIBS) -ldl
CLI_UNITS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(CLI_UNIT_SRCS))
$(CLI_UNITS): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBCLI) $(LIBSHARED) $(LIBCOMMON)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka $(call pkg_libs,$(CLI_PKGS)) -lpthread
$(BUILD)/tests/%: $(BUILD)/obj/tests/tools/%.o $(LIBVAULT) $(LIBPOLICY) $(LIBSHARED) $(LIBHSM) $(LIBBROKER) $(LIBSANDBOX) $(LIBCOMMON)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pkg_libs,$(VAULT_PKGS) $(HSM_PKGS) $(CLI_PKGS) libssl) $(SANDBOX_LIBS) -ldl

# LD_PRELOAD fault injectors for integration tests (tests/tools/preload/*.c,
# e.g. fsync_fail.so for t_fsync_fatal.sh). Shared objects, not programs, so
# they stay out of TOOL_SRCS and have this rule of their own. Built without
# the sanitizers even in SAN=1 trees: an uninstrumented shim preloads into an
# ASan daemon with ASAN_OPTIONS=verify_asan_link_order=0.
PRELOAD_SRCS := $(wildcard tests/tools/preload/*.c)
PRELOADS := $(patsubst tests/tools/preload/%.c,$(BUILD)/tests/%.so,$(PRELOAD_SRCS))
$(BUILD)/tests/%.so: tests/tools/preload/%.c tests/tools/preload/preload_fds.h
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -fPIC -shared -o $@ $< -ldl
integration: $(PRELOADS)
programs: $(BINS) $(UNITS) $(TOOLS) $(PRELOADS)

# libFuzzer targets, one per parser of untrusted input (clang, ASan + UBSan).
$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(LIBVAULT) $(LIBPOLICY) $(LIBSHARED) $(LIBHSM) $(LIBCOMMON)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(call pkg_libs,$(VAULT_PKGS) $(HSM_PKGS)) -ldl

CLI_FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(CLI_FUZZ_SRCS))
$(CLI_FUZZERS): $(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(LIBCLI) $(LIBSHARED) $(LIBCOMMON)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(call pkg_libs,$(CLI_PKGS))

HOOKS_FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(HOOKS_FUZZ_SRCS))
$(HOOKS_FUZZERS): $(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(LIBBROKER) $(LIBCOMMON)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(call pkg_libs,$(BROKER_PKGS))

fuzzers: $(FUZZERS)
fuzz-run: $(FUZZERS)
	@BOS_FUZZ_TIME=$(FUZZ_TIME) tests/run-fuzz.sh $(FUZZERS)

# `make fuzz` runs each target for FUZZ_TIME seconds (default 300); `make check`
# runs the same targets for 10 seconds each.
fuzz:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang SAN=1 FUZZ=1 -j$(JOBS) fuzzers
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang SAN=1 FUZZ=1 FUZZ_TIME=$(FUZZ_TIME) fuzz-run

# `make bench` (docs/PERFORMANCE.md): limit tools, an open-loop load generator
# and timers in bench/, one program per file, each linking only its own
# libraries; bench/run.sh starts a vault and prints the table.
BENCH_SRCS  := $(wildcard bench/*.c)
BENCH_TOOLS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
BENCH_LIBS_p11_unwrap    := -ldl -lpthread
BENCH_LIBS_fsync_append  :=
BENCH_LIBS_hello_https   = $(call pkg_libs,libmicrohttpd)
BENCH_LIBS_openloop      = $(call pkg_libs,gnutls) -lpthread
BENCH_LIBS_argon2_verify = $(call pkg_libs,libargon2)
BENCH_LIBS_startup       :=
BENCH_LIBS_lease_rate    = $(call pkg_libs,libcurl) -lpthread
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BENCH_LIBS_$*)

bench: deps-system
	@$(MAKE) --no-print-directory all $(BENCH_TOOLS)
	@BOS_BIN=$(BUILD)/bin BOS_BENCHBIN=$(BUILD)/bench bench/run.sh

# deps-system alone for what only builds and runs the programs (make run, bench):
# the Node packages serve the tests only.
deps: deps-system
	@tools/npm-deps.sh
deps-system:
	@tools/deps.sh

run: deps-system
	@$(MAKE) --no-print-directory all
	exec $(BUILD)/bin/bos-vaultd --state-dir $(STATE) --dev$(if $(LISTEN), --listen $(LISTEN))

unit: $(BINS) $(UNITS) $(TOOLS)
	@BOS_BIN=$(BUILD)/bin tests/run-unit.sh $(UNITS)

# The unit and integration suites again under ASan + UBSan, in their own
# build tree (the daemons the integration tests start are sanitized too).
asan:
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 -j$(JOBS) programs
	@BOS_SANITIZED=1 $(MAKE) --no-print-directory BUILD=build-asan SAN=1 unit integration

# The durability test (tests/integration/t_durability.sh, issue #7) at soak
# size: SOAK_ROUNDS rounds of SIGKILL and restart under SOAK_WRITERS concurrent
# writers (the test raises conn_limit and conn_per_ip_limit above 60). Every
# round checks its own acknowledged writes and the whole audit trail; every
# 10th round and the last re-read all earlier writes too. Run directly, not by
# tests/run-integration.sh, whose 600 s limit per test is too short for it.
SOAK_ROUNDS  ?= 100
SOAK_WRITERS ?= 1000
soak: all $(TOOLS)
	@BOS_BIN=$(CURDIR)/$(BUILD)/bin BOS_TESTBIN=$(CURDIR)/$(BUILD)/tests \
	BOS_DURA_ROUNDS=$(SOAK_ROUNDS) BOS_DURA_WRITERS=$(SOAK_WRITERS) BOS_DURA_FULL_EVERY=10 \
	bash tests/integration/t_durability.sh

integration: $(BINS) $(TOOLS)
	@BOS_BIN=$(BUILD)/bin BOS_TESTBIN=$(BUILD)/tests tests/run-integration.sh

house-rules: $(BINS)
	@BOS_BIN=$(BUILD)/bin tools/house-rules.sh

# Each stage appends "passed failed" to $(COUNTS); the last line is the total.
COUNTS := $(CURDIR)/$(BUILD)/check-counts
# Each stage says how long it took (make check should stay near 20 minutes on 2 cores).
stage = t=$$(date +%s); BOS_COUNTS=$(COUNTS) $(MAKE) --no-print-directory $(2); rc=$$?; \
	echo "stage $(1): $$(( $$(date +%s) - t )) s"; exit $$rc
check: deps
	@$(call stage,build,-j$(JOBS) programs)
	@mkdir -p $(BUILD) && rm -f $(COUNTS)
	@$(call stage,house-rules,house-rules)
	@$(call stage,unit,unit)
	@$(call stage,asan,asan)
	@$(call stage,integration,integration)
	@$(call stage,fuzz,fuzz FUZZ_TIME=10)
	@awk '{p+=$$1; f+=$$2} END {print "check: " p " passed, " f " failed"; exit f > 0}' $(COUNTS)

# Units, the sysusers file and the example bos.conf go under PREFIX too
# (/usr/local/lib/systemd/system is on systemd's search path). The units name
# /usr/local/bin; for another PREFIX that path is rewritten to BINDIR.
# Nothing is enabled or started: docs/DEPLOY.md walks through that.
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DATADIR     ?= $(PREFIX)/share/bos
DOCDIR      ?= $(PREFIX)/share/doc/bos
install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 $(BUILD)/bin/bos-vaultd $(BUILD)/bin/bosctl $(BUILD)/bin/bos-broker $(DESTDIR)$(BINDIR)/
	install -m 0755 $(BUILD)/bin/bos-hsmd $(DESTDIR)$(LIBEXECDIR)/
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DATADIR)/dropins $(DESTDIR)$(DOCDIR)
	for u in bos-vaultd.service bos-vaultd.socket bos-hsmd.service bos-broker@.service; do \
		sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/usr/local/share/doc/bos/|$(DOCDIR)/|g' \
		    -e 's|/usr/local/libexec/bos/|$(LIBEXECDIR)/|g' \
		    systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 systemd/sysusers.d/bos.conf $(DESTDIR)$(SYSUSERSDIR)/bos.conf
	install -m 0644 systemd/bos.conf.example systemd/broker.conf.example $(DESTDIR)$(DATADIR)/
	install -m 0644 systemd/dropins/*.conf $(DESTDIR)$(DATADIR)/dropins/
	install -m 0644 docs/DEPLOY.md $(DESTDIR)$(DOCDIR)/

clean:
	rm -rf build build-asan build-fuzz

.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
