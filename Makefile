# Tibra -- one non-recursive GNU Makefile.  Fragments in mk/*.mk add
# programs, tests and images; they all share the contexts defined here.
#
# Contexts (never mixed):
#   $(U)  unix target and hosted programs, compiled with HOSTCC (or $(CROSS)gcc)
#   $(T)  the same sources under ASan+UBSan, for unit tests and fuzz replay
#   $(G)  freestanding guest objects (hvt, spt), compiled with GUEST_CC
#   $(H)  host-only tools that never cross (tenders, tibra CLI)
#
# Out of tree: everything is written under $(O) (default build/).

.SUFFIXES:
.DELETE_ON_ERROR:
SHELL := /bin/sh
export LC_ALL := C
export TZ := UTC

SRCDIR := $(patsubst %/,%,$(dir $(abspath $(firstword $(MAKEFILE_LIST)))))
O ?= build
V ?= 0
ifeq ($(V),0)
Q := @
msg = @printf '  %-7s %s\n' '$(1)' '$(2)';
else
Q :=
msg :=
endif

HOSTARCH := $(shell uname -m)
CROSS ?=
ifneq ($(CROSS),)
ARCH := $(patsubst %-linux-gnu-,%,$(CROSS))
else
ARCH := $(HOSTARCH)
endif

HOSTCC ?= cc
TCC := $(if $(CROSS),$(CROSS)gcc,$(HOSTCC))
GUEST_CC ?= $(CROSS)gcc
AR := $(CROSS)ar
OBJCOPY := $(CROSS)objcopy
CLANG ?= clang

# Build contexts.
U := $(O)/unix-$(ARCH)
T := $(O)/check-$(ARCH)
G := $(O)/guest-$(ARCH)
H := $(O)/host-$(HOSTARCH)

