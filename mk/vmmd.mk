# mk/vmmd.mk -- tibra-vmmd, the unikernel manager (tool/vmmd/), a host
# program like the tenders and the tibra CLI: HOSTCC in $(H), never
# crossed.  It links the CLI's utilities (tool/util.c), the tenders' ELF
# and manifest reader (tender/common/elf.c) and the portable libraries
# (the image bundle, the HTTP responder for --metrics).  proto.c, the
# request format, is linked into tibra too (mk/tool.mk's TOOL_EXTRA).

VMMD_SRC := $(sort $(wildcard tool/vmmd/*.c))
VMMD_BIN := $(H)/tibra-vmmd
VMMD_OBJ := $(VMMD_SRC:%.c=$(H)/%.o) $(H)/tool/util.o \
	$(H)/tender/common/elf.o $(H)/tender/common/attach.o

$(VMMD_BIN): $(VMMD_OBJ) $(TOOL_LIB)
	$(call msg,LD,$@)
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) -o $@ $(VMMD_OBJ) $(TOOL_LIB) -lbearssl

ALL += $(VMMD_BIN)
INSTALL_BIN += $(VMMD_BIN)

# The request decoder is fuzzed (tests/fuzz/fuzz_vmmd_req.c).
FUZZ_EXTRA_vmmd_req := tool/vmmd/proto.c tender/common/attach.c

# Unit test of the request format and the console ring.
UNIT_EXTRA_vmmd := tool/vmmd/proto.c tool/vmmd/console.c tool/util.c \
	tender/common/attach.c
UNIT_LIBS_vmmd := -lbearssl
# tool/util.c hashes with BearSSL: without it for the architecture (a
# cross build) the unit test is not built (mk/tsig.mk, BEARSSL_TESTS).
BEARSSL_TESTS += $(T)/tests/unit/test_vmmd
