/*
 * cookie.c -- DNS Cookies (RFC 7873) with interoperable server cookies
 * (RFC 9018): making and checking the cookie; the protocol around it
 * (which RCODE, which option goes back) is in auth.c's slow path, the
 * counting and the RRL exemption in srv.c.
 *
 *   server cookie = 01 | 000000 | timestamp (u32, seconds) |
 *                   SipHash-2-4(client cookie | 01 000000 | timestamp |
 *                               client IP (4 or 16 bytes), secret)
 *
 * Checking recomputes the hash over the bytes as received (reserved
 * bytes a client changed are part of the hash, RFC 9018 4.2), so a
 * cookie made by any server of the set that shares the secret is valid.
 * No state per client: the secret and the clock are all there is.
 */
#include <string.h>
#include <tibra/dns/srv.h>

void dns_cookie_init(struct dns_cookie *c, const uint8_t *secret,
                     int64_t wall_off_ns, bool require)
{
    memset(c, 0, sizeof(*c));
    memcpy(c->secret[0], secret, DNS_COOKIE_SECRET_LEN);
    c->nsecrets = 1;
    c->wall_off_ns = wall_off_ns;
    c->require = require;
}

int dns_cookie_accept(struct dns_cookie *c, const uint8_t *secret)
{
    if (c->nsecrets >= DNS_COOKIE_SECRETS_MAX)
        return TB_ESPACE;
    memcpy(c->secret[c->nsecrets++], secret, DNS_COOKIE_SECRET_LEN);
    return 0;
}

bool dns_cookie_same(const struct dns_cookie *a, const struct dns_cookie *b)
{
    uint8_t d = 0;

    if (a == NULL || b == NULL || a->nsecrets != b->nsecrets)
        return false;
    for (unsigned i = 0; i < a->nsecrets; i++)
        for (size_t k = 0; k < DNS_COOKIE_SECRET_LEN; k++)
            d |= (uint8_t)(a->secret[i][k] ^ b->secret[i][k]);
    return d == 0;
}

int dns_cookie_secrets_parse(const char *s, size_t len, uint8_t *out,
                             unsigned *line)
{
    unsigned n = 0, ln = 1;
    size_t i = 0;

    while (i < len) {
        size_t b;
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == ',' ||
            s[i] == '\n') {
            ln += s[i++] == '\n';
            continue;
        }
        for (b = i; i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
                    s[i] != ',' && s[i] != '\n';
             i++)
            ;
        *line = ln;
        if (n == DNS_COOKIE_SECRETS_MAX)
            return TB_ESPACE;
        if (i - b != 2 * DNS_COOKIE_SECRET_LEN ||
            tb_hex_decode(s + b, i - b, out + n * DNS_COOKIE_SECRET_LEN,
                          DNS_COOKIE_SECRET_LEN) != DNS_COOKIE_SECRET_LEN)
            return TB_EMALF;
        n++;
    }
    if (n == 0) {
        *line = 1;
        return TB_EMALF;
    }
    return (int)n;
}

/* The 8-byte hash of RFC 9018 4.4 into (hash): SipHash-2-4 over the
 * client cookie, (head) (the server cookie's version, reserved bytes and
 * timestamp) and the client's address. */
static void cookie_hash(const uint8_t *secret, const uint8_t *client,
                        const uint8_t *head, const struct tb_addr *peer,
                        uint8_t *hash)
{
    uint8_t in[DNS_COOKIE_CLIENT_LEN + 8 + 16];
    size_t n = peer->af == TB_AF_INET6 ? 16 : 4;
    uint64_t h;

    memcpy(in, client, DNS_COOKIE_CLIENT_LEN);
    memcpy(in + 8, head, 8);
    memcpy(in + 16, peer->ip, n);
    h = tb_siphash24(secret, in, 16 + n);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(hash, &h, 8); /* the reference's byte order: little-endian */
#else
    for (unsigned i = 0; i < 8; i++)
        hash[i] = (uint8_t)(h >> (8 * i));
#endif
}

void dns_cookie_make(const uint8_t *secret, const uint8_t *client,
                     const struct tb_addr *peer, uint32_t ts, uint8_t *out)
{
    out[0] = DNS_COOKIE_VERSION;
    out[1] = out[2] = out[3] = 0;
    tb_put32(out + 4, ts);
    cookie_hash(secret, client, out, peer, out + 8);
}

/* Wall-clock seconds at monotonic (now), modulo 2^32 (RFC 1982). */
static uint32_t wall_s(const struct dns_cookie *c, uint64_t now)
{
    return (uint32_t)((now + (uint64_t)c->wall_off_ns) / 1000000000u);
}

enum dns_cookie_res dns_cookie_check(const struct dns_cookie *c,
                                     const struct tb_addr *peer, uint64_t now,
                                     const uint8_t *opt, size_t len,
                                     uint8_t *out)
{
    uint32_t t = wall_s(c, now);
    const uint8_t *sc = opt + DNS_COOKIE_CLIENT_LEN;
    enum dns_cookie_res r = DNS_COOKIE_NEW;

    /* RFC 7873 5.2.2: a client cookie alone (8), or with a server cookie
     * of 8 to 32 bytes; anything else is malformed. */
    if (len != DNS_COOKIE_CLIENT_LEN &&
        (len < DNS_COOKIE_CLIENT_LEN + 8 || len > DNS_COOKIE_MAX_LEN))
        return DNS_COOKIE_MALFORMED;
    memcpy(out, opt, DNS_COOKIE_CLIENT_LEN);
    if (len == DNS_COOKIE_CLIENT_LEN + DNS_COOKIE_SERVER_LEN &&
        sc[0] == DNS_COOKIE_VERSION) {
        uint8_t h[8], diff = 1;
        unsigned k;
        /* Serial arithmetic: the age is the signed 32-bit difference. */
        int32_t age = (int32_t)(t - tb_get32(sc + 4));

        /* The active secret, then those still accepted (a rollover). */
        for (k = 0; k < c->nsecrets && diff != 0; k++) {
            cookie_hash(c->secret[k], opt, sc, peer, h);
            diff = 0;
            for (unsigned i = 0; i < 8; i++)
                diff |= (uint8_t)(h[i] ^ sc[8 + i]);
        }
        if (diff != 0 || age > DNS_COOKIE_LIFETIME_S ||
            age < -DNS_COOKIE_SKEW_S) {
            r = DNS_COOKIE_INVALID;
        } else if (age <= DNS_COOKIE_REFRESH_S && k == 1) {
            memcpy(out + DNS_COOKIE_CLIENT_LEN, sc, DNS_COOKIE_SERVER_LEN);
            return DNS_COOKIE_VALID;
        } else {
            r = DNS_COOKIE_VALID; /* valid, but old or an earlier secret's:
                                     a fresh one */
        }
    } else if (len != DNS_COOKIE_CLIENT_LEN) {
        r = DNS_COOKIE_INVALID; /* another length or version: not ours */
    }
    dns_cookie_make(c->secret[0], opt, peer, t, out + DNS_COOKIE_CLIENT_LEN);
    return r;
}
