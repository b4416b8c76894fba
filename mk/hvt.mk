# mk/hvt.mk -- the hvt target: tender/common (ELF loader, manifest) shared
# with tibra-spt, the KVM tender tibra-hvt, the hvt guest platform and the
# hvt links of the test applications.
FUZZ_EXTRA_elf := tender/common/elf.c
# XXX check.mk's $$(patsubst %.c,...) has its % replaced by the stem in
# the secondary expansion, so FUZZ_EXTRA objects are not linked into the
# replay binary; name the object explicitly until that is fixed.
$(T)/tests/fuzz/replay_elf: $(T)/tender/common/elf.o

# ---- tibra-hvt: the KVM tender (host context, x86_64 hosts only) --------
ifeq ($(HOSTARCH),x86_64)
HVT_TENDER_SRC := tender/common/elf.c tender/common/attach.c \
	tender/hvt/hvt_main.c tender/hvt/hvt_kvm_x86_64.c \
	tender/hvt/hvt_seccomp.c
HVT_TENDER := $(H)/tender/hvt/tibra-hvt
$(HVT_TENDER): $(HVT_TENDER_SRC:%.c=$(H)/%.o)
	$(call msg,LD,$@)
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) -o $@ $^ -lseccomp
ALL += $(HVT_TENDER)
INSTALL_BIN += $(HVT_TENDER)
endif
