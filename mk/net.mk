# mk/net.mk -- the net area: lib/net's plat glue object, the echo server
# used by the net tests (tests/net/echo.c) for each target, and the net
# unit tests' and fuzz targets' extras.
#
# Exported for other fragments:
#   NET_PLAT_SRC   lib/net/plat/netif.c: tb_stack_poll/tb_stack_wait and
#                  net_plat_open over plat.h.  Link its object ($(U), $(G))
#                  before libtibra.a in any image using the direct stack.

NET_PLAT_SRC := lib/net/plat/netif.c

# Prerequisites name other fragments' variables (platform.mk is included
# after this one), so they are expanded a second time (.SECONDEXPANSION is
# on from check.mk).
.SECONDEXPANSION:

NET_ECHO_UNIX := $(U)/tests/net/echo
$(NET_ECHO_UNIX): $(U)/tests/net/echo.o $(U)/lib/net/plat/netif.o \
		$(U)/libtibra.a $$(PLAT_UNIX_LIB)
	$(call msg,LD,$@)
	$(Q)$(TCC) $(HOST_LDFLAGS) -o $@ $(filter %.o,$^) $(U)/libtibra.a \
		$(PLAT_UNIX_LIB)

NET_ECHO_SPT := $(G)/tests/net/echo.spt
$(NET_ECHO_SPT): $(G)/tests/net/echo.o $(G)/lib/net/plat/netif.o \
		$(G)/libtibra.a $$(PLAT_SPT_OBJ) $$(PLAT_GUEST_RT) \
		platform/spt/spt.ld
	$(call plat_spt_link,$(G)/tests/net/echo.o $(G)/lib/net/plat/netif.o \
		$(G)/libtibra.a)

CHECK_BUILD += $(NET_ECHO_UNIX) $(NET_ECHO_SPT)

# bench/net: the load generator (hosted; bench/net/run.sh drives it).
NET_LOAD := $(U)/bench/net/netload
$(NET_LOAD): $(U)/bench/net/netload.o
	$(call msg,LD,$@)
	$(Q)$(TCC) $(HOST_LDFLAGS) -o $@ $^
ALL += $(NET_LOAD)
