# supportgrant — one non-recursive Makefile.
#
#   make                 build into build/
#   make check           all tests (ASan+UBSan build, valgrind, e2e sandbox as root)
#   make demo            the whole story in a private sandbox (root)
#   make deps            install missing Debian packages (idempotent)
#   make install         PREFIX, DESTDIR, PAMDIR, SYSCONFDIR, ... as usual
#
# Variants: B=build-asan SANITIZE=1 (what check uses), B=build-bench OPT=-O3.

VERSION     := 0.1.0

PREFIX      ?= /usr
BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
DOCDIR      ?= $(DATADIR)/doc/supportgrant
SYSCONFDIR  ?= /etc
MULTIARCH   := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || $(CC) -print-multiarch)
PAMDIR      ?= /usr/lib/$(MULTIARCH)/security
SYSTEMDUNITDIR ?= /usr/lib/systemd/system
CATALOGDIR  ?= /usr/lib/systemd/catalog
TMPFILESDIR ?= /usr/lib/tmpfiles.d
PAMCONFIGDIR ?= $(DATADIR)/pam-configs
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions

B           ?= build
CC          ?= gcc
OPT         ?= -O2
SANITIZE    ?=

PKGS        := libsystemd sqlite3 json-c zlib libcrypto
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The module is a client of the daemon: it never links SQLite (only the daemon opens the
# database), so an object of the common library that needs it cannot end up inside.
MODULE_LIBS := $(shell pkg-config --libs libsystemd json-c 2>/dev/null)

WARNINGS    := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wmissing-prototypes \
               -Wstrict-prototypes -Wvla -Wundef -Wno-unused-parameter
CFLAGS_BASE := -std=gnu11 -g $(OPT) $(WARNINGS) -fPIC -fvisibility=hidden \
               -fstack-protector-strong -fno-strict-aliasing -D_GNU_SOURCE \
               -DSG_VERSION=\"$(VERSION)\" -DSG_SBINDIR=\"$(SBINDIR)\" -Icommon $(PKG_CFLAGS)
ifeq ($(SANITIZE),1)
CFLAGS_BASE += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS_SAN := -fsanitize=address,undefined
MODULE_DEFS :=
else
CFLAGS_BASE += -D_FORTIFY_SOURCE=2
LDFLAGS_SAN :=
MODULE_DEFS := -Wl,-z,defs
endif
ALL_CFLAGS  := $(CFLAGS_BASE) $(CFLAGS)

# Quiet by default; V=1 prints the commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif
ALL_LDFLAGS := $(LDFLAGS_SAN) -Wl,-z,relro,-z,now $(LDFLAGS)

COMMON_SRC  := $(sort $(wildcard common/*.c))
COMMON_OBJ  := $(COMMON_SRC:%.c=$(B)/%.o)
COMMON_LIB  := $(B)/libsgcommon.a

MODULE      := $(B)/pam_supportgrant.so
CLI         := $(B)/supportgrant
DAEMON      := $(B)/supportgrantd

UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN    := $(UNIT_SRC:%.c=$(B)/%)
TESTLIB_SRC := $(sort $(wildcard tests/lib/*.c))
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(B)/%.o)

HELPER_CLI_SRC    := $(sort $(wildcard helper/cli/*.c))
HELPER_DAEMON_SRC := $(sort $(wildcard helper/daemon/*.c))
# The daemon without its main(): what the method tests and the request fuzzer link.
DAEMON_LIB_OBJ    := $(filter-out $(B)/helper/daemon/supportgrantd.o,$(HELPER_DAEMON_SRC:%.c=$(B)/%.o))

TARGETS := $(MODULE)
ifneq ($(HELPER_CLI_SRC),)
TARGETS += $(CLI)
endif
ifneq ($(HELPER_DAEMON_SRC),)
TARGETS += $(DAEMON)
endif

PAM_TEST_SRC := $(sort $(wildcard tests/pam/test_*.c))
PAM_TEST_BIN := $(PAM_TEST_SRC:%.c=$(B)/%)

.PHONY: all check check-format check-includes check-man format unit deps install uninstall clean demo deb deb-deps bench \
        bench-build fuzz fuzz-build tests-build
.DEFAULT_GOAL := all

all: $(TARGETS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(COMMON_LIB): $(COMMON_OBJ)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(MODULE): $(B)/pam_module/pam_supportgrant.o $(COMMON_LIB) pam_module/module.map
	$(call say,LD,$@)
	$(Q)$(CC) -shared $(ALL_LDFLAGS) $(MODULE_DEFS) -Wl,--version-script=pam_module/module.map \
		-o $@ $(B)/pam_module/pam_supportgrant.o $(COMMON_LIB) $(MODULE_LIBS) -lpam

$(CLI): $(HELPER_CLI_SRC:%.c=$(B)/%.o) $(COMMON_LIB)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The interface description is compiled in: GetInterfaceDescription answers with it.
$(B)/helper/daemon/io.supportgrant.varlink.h: helper/daemon/io.supportgrant.varlink
	@mkdir -p $(@D)
	$(Q)sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@
$(B)/helper/daemon/methods.o: $(B)/helper/daemon/io.supportgrant.varlink.h
$(B)/helper/daemon/methods.o: ALL_CFLAGS += -I$(B)/helper/daemon

$(DAEMON): $(HELPER_DAEMON_SRC:%.c=$(B)/%.o) $(COMMON_LIB)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Unit tests: one cmocka program per tests/unit/test_*.c, linked against the common library.
$(B)/tests/unit/%: $(B)/tests/unit/%.o $(TESTLIB_OBJ) $(COMMON_LIB)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka

# The method layer (tests/unit/test_methods.c) runs the daemon's own dispatcher.
$(B)/tests/unit/test_methods.o: ALL_CFLAGS += -Ihelper/daemon
$(B)/tests/unit/test_methods: $(B)/tests/unit/test_methods.o $(DAEMON_LIB_OBJ) $(TESTLIB_OBJ) \
		$(COMMON_LIB)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka

$(B)/tests/pam/%: $(B)/tests/pam/%.o $(TESTLIB_OBJ) $(COMMON_LIB)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka -lpam

# The directory stand-in (tests/nss): loaded by sshd and pamtester, so never sanitized.
NSS_TEST_LIB := $(B)/tests/nss/libnss_sgdir.so.2
$(NSS_TEST_LIB): tests/nss/nss_sgdir.c
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(CC) -std=gnu11 -g -O2 $(WARNINGS) -fPIC -fvisibility=hidden -D_GNU_SOURCE -shared \
		-Wl,-soname,libnss_sgdir.so.2 -o $@ $<

# What a staff member who wants to outlive the access runs (tests/e2e): run by the test users
# from a copy, so never sanitized.
OUTLIVE_BIN := $(B)/tests/e2e/outlive
$(OUTLIVE_BIN): tests/e2e/outlive.c
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(CC) -std=gnu11 -g -O2 $(WARNINGS) -D_GNU_SOURCE -o $@ $<

tests-build: $(TARGETS) $(UNIT_BIN) $(PAM_TEST_BIN) $(NSS_TEST_LIB) $(OUTLIVE_BIN)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# ---------------------------------------------------------------------------------------
# check: style, then the ASan+UBSan build with every suite, then valgrind on the PAM suite.

CHECK_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find common pam_module helper tests -name '*.[ch]')

check-format:
	@out=$$(clang-format --dry-run -Werror $(CHECK_SRC) 2>&1) || { echo "$$out" | head -40; \
		echo "check-format: run 'make format'"; exit 1; }
	@echo "check-format: ok"

format:
	clang-format -i $(CHECK_SRC)

# The daemon's files form layers, not a circle: an edge X -> Y for each #include "Y.h" in X.c
# or X.h (X, Y files of helper/daemon), and tsort finds any loop.
check-includes:
	@mkdir -p $(B); cd helper/daemon && for f in *.c *.h; do \
		for h in $$(sed -n 's/^#include "\([a-z_-]*\)\.h"$$/\1/p' $$f); do \
			[ -e $$h.h ] && [ $$h != $${f%.*} ] && echo "$${f%.*} $$h"; \
		done; echo "$${f%.*} $${f%.*}"; \
	done | sort -u | tsort >/dev/null 2>$(CURDIR)/$(B)/check-includes.log || \
		{ cat $(CURDIR)/$(B)/check-includes.log; echo "check-includes: helper/daemon has a circle of includes"; exit 1; }
	@echo "check-includes: ok (helper/daemon: no circle of includes)"

check: deps
	$(MAKE) check-format
	$(MAKE) check-man
	$(MAKE) check-includes
	$(MAKE) B=build-asan SANITIZE=1 tests-build
	tests/run-tests.sh build-asan
	$(MAKE) B=build tests-build
	tests/run-valgrind.sh build

# ---------------------------------------------------------------------------------------
# bench (issue 6): an optimized build and the measurements of bench/run.sh, printed as a table
# and written to bench/results.json. Needs root (private host sandbox). Not part of check.

BENCH_B   := build-bench
BENCH_OPT := -O2

$(B)/bench/%: $(B)/bench/%.o $(COMMON_LIB)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpam -lm

# The baseline of the audit trail's cost: the daemon with manager_record() appending nothing.
$(B)/bench/notrail/manager.o: helper/daemon/manager.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -DSG_BENCH_NO_TRAIL -MMD -MP -c -o $@ $<
$(B)/bench/supportgrantd-notrail: $(filter-out $(B)/helper/daemon/manager.o,$(HELPER_DAEMON_SRC:%.c=$(B)/%.o)) \
		$(B)/bench/notrail/manager.o $(COMMON_LIB)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

bench-build: $(TARGETS) $(B)/bench/sgbench $(B)/bench/supportgrantd-notrail

bench: deps
	$(MAKE) B=$(BENCH_B) OPT=$(BENCH_OPT) bench-build
	bench/run.sh $(BENCH_B)

# ---------------------------------------------------------------------------------------
# install: the programs, the module and the configuration (kept if already there: it is the
# administrator's), then what packaging/ holds: units, journal catalog, tmpfiles.d entry,
# the pam-auth-update profile, bash completion, man pages and the sshd example. No staff group:
# that is the administrator's or the directory's (SPEC §2). Installing does not enable anything: see README "Install from the .deb".

INSTALL ?= install

MAN_PAGES := pam_module/pam_supportgrant.8 helper/cli/supportgrant.1 helper/daemon/supportgrantd.8 \
             conf/supportgrant.conf.5

install: $(TARGETS)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PAMDIR) \
		$(DESTDIR)$(SYSCONFDIR)/security $(DESTDIR)$(DOCDIR) $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(CATALOGDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(PAMCONFIGDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/supportgrant
	$(INSTALL) -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/supportgrantd
	$(INSTALL) -m 0644 $(MODULE) $(DESTDIR)$(PAMDIR)/pam_supportgrant.so
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/security/supportgrant.conf ]; then \
		echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/security/supportgrant.conf"; \
	else \
		$(INSTALL) -m 0644 conf/supportgrant.conf $(DESTDIR)$(SYSCONFDIR)/security/supportgrant.conf; \
	fi
	$(INSTALL) -m 0644 README.md SECURITY.md $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 0644 packaging/systemd/supportgrant.socket packaging/systemd/supportgrant.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/
	$(INSTALL) -m 0644 packaging/supportgrant.catalog $(DESTDIR)$(CATALOGDIR)/supportgrant.catalog
	$(INSTALL) -m 0644 packaging/tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/supportgrant.conf
	$(INSTALL) -m 0644 packaging/pam-configs/supportgrant $(DESTDIR)$(PAMCONFIGDIR)/supportgrant
	$(INSTALL) -m 0644 packaging/bash-completion/supportgrant $(DESTDIR)$(BASHCOMPDIR)/supportgrant
	$(INSTALL) -m 0644 packaging/sshd/supportgrant.conf \
		$(DESTDIR)$(DOCDIR)/examples/sshd_config.d-supportgrant.conf
	$(INSTALL) -m 0644 helper/cli/supportgrant.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 conf/supportgrant.conf.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 0644 pam_module/pam_supportgrant.8 helper/daemon/supportgrantd.8 $(DESTDIR)$(MANDIR)/man8/
	@[ -n "$(DESTDIR)" ] || printf '%s\n' "install: done; nothing is enabled yet. Next, as root:" \
		"  systemctl daemon-reload" \
		"  systemd-tmpfiles --create supportgrant.conf" \
		"  systemctl enable --now supportgrant.socket" \
		"  journalctl --update-catalog" \
		"then wire PAM and sshd (README, \"Configure sshd and PAM\"); until the socket runs," \
		"staff are refused and the CLI exits 69."

# The profile leaves /etc/pam.d/common-* before the module leaves the disk (as the package's
# prerm does): a "required" line naming a missing module would refuse every login. Lines added
# by hand stay; their files are named.
uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -e $(PAMCONFIGDIR)/supportgrant ] && \
		command -v pam-auth-update >/dev/null; then \
		echo "uninstall: pam-auth-update --package --remove supportgrant"; \
		DEBIAN_FRONTEND=noninteractive pam-auth-update --package --remove supportgrant; \
	fi
	rm -f $(DESTDIR)$(BINDIR)/supportgrant $(DESTDIR)$(SBINDIR)/supportgrantd \
		$(DESTDIR)$(PAMDIR)/pam_supportgrant.so \
		$(DESTDIR)$(SYSTEMDUNITDIR)/supportgrant.socket \
		$(DESTDIR)$(SYSTEMDUNITDIR)/supportgrant.service \
		$(DESTDIR)$(CATALOGDIR)/supportgrant.catalog $(DESTDIR)$(TMPFILESDIR)/supportgrant.conf \
		$(DESTDIR)$(PAMCONFIGDIR)/supportgrant \
		$(DESTDIR)$(BASHCOMPDIR)/supportgrant $(DESTDIR)$(MANDIR)/man1/supportgrant.1 \
		$(DESTDIR)$(MANDIR)/man5/supportgrant.conf.5 $(DESTDIR)$(MANDIR)/man8/pam_supportgrant.8 \
		$(DESTDIR)$(MANDIR)/man8/supportgrantd.8
	rm -rf $(DESTDIR)$(DOCDIR)
	@left=$$(grep -l pam_supportgrant $(DESTDIR)$(SYSCONFDIR)/pam.d/* 2>/dev/null || true); \
	[ -z "$$left" ] || echo "uninstall: still naming pam_supportgrant.so (remove those lines):" $$left

# ---------------------------------------------------------------------------------------
# Packaging (issue 5): the Debian package and the man page check.
#
#   make deb         supportgrant_$(VERSION)_<arch>.deb in the top directory, from a clean clone
#   make check-man   mandoc -T lint on every man page (part of make check)
#
# packaging/debian is copied to ./debian (ignored by git, removed by make clean) for the build;
# debian/rules builds into build-deb/ with the Debian build flags. No dpkg-buildpackage:
# it would put the .deb and .changes in the parent directory, shared with other checkouts.

DEB_ARCH := $(shell dpkg-architecture -qDEB_HOST_ARCH 2>/dev/null)
DEB_FILE := supportgrant_$(VERSION)_$(DEB_ARCH).deb

deb-deps:
	@$(MAKE) --no-print-directory deps DEB_DEPS="$(DEB_DEB_DEPS)"

deb: deb-deps
	rm -rf debian && cp -a packaging/debian debian
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); [ "$$v" = "$(VERSION)" ] || \
		{ echo "deb: packaging/debian/changelog says $$v, Makefile VERSION is $(VERSION)"; exit 1; }
	dpkg-checkbuilddeps
	rm -f $(DEB_FILE)
	SG_DEB_DESTDIR=$(CURDIR) debian/rules binary
	@echo "deb: $(DEB_FILE)"
	@lintian --tag-display-limit 0 $(DEB_FILE) || true

check-man:
	@set -e; for m in $(MAN_PAGES); do \
		out=$$(mandoc -T lint $$m 2>&1) || true; \
		if [ -n "$$out" ]; then echo "$$out"; echo "check-man: $$m is not lint-clean"; exit 1; fi; \
	done; echo "check-man: ok"

# ---------------------------------------------------------------------------------------
# demo: the whole story, narrated, in a private sandbox host (tests/lib/host.sh); as root.
# Leaves nothing behind on this machine.

demo: deps
	$(MAKE) B=$(B) all
	tests/e2e/demo.sh $(B)

# ---------------------------------------------------------------------------------------

DEB_BUILD_DEPS := build-essential pkg-config libpam0g-dev libsystemd-dev libsqlite3-dev \
                  libjson-c-dev zlib1g-dev libssl-dev
DEB_TEST_DEPS  := libcmocka-dev libpam-wrapper libnss-wrapper libpamtest0-dev pamtester \
                  clang clang-format valgrind sqlite3 tzdata systemd openssh-server \
                  openssh-client openssh-sftp-server rsync util-linux procps passwd \
                  libpam-modules libpam-runtime iproute2 psmisc bash-completion \
                  jq python3 strace uidmap debootstrap systemd-container
DEB_PKG_DEPS   := debhelper devscripts lintian mandoc fakeroot dpkg-dev hyperfine
DEB_DEPS       := $(DEB_BUILD_DEPS) $(DEB_TEST_DEPS) $(DEB_PKG_DEPS)
# What "make deb" needs, and no more (not the test toolchain).
DEB_DEB_DEPS   := $(DEB_BUILD_DEPS) debhelper lintian fakeroot dpkg-dev

deps:
	@missing=$$(for p in $(DEB_DEPS); do \
		dpkg-query -W -f='$${db:Status-Status}\n' $$p 2>/dev/null | grep -qx installed \
			|| echo $$p; done); \
	if [ -z "$$missing" ]; then echo "deps: all installed"; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "deps: missing packages; run as root:"; \
		echo "  apt-get install --no-install-recommends" $$missing; exit 1; \
	else \
		echo "deps: installing" $$missing; \
		made=; if [ ! -e /usr/sbin/policy-rc.d ]; then \
			printf '#!/bin/sh\n# make deps: packages are installed, their services not started\nexit 101\n' \
				>/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && made=1; \
		fi; \
		rc=0; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing || rc=$$?; \
		[ -z "$$made" ] || rm -f /usr/sbin/policy-rc.d; \
		exit $$rc; \
	fi

clean:
	rm -rf build build-* debian supportgrant_$(VERSION)_*.deb supportgrant-dbgsym_$(VERSION)_*.deb

-include $(COMMON_OBJ:.o=.d) $(B)/pam_module/pam_supportgrant.d \
	$(HELPER_CLI_SRC:%.c=$(B)/%.d) $(HELPER_DAEMON_SRC:%.c=$(B)/%.d) \
	$(UNIT_SRC:%.c=$(B)/%.d) $(PAM_TEST_SRC:%.c=$(B)/%.d) $(TESTLIB_SRC:%.c=$(B)/%.d) \
	$(B)/bench/sgbench.d

# ---------------------------------------------------------------------------------------
# Fuzzing (tests/fuzz, issue 7). Each target is one LLVMFuzzerTestOneInput; it is linked two
# ways:
#   - in every build dir with tests/fuzz/driver.c, a plain main() that replays the committed
#     corpus (tests/fuzz/regress.sh, suite "fuzz" of make check, under ASan+UBSan with gcc);
#   - with libFuzzer by `make fuzz`: clang, -fsanitize=fuzzer,address,undefined, into
#     build-fuzz/, then each target runs FUZZ_SECONDS (default 60) on a scratch copy of its
#     corpus. Crashers land in build-fuzz/crashes/; add each one to tests/fuzz/corpus/TARGET/.

FUZZ_TARGETS  := fuzz_conf fuzz_code fuzz_reason fuzz_request
FUZZ_SECONDS  ?= 60
FUZZ_B        := build-fuzz
FUZZ_ENGINE   ?= driver
FUZZ_BIN      := $(FUZZ_TARGETS:%=$(B)/tests/fuzz/%)
FUZZ_DAEMON_OBJ := $(DAEMON_LIB_OBJ)

ifeq ($(FUZZ_ENGINE),libfuzzer)
FUZZ_LINK := -fsanitize=fuzzer
FUZZ_MAIN :=
else
FUZZ_LINK :=
FUZZ_MAIN := $(B)/tests/fuzz/driver.o
endif

$(B)/tests/fuzz/fuzz_request.o: $(B)/helper/daemon/io.supportgrant.varlink.h
$(B)/tests/fuzz/fuzz_request.o: ALL_CFLAGS += -Ihelper/daemon
$(B)/tests/fuzz/fuzz_request: $(B)/tests/fuzz/fuzz_request.o $(FUZZ_DAEMON_OBJ) $(FUZZ_MAIN) \
		$(COMMON_LIB)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $(FUZZ_LINK) -o $@ $^ $(PKG_LIBS)
$(B)/tests/fuzz/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(FUZZ_MAIN) $(COMMON_LIB)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $(FUZZ_LINK) -o $@ $^ $(PKG_LIBS)

tests-build: $(FUZZ_BIN)

fuzz-build:
	$(MAKE) B=$(FUZZ_B) CC=clang SANITIZE=1 FUZZ_ENGINE=libfuzzer \
		CFLAGS="-fsanitize=fuzzer-no-link -Wno-string-concatenation" $(FUZZ_TARGETS:%=$(FUZZ_B)/tests/fuzz/%)

fuzz: fuzz-build
	@set -e; mkdir -p $(FUZZ_B)/crashes; for t in $(FUZZ_TARGETS); do \
		work=$$(mktemp -d); cp tests/fuzz/corpus/$$t/* $$work/ 2>/dev/null || true; \
		echo "== $$t ($(FUZZ_SECONDS)s)"; \
		dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
		rc=0; nice $(FUZZ_B)/tests/fuzz/$$t $$dict -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-artifact_prefix=$(FUZZ_B)/crashes/$$t- -print_final_stats=1 $$work \
			2>$(FUZZ_B)/$$t.log || rc=$$?; \
		tail -n 12 $(FUZZ_B)/$$t.log | grep -E 'stat::number_of_executed_units|cov:|ERROR|SUMMARY' \
			| tail -n 3; rm -rf $$work; \
		[ $$rc = 0 ] || { echo "$$t failed: see $(FUZZ_B)/$$t.log and $(FUZZ_B)/crashes/"; exit 1; }; \
	done

-include $(FUZZ_TARGETS:%=$(B)/tests/fuzz/%.d) $(B)/tests/fuzz/driver.d
