# mk/dnsg.mk -- the DNS unikernel application (app/dnsd/guest): its
# objects for the guest context $(G) (spt, hvt: the direct stack, lib/net
# over plat.h device "service0") and for the unix context $(U) (host
# sockets, <tibra/sockstack.h>), and test images linked with a test bundle.
#
# Exported for other fragments (tibra build stages these):
#   DNSG_GUEST_OBJ  $(G) objects of a guest image: the application, the
#                   direct stack's choice (stack_direct.o, which carries the
#                   manifest: net device "service0") and lib/net's plat.h
#                   glue ($(G)/lib/net/plat/netif.o).  Link:
#                     spt: $(call plat_spt_link,$(DNSG_GUEST_OBJ) BUNDLE.o \
#                          $(G)/libtibra.a)
#                     hvt: $(call plat_hvt_link,<the same>)
#   DNSG_UNIX_OBJ   $(U) objects of a unix image: the application and the
#                   socket stack's choice (stack_sock.o).  Link:
#                     $(TCC) $(HOST_LDFLAGS) -o IMG $(DNSG_UNIX_OBJ) BUNDLE.o \
#                       $(U)/platform/libtbsock.a $(U)/libtibra.a \
#                       $(PLAT_UNIX_LIB)
#   BUNDLE.o defines tb_bundle_start[] and tb_bundle_end[] (<tibra/bundle.h>
#   layout, section .rodata.tibra.bundle, 16-aligned); dnsg_bundle_asm
#   below writes its assembler source (.incbin of the bundle file).
#
# Test images (make check-build), from tests/integration/mkbundle.c's
# bundle of examples/zones/example.org.zone:
#   $(G)/app/dnsd/guest/dnsd.spt, dnsd.hvt (x86_64), $(U)/app/dnsd/guest/dnsd

DNSG_COMMON := app/dnsd/guest/main.c app/dnsd/guest/args.c \
	app/dnsd/guest/serve.c app/dnsd/guest/metrics.c \
	app/dnsd/guest/notify.c app/dnsd/guest/resolve.c \
	app/dnsd/guest/secondary.c
DNSG_GUEST_OBJ := $(DNSG_COMMON:%.c=$(G)/%.o) \
	$(G)/app/dnsd/guest/stack_direct.o $(G)/lib/net/plat/netif.o
DNSG_UNIX_OBJ := $(DNSG_COMMON:%.c=$(U)/%.o) $(U)/app/dnsd/guest/stack_sock.o
# TSIG (--tsig-key): unix images are host processes and link Debian's
# BearSSL (static, -l:libbearssl.a, so an image needs no libbearssl0).
# x86_64 spt/hvt guests link the same archive (glibc-built: its frames
# read the canary at %fs:0x28 -- spt runs on the tender's glibc thread,
# hvt points FS at a block holding the guest's canary, platform/hvt/
# start.c -- and it calls __memcpy_chk & co., platform/common/libc/
# libc_chk.c), with br_sha1_init pulled in for NSEC3 hashing (weak in
# lib/dns/zonedb_proof.c).  Other guests (aarch64: no arm64 BearSSL on an
# amd64 host), and a unix image for an architecture without BearSSL, link
# tsig_none.c, which refuses keys (docs/DESIGN.md "tsig").
DNSG_TSIG_A := $(firstword $(wildcard /usr/lib/$(ARCH)-linux-gnu/libbearssl.a))
DNSG_TSIG_LIBS := $(if $(DNSG_TSIG_A),-l:libbearssl.a)
DNSG_GUEST_TSIG := $(if $(filter x86_64,$(ARCH)),$(DNSG_TSIG_A))
DNSG_GUEST_LIBS := $(if $(DNSG_GUEST_TSIG),-u br_sha1_init -l:libbearssl.a)
DNSG_GUEST_OBJ += $(G)/app/dnsd/guest/$(if $(DNSG_GUEST_TSIG),tsig,tsig_none).o
DNSG_UNIX_OBJ += $(U)/app/dnsd/guest/$(if $(DNSG_TSIG_A),tsig,tsig_none).o
# DNSSEC validation in the resolver (dnssec.c: lib/dns/val*.c through
# dns_res_val_init, BearSSL's RSA, ECDSA and digests) where BearSSL is
# linked; dnssec_none.c (no validation, said at boot) elsewhere.
DNSG_GUEST_OBJ += $(G)/app/dnsd/guest/$(if $(DNSG_GUEST_TSIG),dnssec,dnssec_none).o
DNSG_UNIX_OBJ += $(U)/app/dnsd/guest/$(if $(DNSG_TSIG_A),dnssec,dnssec_none).o
DNSG_SOCK_LIB := $(U)/platform/libtbsock.a

