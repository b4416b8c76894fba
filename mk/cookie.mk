# mk/cookie.mk -- DNS Cookies (lib/dns/cookie.c, lib/base/siphash.c).
#
# tests/unit/test_cookie.c checks tb_siphash24 against libsodium's
# crypto_shorthash_siphash24 (Debian's libsodium-dev, deps.txt group
# "test") when the test compiler can link it; the function is a weak
# reference there, so without libsodium (a cross build) the test says it
# skipped that comparison and still checks the published vectors.
UNIT_LIBS_cookie := $(shell printf 'int main(void){return 0;}\n' | \
	$(TCC) -x c - -lsodium -o /dev/null 2>/dev/null && echo -lsodium)
