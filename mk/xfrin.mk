# Secondary zones (lib/dns/xfrin*.c): test_xfrin signs and verifies
# transfers with real TSIG keys, so it links BearSSL (mk/tsig.mk).
UNIT_LIBS_xfrin := -lbearssl