ALL += $(DNSG_GUEST_OBJ) $(DNSG_UNIX_OBJ)

# $(call dnsg_bundle_asm,BUNDLE-FILE) writes $@: an assembler file that
# links BUNDLE-FILE as tb_bundle_start..tb_bundle_end.
define dnsg_bundle_asm
	@mkdir -p $(dir $@)
	$(Q)printf '%s\n' '	.section .rodata.tibra.bundle,"a"' \
		'	.balign 16' '	.globl tb_bundle_start' \
		'tb_bundle_start:' '	.incbin "$(abspath $(1))"' \
		'	.globl tb_bundle_end' 'tb_bundle_end:' \
		'	.section .note.GNU-stack,"",%progbits' >$@
endef

# ---- test images -----------------------------------------------------------
# A host tool (never crossed): $(H), linked as the tibra CLI is, with
# mk/tool.mk's TOOL_LIB (the host's libtibra.a, also when crossing).
.SECONDEXPANSION:
DNSG_MKBUNDLE := $(H)/tests/integration/mkbundle
$(DNSG_MKBUNDLE): $(H)/tests/integration/mkbundle.o $$(TOOL_LIB)
	$(call msg,LD,$@)
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) -o $@ $< $(TOOL_LIB)

# Defaults as `tibra build` would write them for a small service; the
# tests give the addresses on the command line.
DNSG_TEST_ARGS := --name=ns1 --tcp-clients=64 --listen=127.0.0.1@5353
DNSG_TEST_ZONES := example.org examples/zones/example.org.zone
DNSG_TB := $(O)/dnsg-test/bundle
$(DNSG_TB).bin: $(DNSG_MKBUNDLE) examples/zones/example.org.zone
	$(call msg,BUNDLE,$@)
	@mkdir -p $(dir $@)
	$(Q)$(DNSG_MKBUNDLE) $@ '$(DNSG_TEST_ARGS)' $(DNSG_TEST_ZONES)
$(DNSG_TB).S: $(DNSG_TB).bin
	$(call dnsg_bundle_asm,$<)
$(DNSG_TB)-g.o: $(DNSG_TB).S $(DNSG_TB).bin
	$(call msg,AS-GST,$@)
	$(Q)$(GUEST_CC) -c $< -o $@
$(DNSG_TB)-u.o: $(DNSG_TB).S $(DNSG_TB).bin
	$(call msg,AS,$@)
	$(Q)$(TCC) -c $< -o $@

DNSG_SPT := $(G)/app/dnsd/guest/dnsd.spt
$(DNSG_SPT): $(DNSG_GUEST_OBJ) $(DNSG_TB)-g.o $(G)/libtibra.a \
		$$(PLAT_SPT_OBJ) $$(PLAT_GUEST_RT) platform/spt/spt.ld
	$(call plat_spt_link,$(DNSG_GUEST_OBJ) $(DNSG_TB)-g.o $(G)/libtibra.a \
		$(DNSG_GUEST_LIBS))
CHECK_BUILD += $(DNSG_SPT)

