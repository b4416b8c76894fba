# mk/hvt.mk -- the hvt target: tender/common (ELF loader, manifest) shared
# with tibra-spt, the KVM tender tibra-hvt, the hvt guest platform and the
# hvt links of the test applications.
FUZZ_EXTRA_elf := tender/common/elf.c
# XXX check.mk's $$(patsubst %.c,...) has its % replaced by the stem in
# the secondary expansion, so FUZZ_EXTRA objects are not linked into the
# replay binary; name the object explicitly until that is fixed.
$(T)/tests/fuzz/replay_elf: $(T)/tender/common/elf.o
