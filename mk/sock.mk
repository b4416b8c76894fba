# mk/sock.mk -- the socket stack: stack.h over Linux host sockets
# (platform/unix/sock, <tibra/sockstack.h>) for unix-target programs, its
# unit test's extras.
#
# Exported for other fragments:
#   SOCK_SRC   platform/unix/sock/*.c
#   SOCK_LIB   $(U) archive of them.  An application on host sockets links
#              it BEFORE libtibra.a, so that its tb_stack_*, tb_udp_* and
#              tb_tcp_* are the definitions used and lib/net's objects in
#              libtibra.a are never pulled (pulling one would bring
#              duplicate definitions):
#                $(TCC) $(HOST_LDFLAGS) -o X APP.o... $(SOCK_LIB) \
#                    $(U)/libtibra.a $(PLAT_UNIX_LIB)
#              Such an application MUST NOT call net_* (lib/net) either.

SOCK_SRC := $(sort $(wildcard platform/unix/sock/*.c))
SOCK_LIB := $(U)/platform/libtbsock.a

$(SOCK_LIB): $(SOCK_SRC:%.c=$(U)/%.o)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcD $@ $(sort $^)

ALL += $(SOCK_LIB)

# tests/unit/test_sockstack{,_tcp}.c: the same sources under ASan+UBSan.
UNIT_EXTRA_sockstack := $(SOCK_SRC)
UNIT_EXTRA_sockstack_tcp := $(SOCK_SRC)

# The unix image of the DNS application (mk/dnsg.mk, in make check-build)
# is linked as above: that link is the duplicate-symbol check.
