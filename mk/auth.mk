# auth: the authoritative engine's extra programs.
#
# $(U)/tests/auth_perf -- tests/unit/test_auth_perf.c built WITHOUT
# sanitizers against the unix-context library, the driver for counting
# instructions per dns_auth_answer with callgrind (see that file).  The
# same source also runs as a sanitized unit test (discovered by name).

AUTH_PERF := $(U)/tests/auth_perf
CHECK_BUILD += $(AUTH_PERF)

$(AUTH_PERF): $(U)/tests/unit/test_auth_perf.o $(U)/libtibra.a
	$(call msg,LD,$@)
	$(Q)$(TCC) $(HOST_LDFLAGS) -o $@ $^
