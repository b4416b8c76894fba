# mk/dnsd.mk -- tibra-dnsd (app/dnsd, the unix target: a Linux process
# with host sockets), the tibra CLI (tool/), and `make run`.
#
#   make O=build/x                 builds $(U)/tibra-dnsd and $(H)/tibra
#   make run                       runs tibra-dnsd on examples/ns1.conf
#   make install PREFIX=DIR        installs both into DIR/bin

DNSD_SRC := $(sort $(wildcard app/dnsd/*.c))
DNSD_OBJ := $(DNSD_SRC:%.c=$(U)/%.o)
DNSD_BIN := $(U)/tibra-dnsd

# DNSSEC algorithm 15 (Ed25519) in the resolver's validator: libsodium,
# statically (BearSSL has no EdDSA); without it for the architecture,
# algorithm 15 is unsupported (insecure, RFC 6840 5.2).
DNSD_SODIUM_A := $(firstword $(wildcard /usr/lib/$(ARCH)-linux-gnu/libsodium.a))
DNSD_SODIUM_LIBS := $(if $(DNSD_SODIUM_A),-l:libsodium.a)
CFLAGS_resolver := $(if $(DNSD_SODIUM_A),-DTIBRA_DNSD_SODIUM=1)

$(DNSD_BIN): $(DNSD_OBJ) $(U)/libtibra.a
	$(call msg,LD,$@)
	$(Q)$(TCC) $(HOST_LDFLAGS) -o $@ $(DNSD_OBJ) $(U)/libtibra.a $(TSIG_LIBS) \
		$(DNSD_SODIUM_LIBS)

ALL += $(DNSD_BIN)
INSTALL_BIN += $(DNSD_BIN)

# The README's first command: build, say how to query, serve in the
# foreground until Ctrl-C.
RUN_CONF ?= examples/ns1.conf
.PHONY: run
run: $(DNSD_BIN)
	@echo "Serving $(RUN_CONF) with $(DNSD_BIN)."
	@echo "In another terminal, ask it:"
	@echo "    dig @127.0.0.1 -p 5353 www.example.org A"
	@echo "Ctrl-C stops it; kill -HUP <pid> reloads the zones."
	$(Q)exec $(DNSD_BIN) $(RUN_CONF)

# The same server under ASan+UBSan: the integration tests run it (when
# built) so that real traffic, reloads and shutdown are checked for
# memory errors and leaks.
DNSD_SAN := $(T)/tibra-dnsd
$(DNSD_SAN): $(DNSD_SRC:%.c=$(T)/%.o) $(T)/libtibra.a
	$(call msg,LD,$@)
	$(Q)$(TCC) $(CHECK_LDFLAGS) -o $@ $(DNSD_SRC:%.c=$(T)/%.o) $(T)/libtibra.a \
		$(TSIG_LIBS) $(DNSD_SODIUM_LIBS)
CHECK_BUILD += $(DNSD_SAN)