ifeq ($(ARCH),x86_64)
DNSG_HVT := $(G)/app/dnsd/guest/dnsd.hvt
$(DNSG_HVT): $(DNSG_GUEST_OBJ) $(DNSG_TB)-g.o $(G)/libtibra.a \
		$$(PLAT_HVT_OBJ) $$(PLAT_HVT_LIB) $$(PLAT_GUEST_RT) \
		platform/hvt/hvt.ld
	$(call plat_hvt_link,$(DNSG_GUEST_OBJ) $(DNSG_TB)-g.o $(G)/libtibra.a \
		$(DNSG_GUEST_LIBS))
CHECK_BUILD += $(DNSG_HVT)
endif

DNSG_UNIX := $(U)/app/dnsd/guest/dnsd
$(DNSG_UNIX): $(DNSG_UNIX_OBJ) $(DNSG_TB)-u.o $(DNSG_SOCK_LIB) \
		$(U)/libtibra.a $$(PLAT_UNIX_LIB)
	$(call msg,LD,$@)
	$(Q)$(TCC) $(HOST_LDFLAGS) -o $@ $(DNSG_UNIX_OBJ) $(DNSG_TB)-u.o \
		$(DNSG_SOCK_LIB) $(U)/libtibra.a $(PLAT_UNIX_LIB) $(DNSG_TSIG_LIBS)
# dnsd-state.spt / .hvt: the test images with block device "state" in
# their manifest as well (secondary zones kept there: secondary.c), the
# same objects but stack_direct.c built with DNSG_STATE_DEVICE.
DNSG_STATE_OBJ := $(filter-out $(G)/app/dnsd/guest/stack_direct.o,\
	$(DNSG_GUEST_OBJ)) $(G)/app/dnsd/guest/stack_direct_state.o
$(G)/app/dnsd/guest/stack_direct_state.o: app/dnsd/guest/stack_direct.c \
		| $(O)/gen/tibra/version.h
	$(call msg,CC-GST,$@)
	@mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) $(DEPFLAGS) -DDNSG_STATE_DEVICE -c $< -o $@
DNSG_STATE_SPT := $(G)/app/dnsd/guest/dnsd-state.spt
$(DNSG_STATE_SPT): $(DNSG_STATE_OBJ) $(DNSG_TB)-g.o $(G)/libtibra.a \
		$$(PLAT_SPT_OBJ) $$(PLAT_GUEST_RT) platform/spt/spt.ld
	$(call plat_spt_link,$(DNSG_STATE_OBJ) $(DNSG_TB)-g.o $(G)/libtibra.a \
		$(DNSG_GUEST_LIBS))
CHECK_BUILD += $(DNSG_STATE_SPT)
ifeq ($(ARCH),x86_64)
DNSG_STATE_HVT := $(G)/app/dnsd/guest/dnsd-state.hvt
$(DNSG_STATE_HVT): $(DNSG_STATE_OBJ) $(DNSG_TB)-g.o $(G)/libtibra.a \
		$$(PLAT_HVT_OBJ) $$(PLAT_HVT_LIB) $$(PLAT_GUEST_RT) \
		platform/hvt/hvt.ld
	$(call plat_hvt_link,$(DNSG_STATE_OBJ) $(DNSG_TB)-g.o $(G)/libtibra.a \
		$(DNSG_GUEST_LIBS))
CHECK_BUILD += $(DNSG_STATE_HVT)
endif

# The socket stack is being written (mk/sock.mk): link once it is there.
ifneq ($(wildcard $(SRCDIR)/mk/sock.mk),)
CHECK_BUILD += $(DNSG_UNIX)
endif

# tests/fuzz/fuzz_guest.c: frames -> lib/net -> this app's serving loop ->
# the service core, with a fake platform (the fuzz target defines it).
FUZZ_EXTRA_guest := app/dnsd/guest/serve.c app/dnsd/guest/metrics.c \
	app/dnsd/guest/notify.c app/dnsd/guest/resolve.c \
	app/dnsd/guest/secondary.c app/dnsd/guest/dnssec_none.c
