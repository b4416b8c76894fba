# mk/hvt.mk -- the hvt target: tender/common (ELF loader, manifest) shared
# with tibra-spt, the KVM tender tibra-hvt, the hvt guest platform and the
# hvt links of the test applications.
FUZZ_EXTRA_elf := tender/common/elf.c

# ---- tibra-hvt: the KVM tender (host context, x86_64 hosts only) --------
ifeq ($(HOSTARCH),x86_64)
HVT_TENDER_SRC := tender/common/elf.c tender/common/attach.c \
	tender/common/stop.c \
	tender/hvt/hvt_main.c tender/hvt/hvt_kvm_x86_64.c \
	tender/hvt/hvt_seccomp.c
HVT_TENDER := $(H)/tender/hvt/tibra-hvt
# Static PIE with libseccomp's archive: no dynamic loader or shared
# library lookups at start-up, which is part of every boot-to-exit.
$(HVT_TENDER): $(HVT_TENDER_SRC:%.c=$(H)/%.o)
	$(call msg,LD,$@)
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) -static-pie -o $@ $^ -l:libseccomp.a
ALL += $(HVT_TENDER)
INSTALL_BIN += $(HVT_TENDER)
endif

# ---- platform/hvt: the guest side (freestanding, x86_64) -----------------
# mk/platform.mk is read after this file, so its variables (PLAT_GUEST_RT,
# GUEST_LDFLAGS, ...) are used only in recipes and secondary expansions.
#
# Exported for other fragments:
#   PLAT_HVT_OBJ   $(G) objects of platform/hvt (boot, plat.h calls)
#   PLAT_HVT_LIB   $(G) archive with the default (empty) manifest
#   PLAT_HVT_LD    the link script
#   plat_hvt_link  recipe: $(call plat_hvt_link,OBJS) links $@.dbg and
#                  strips it into $@ (the image), like plat_spt_link.
ifeq ($(ARCH),x86_64)
PLAT_HVT_SRC := platform/hvt/boot.S platform/hvt/start.c \
	platform/hvt/fault.c platform/hvt/time.c platform/hvt/net.c \
	platform/hvt/block.c
PLAT_HVT_OBJ := $(patsubst %.S,$(G)/%.o,$(PLAT_HVT_SRC:%.c=$(G)/%.o))
PLAT_HVT_LIB := $(G)/platform/libtbhvt.a
PLAT_HVT_LD := $(SRCDIR)/platform/hvt/hvt.ld

$(PLAT_HVT_LIB): $(G)/platform/hvt/manifest.o
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcD $@ $^

define plat_hvt_link
	$(call msg,LD-HVT,$@)
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T $(PLAT_HVT_LD) -o $@.dbg \
		$(1) $(PLAT_HVT_OBJ) $(PLAT_HVT_LIB) $(PLAT_GUEST_RT) \
		$(GUEST_LDLIBS)
	$(Q)$(OBJCOPY) --strip-all $@.dbg $@
endef

# The platform test applications (tests/platform/apps, built by
# mk/platform.mk), linked for hvt as $(G)/tests/platform/apps/NAME.hvt.
HVT_APPS := hello clock net block syscall fault ssp stop
HVT_APP_IMG := $(HVT_APPS:%=$(G)/tests/platform/apps/%.hvt)
$(HVT_APP_IMG): $(G)/tests/platform/apps/%.hvt: \
		$(G)/tests/platform/apps/%.o $(PLAT_HVT_OBJ) $(PLAT_HVT_LIB) \
		$$(PLAT_GUEST_RT) platform/hvt/hvt.ld
	$(call plat_hvt_link,$<)

# A misbehaving guest that only makes sense on hvt (raw hypercalls).
HVT_BADCALL := $(G)/tests/platform/hvt_apps/badcall.hvt
$(HVT_BADCALL): $(G)/tests/platform/hvt_apps/badcall.o $(PLAT_HVT_OBJ) \
		$(PLAT_HVT_LIB) $$(PLAT_GUEST_RT) platform/hvt/hvt.ld
	$(call plat_hvt_link,$<)

# The net area's echo server (tests/net/echo.c) on the direct stack.
HVT_NET_ECHO := $(G)/tests/net/echo.hvt
$(HVT_NET_ECHO): $(G)/tests/net/echo.o $(G)/lib/net/plat/netif.o \
		$(G)/libtibra.a $(PLAT_HVT_OBJ) $(PLAT_HVT_LIB) \
		$$(PLAT_GUEST_RT) platform/hvt/hvt.ld
	$(call plat_hvt_link,$(G)/tests/net/echo.o $(G)/lib/net/plat/netif.o \
		$(G)/libtibra.a)

ALL += $(PLAT_HVT_OBJ) $(PLAT_HVT_LIB)
CHECK_BUILD += $(HVT_APP_IMG) $(HVT_BADCALL) $(HVT_NET_ECHO)
endif

# Unit test of tender/common (loader guarantees, attach refusals).
UNIT_EXTRA_tender_common := tender/common/elf.c tender/common/attach.c