SOURCE_DATE_EPOCH ?= $(shell git -C $(SRCDIR) log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH
TB_VERSION := $(shell git -C $(SRCDIR) describe --always --dirty --tags 2>/dev/null || echo unknown)

WARN := -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual -Wwrite-strings \
	-Wstrict-prototypes -Wmissing-prototypes -Wdate-time -Wvla
ifneq ($(WERROR),)
WARN += -Werror
endif
REPRO := -ffile-prefix-map=$(SRCDIR)=. -ffile-prefix-map=$(abspath $(O))=build
DEPFLAGS = -MMD -MP
BASE_CFLAGS := -std=c11 $(WARN) $(REPRO) -I$(SRCDIR)/include -I$(O)/gen \
	-fvisibility=hidden -fno-strict-aliasing -g

# Hosted code (unix target, tools, tests) may use POSIX/GNU interfaces;
# lib/ does not, and the guest build proves it (-nostdinc).
HOST_CFLAGS := $(BASE_CFLAGS) -O2 -D_GNU_SOURCE -fstack-protector-strong \
	-D_FORTIFY_SOURCE=2 -pthread
HOST_LDFLAGS := -pthread
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
CHECK_CFLAGS := $(BASE_CFLAGS) -O1 -D_GNU_SOURCE -pthread $(SAN_FLAGS) \
	-DTB_CHECK=1
CHECK_LDFLAGS := -pthread $(SAN_FLAGS)

GUEST_LIBC_INC := $(SRCDIR)/platform/common/libc/include
GUEST_CFLAGS := $(BASE_CFLAGS) -O2 -ffreestanding -nostdinc \
	-isystem $(shell $(GUEST_CC) -print-file-name=include) \
	-I$(GUEST_LIBC_INC) -fstack-protector-strong -fno-pie -fno-pic \
	-fno-asynchronous-unwind-tables -fno-plt -ffunction-sections \
	-fdata-sections -DTB_GUEST=1
# Guests have no TLS: the stack protector's canary is the global
# __stack_chk_guard (platform/common/ssp.c), seeded at boot.  aarch64 GCC
# uses the global by default.
ifeq ($(ARCH),x86_64)
GUEST_CFLAGS += -mno-red-zone -mno-sse -mno-mmx -mno-avx -mgeneral-regs-only \
	-mstack-protector-guard=global
endif
ifeq ($(ARCH),aarch64)
GUEST_CFLAGS += -mgeneral-regs-only -mstrict-align
endif

# Sources of the portable libraries (never target code).
LIB_SRC := $(sort $(wildcard lib/base/*.c lib/dns/*.c lib/net/*.c lib/svc/*.c))
# Hosted library code (files, stdio): unix and check contexts only.
HOSTED_SRC := $(sort $(wildcard lib/hosted/*.c))
LIB_OBJ_U := $(LIB_SRC:%.c=$(U)/%.o) $(HOSTED_SRC:%.c=$(U)/%.o)
LIB_OBJ_T := $(LIB_SRC:%.c=$(T)/%.o) $(HOSTED_SRC:%.c=$(T)/%.o)
LIB_OBJ_G := $(LIB_SRC:%.c=$(G)/%.o)

# Generated version header (the only place a version string comes from).
$(O)/gen/tibra/version.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define TB_VERSION "%s"\n#define TB_SOURCE_DATE_EPOCH %sLL\n' \
		'$(TB_VERSION)' '$(SOURCE_DATE_EPOCH)' > $@.tmp
	@cmp -s $@.tmp $@ 2>/dev/null && rm -f $@.tmp || mv $@.tmp $@
FORCE:

# Pattern rules, one per context.
$(U)/%.o: %.c | $(O)/gen/tibra/version.h
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(TCC) $(HOST_CFLAGS) $(DEPFLAGS) $(CFLAGS_$(notdir $*)) -c $< -o $@

$(T)/%.o: %.c | $(O)/gen/tibra/version.h
	$(call msg,CC-SAN,$@)
	@mkdir -p $(dir $@)
	$(Q)$(TCC) $(CHECK_CFLAGS) $(DEPFLAGS) $(CFLAGS_$(notdir $*)) -c $< -o $@

$(G)/%.o: %.c | $(O)/gen/tibra/version.h
	$(call msg,CC-GST,$@)
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) $(DEPFLAGS) $(CFLAGS_$(notdir $*)) -c $< -o $@

$(G)/%.o: %.S
	$(call msg,AS-GST,$@)
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) $(DEPFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(H)/%.o: %.c | $(O)/gen/tibra/version.h
	$(call msg,HOSTCC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(DEPFLAGS) $(CFLAGS_$(notdir $*)) -c $< -o $@

# Deterministic archives (ARFLAGS D), inputs sorted.
$(U)/libtibra.a: $(LIB_OBJ_U)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcD $@ $(sort $^)
$(T)/libtibra.a: $(LIB_OBJ_T)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcD $@ $(sort $^)
$(G)/libtibra.a: $(LIB_OBJ_G)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcD $@ $(sort $^)

# Fragments append to these.
ALL := $(U)/libtibra.a $(G)/libtibra.a
CHECK_BUILD :=
INSTALL_BIN :=

include $(sort $(wildcard $(SRCDIR)/mk/*.mk))

# Tests that link BearSSL (BEARSSL_TESTS, named by the fragments) are not
# built for an architecture Debian has no libbearssl.a for (a cross build).
ifeq ($(TSIG_LIB_A),)
CHECK_BUILD := $(filter-out $(BEARSSL_TESTS),$(CHECK_BUILD))
endif

# The install tree, staged: $(O)/bin holds copies of the programs `make
# install` puts in PREFIX/bin, beside $(O)/lib/tibra (mk/stage.mk), so
# that $(O)/bin/tibra finds its library at ../lib/tibra as an installed
# tibra does.  A cross build (CROSS set) installs only what runs on this
# host (the tool, the tenders) and its lib/tibra/*-ARCH: its tibra-dnsd
# is for the other architecture and never replaces the host's.
INSTALL_PROGS := $(if $(CROSS),$(filter-out $(U)/%,$(INSTALL_BIN)),$(INSTALL_BIN))
STAGE_BIN := $(addprefix $(O)/bin/,$(notdir $(INSTALL_PROGS)))
define stage_bin
$(O)/bin/$(notdir $(1)): $(1)
	$$(call msg,STAGE,$$@)
	@mkdir -p $$(@D)
	$$(Q)cp -f $$< $$@
endef
$(foreach f,$(INSTALL_PROGS),$(eval $(call stage_bin,$(f))))
ALL += $(STAGE_BIN)
# `make stage`: the whole install tree under $(O), nothing else.
stage: $(STAGE_BIN)

.DEFAULT_GOAL := all
.PHONY: all check check-build check-unit check-integration check-diff \
	check-headers check-freestanding fuzz format-check install clean deps \
	deps-test
all: $(ALL)

check-build: $(ALL) $(CHECK_BUILD)

# `make check` installs what the tests need (apt-get, only when something
# is missing), builds everything and runs the whole suite.
check: deps-test
	$(Q)$(MAKE) --no-print-directory check-build
	$(Q)O=$(O) ARCH=$(ARCH) CROSS=$(CROSS) $(SRCDIR)/tests/run

deps:
	$(Q)$(SRCDIR)/scripts/deps ensure build
deps-test:
	$(Q)$(SRCDIR)/scripts/deps ensure build test

# PREFIX/bin: tibra, tibra-dnsd, tibra-spt, tibra-hvt (as built here);
# PREFIX/lib/tibra/TARGET-ARCH/: the archives, objects, link scripts and
# link.txt of every target staged here, each directory replaced whole.
# Run it once per build (native, then CROSS=...) to install several ARCHs.
PREFIX ?= /usr/local
install: $(STAGE_BIN) stage
	$(Q)mkdir -p "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/lib/tibra"
	$(Q)for f in $(STAGE_BIN); do \
		install -m 0755 $$f "$(DESTDIR)$(PREFIX)/bin/" || exit 1; \
		echo "  INSTALL $(DESTDIR)$(PREFIX)/bin/$$(basename $$f)"; done
	$(Q)for d in $(STAGE_DIRS); do \
		rm -rf "$(DESTDIR)$(PREFIX)/lib/tibra/$$d" && \
		(cd $(STAGE) && find $$d -type f | sort) | while read -r f; do \
			install -D -m 0644 $(STAGE)/$$f \
				"$(DESTDIR)$(PREFIX)/lib/tibra/$$f" || exit 1; \
		done || exit 1; \
		echo "  INSTALL $(DESTDIR)$(PREFIX)/lib/tibra/$$d/"; done

# Every public header compiles on its own.
HEADERS := $(sort $(wildcard include/tibra/*.h))
check-headers:
	$(Q)for h in $(HEADERS); do \
		printf '#include <tibra/%s>\n' $$(basename $$h) | \
		$(HOSTCC) $(BASE_CFLAGS) -x c -fsyntax-only - || exit 1; done; \
		echo "headers: $(words $(HEADERS)) self-contained"

# lib/ compiles freestanding against the guest libc subset.
check-freestanding: $(G)/libtibra.a

format-check:
	$(Q)clang-format --dry-run --Werror $$(git -C $(SRCDIR) ls-files '*.c' '*.h')

clean:
	rm -rf $(O)

-include $(shell find $(O) -name '*.d' 2>/dev/null)
