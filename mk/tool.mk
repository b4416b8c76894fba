# mk/tool.mk -- the tibra CLI (tool/), a host tool: built with HOSTCC in
# $(H), never crossed.  It links the portable libraries (lib/svc for the
# service file): from the unix context when not crossing (same compiler
# and flags), else from a host build of the same sources.

TOOL_SRC := $(sort $(wildcard tool/*.c))
TOOL_OBJ := $(TOOL_SRC:%.c=$(H)/%.o)
TOOL_BIN := $(H)/tibra
ifeq ($(CROSS),)
TOOL_LIB := $(U)/libtibra.a
else
TOOL_LIB := $(H)/libtibra.a
$(H)/libtibra.a: $(LIB_SRC:%.c=$(H)/%.o) $(HOSTED_SRC:%.c=$(H)/%.o)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcD $@ $(sort $^)
endif

# tender/common/elf.o: the tenders' ELF reader, for tibra inspect;
# tool/vmmd/proto.o (+ attach.o's MAC parser): tibra-vmmd's requests.
TOOL_EXTRA := $(H)/tender/common/elf.o $(H)/tool/vmmd/proto.o \
	$(H)/tender/common/attach.o
$(TOOL_BIN): $(TOOL_OBJ) $(TOOL_EXTRA) $(TOOL_LIB)
	$(call msg,LD,$@)
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) -o $@ $(TOOL_OBJ) $(TOOL_EXTRA) \
		$(TOOL_LIB) -lbearssl

ALL += $(TOOL_BIN)
INSTALL_BIN += $(TOOL_BIN)
