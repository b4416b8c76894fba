# mk/platform.mk -- the platform area: the guest runtime (platform/common:
# libc subset, log, panic, stack protector, cmdline, init-time allocator),
# the unix target (platform/unix), the spt target (platform/spt and its
# tender tibra-spt), the stub link test (platform/stub) and the platform
# test applications (tests/platform/apps), built for unix, spt and stub.
#
# Exported for other fragments:
#   PLAT_UNIX_LIB    $(U) archive: main() + plat.h for a Linux process.
#                    Link: $(TCC) $(HOST_LDFLAGS) -o X APP.o... $(PLAT_UNIX_LIB)
#   PLAT_GUEST_RT    $(G) archive: guest libc + platform/common runtime,
#                    for every guest platform (spt, hvt).
#   GUEST_LDFLAGS    flags for a static guest link (add -T SCRIPT).
#   GUEST_LDLIBS     libraries after everything else (-lgcc).
#   plat_spt_link    recipe: $(call plat_spt_link,OBJS) links $@.dbg (with
#                    debug info) and strips it into $@ (the image).
#   PLAT_APPS        names of the test applications; their guest objects
#                    are $(G)/tests/platform/apps/NAME.o (hvt links them
#                    as NAME.hvt beside NAME.spt).

PLAT_LIBC_SRC := $(sort $(wildcard platform/common/libc/*.c))
PLAT_RT_SRC := $(sort $(wildcard platform/common/*.c))
# The hosted plat.h implementation, shared by unix programs and tibra-spt.
PLAT_HOST_SRC := platform/unix/args.c platform/unix/block.c \
	platform/unix/console.c platform/unix/dev.c platform/unix/fault.c \
	platform/unix/net.c platform/unix/stop.c platform/unix/time.c \
	tender/common/attach.c tender/common/stop.c
PLAT_UNIX_SRC := platform/unix/start.c $(PLAT_HOST_SRC) $(PLAT_RT_SRC)
PLAT_SPT_SRC := platform/spt/start.c platform/spt/spt.c

# The libc must not be compiled into calls to itself.
CFLAGS_libc_string := -fno-builtin -fno-tree-loop-distribute-patterns
CFLAGS_libc_printf := -fno-tree-loop-distribute-patterns

GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--gc-sections \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,-z,norelro \
	-Wl,--build-id=none -Wl,--no-warn-rwx-segments
GUEST_LDLIBS := -lgcc

PLAT_UNIX_LIB := $(U)/platform/libtbplat_unix.a
PLAT_GUEST_RT := $(G)/platform/libtbrt.a
PLAT_SPT_OBJ := $(PLAT_SPT_SRC:%.c=$(G)/%.o)
PLAT_SPT_LD := $(SRCDIR)/platform/spt/spt.ld

$(PLAT_UNIX_LIB): $(PLAT_UNIX_SRC:%.c=$(U)/%.o)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcD $@ $(sort $^)

$(PLAT_GUEST_RT): $(PLAT_LIBC_SRC:%.c=$(G)/%.o) $(PLAT_RT_SRC:%.c=$(G)/%.o)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcD $@ $(sort $^)

define plat_spt_link
	$(call msg,LD-SPT,$@)
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T $(PLAT_SPT_LD) -o $@.dbg \
		$(1) $(PLAT_SPT_OBJ) $(PLAT_GUEST_RT) $(GUEST_LDLIBS)
	$(Q)$(OBJCOPY) --strip-all $@.dbg $@
endef

ALL += $(PLAT_UNIX_LIB) $(PLAT_GUEST_RT) $(PLAT_SPT_OBJ)

# ---- tibra-spt: the seccomp tender (host context, never crossed) ---------
SPT_TENDER_SRC := tender/spt/spt_main.c tender/spt/seccomp.c \
	tender/common/elf.c $(PLAT_HOST_SRC) platform/common/cmdline.c \
	platform/common/log.c
SPT_TENDER := $(H)/tender/spt/tibra-spt
# Static PIE: no dynamic loader at start-up (hello boots in about the time
# of /bin/true), and still position-independent, so the tender stays clear
# of the low addresses guest images are linked at.
SPT_TENDER_LDFLAGS := -static-pie
$(SPT_TENDER): $(SPT_TENDER_SRC:%.c=$(H)/%.o)
	$(call msg,LD,$@)
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) $(SPT_TENDER_LDFLAGS) -o $@ $^
ALL += $(SPT_TENDER)
INSTALL_BIN += $(SPT_TENDER)

# ---- test applications ----------------------------------------------------
PLAT_APPS := hello clock net block syscall fault ssp stop
PLAT_APP_UNIX := $(PLAT_APPS:%=$(U)/tests/platform/apps/%)
PLAT_APP_SPT := $(PLAT_APPS:%=$(G)/tests/platform/apps/%.spt)
PLAT_APP_STUB := $(PLAT_APPS:%=$(G)/tests/platform/stub/%)
# The hello image is what boot benchmarks time: optimise it for size.
CFLAGS_hello := -Os

$(PLAT_APP_UNIX): $(U)/tests/platform/apps/%: $(U)/tests/platform/apps/%.o \
		$(PLAT_UNIX_LIB)
	$(call msg,LD,$@)
	$(Q)$(TCC) $(HOST_LDFLAGS) -o $@ $< $(PLAT_UNIX_LIB)

$(PLAT_APP_SPT): $(G)/tests/platform/apps/%.spt: \
		$(G)/tests/platform/apps/%.o $(PLAT_SPT_OBJ) $(PLAT_GUEST_RT) \
		platform/spt/spt.ld
	$(call plat_spt_link,$<)

# The stub link: application + guest runtime + stub, nothing else.  An
# application needing anything beyond plat.h and the libc subset fails
# here (undefined symbol); tests/platform/stub_link.sh checks the result.
$(PLAT_APP_STUB): $(G)/tests/platform/stub/%: $(G)/tests/platform/apps/%.o \
		$(G)/platform/stub/stub.o $(PLAT_GUEST_RT)
	$(call msg,LD-STUB,$@)
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $< $(G)/platform/stub/stub.o \
		$(PLAT_GUEST_RT) $(GUEST_LDLIBS)

CHECK_BUILD += $(PLAT_APP_UNIX) $(PLAT_APP_SPT) $(PLAT_APP_STUB)

# Everything tests/platform/unix_aarch64.sh builds with CROSS set: the unix
# test applications and unit tests, the spt images with a filterless
# tender to run them (all under qemu-user), and the stub links.
# tibra-spt-nofilter (tender/spt/spt_nofilter.c) is the tender built for
# the target architecture without its seccomp filter, so that qemu-user
# can run the aarch64 spt images; it exists only for that test.
SPT_NOFILTER := $(U)/tender/spt/tibra-spt-nofilter
$(SPT_NOFILTER): $(patsubst %.c,$(U)/%.o,tender/spt/spt_nofilter.c \
		$(filter-out tender/spt/spt_main.c,$(SPT_TENDER_SRC)))
	$(call msg,LD,$@)
	$(Q)$(TCC) $(HOST_LDFLAGS) -static-pie -o $@ $^

.PHONY: platform-cross
# The unit tests are those check-build builds for the architecture
# (expanded late: the Makefile leaves out BEARSSL_TESTS where there is no
# BearSSL for it).
platform-cross: $(PLAT_APP_UNIX) $$(filter $$(CHECK_BUILD),$(UNIT_BIN)) \
	$(PLAT_APP_SPT) $(PLAT_APP_STUB) $(SPT_NOFILTER)
