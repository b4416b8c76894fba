/*
 * test_dnssec.c -- serving pre-signed zones: the NSEC3 hash (RFC 5155
 * Appendix A's owner names, salt aabbccdd, 12 iterations), and which
 * NSEC3 records the answers carry for the RFC's example zone
 * (tests/data/dnssec/rfc5155.zone): closest-encloser proofs for NXDOMAIN,
 * NODATA (also at an empty non-terminal, the apex and a cut), wildcard
 * answers and wildcard NODATA, referrals to an opt-out delegation with and
 * without an NSEC3 of its own (RFC 5155 7.2.1-7.2.7), none without DO;
 * TC when the proof does not fit; and that dns_zone_open refuses a
 * forged denial table.
 */
#include "check.h"
#include "test_auth_util.h"

#include "../../lib/dns/zonedb.h"

#include <tibra/zonefile.h>

/* Setup that cannot go on: abort with the reason. */
#define MUST(c)                                                                \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);            \
            abort();                                                           \
        }                                                                      \
    } while (0)

static uint8_t resp[65536];
static char txt[1 << 16];
static struct dns_auth_stats st;

/* (name) hashed as RFC 5155 Appendix A does, in base32hex. */
static void hash_text(const char *name, char *out)
{
    static const char b32[] = "0123456789abcdefghijklmnopqrstuv";
    static const uint8_t salt[] = {0xaa, 0xbb, 0xcc, 0xdd};
    uint8_t n[256], h[20];
    size_t len = ta_name(name, NULL, n), o = 0;
    uint64_t acc = 0;
    unsigned bits = 0;

    dns_name_lower(n);
    MUST(zdb_nsec3_hash(n, len, salt, 4, 12, h));
    for (unsigned i = 0; i < 20; i++) {
        acc = acc << 8 | h[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = b32[(acc >> bits) & 31];
        }
    }
    out[o] = 0;
}

static void test_hash(void)
{
    static const char *v[][2] = {
        {"example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"},
        {"a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl"},
        {"ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi"},
        {"ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"},
        {"ns2.example.", "q04jkcevqvmu85r014c7dkba38o0ji5r"},
        {"w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h"},
        {"*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"},
        {"x.w.example.", "b4um86eghhds6nea196smvmlo4ors995"},
        {"y.w.example.", "ji6neoaepv8b5o6k4ev33abha8ht9fgc"},
        {"x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s"},
        {"xx.example.", "t644ebqk9bibcna874givr6joj62mlhv"},
        {"XX.Example.", "t644ebqk9bibcna874givr6joj62mlhv"},
    };
    char got[40];

    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        hash_text(v[i][0], got);
        CHECK_STR(got, v[i][1]);
    }
}

/* With TIBRA_FUZZ_WRITE_SEED=DIR, the compiled blob goes to DIR too:
 * seeds of tests/fuzz/corpus/auth_blob (signed zones). */
static void write_seed(const char *file, const char *drop, const void *b,
                       size_t n)
{
    const char *dir = getenv("TIBRA_FUZZ_WRITE_SEED");
    char path[1024];
    FILE *f;

    if (dir == NULL)
        return;
    snprintf(path, sizeof(path), "%s/seed-%s%s", dir, file,
             drop ? "-dropped" : "");
    if ((f = fopen(path, "wb")) != NULL) {
        fwrite(b, 1, n, f);
        fclose(f);
    }
}

/* The RFC 5155 zone, without the lines that start with (drop) (MAY be
 * NULL), compiled and put in a zone set. */
static struct dns_zoneset *load_file(const char *file, const char *drop,
                                     uint8_t **blob, size_t *blen)
{
    const char *src = getenv("TIBRA_SRC");
    char path[1024], *text, *w;
    size_t len;
    struct dns_zone_src z;
    struct tb_buf out;
    struct dns_zoneset *zs;
    uint8_t o[256];
    struct dns_auth_opts op = {.udp_max = 4096};
    struct dns_diag d = {0};

    snprintf(path, sizeof(path), "%s/tests/data/dnssec/%s", src ? src : ".",
             file);
    MUST(dns_zonefile_read(path, &text, &len) == 0);
    w = text;
    for (char *l = text; *l != 0;) {
        char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) + 1 : strlen(l);
        if (drop == NULL || strncmp(l, drop, strlen(drop)) != 0) {
            memmove(w, l, n);
            w += n;
        }
        l += n;
    }
    *w = 0;
    ta_name("example.", NULL, o);
    dns_zone_src_init(&z, o, &ta);
    MUST(dns_zone_parse(&z, text, strlen(text), path, NULL, &d) == 0);
    MUST(dns_zone_check(&z, &d) == 0);
    tb_buf_init(&out, &ta);
    MUST(dns_zone_compile(&z, &out, NULL) == 0);
    dns_zone_src_free(&z);
    free(text);
    *blob = out.data;
    *blen = out.len;
    write_seed(file, drop, out.data, out.len);
    MUST(dns_zoneset_build(&zs, (const void **)blob, blen, 1, &op, &ta) == 0);
    return zs;
}

static struct dns_zoneset *load(const char *drop, uint8_t **blob, size_t *blen)
{
    return load_file("rfc5155.zone", drop, blob, blen);
}

/* Asks (zs) for (name, type) with DO (or EDNS without it: !dnssec),
 * payload (size); returns the first labels of the NSEC3 owners in the
 * authority section, sorted, space-separated, after the header line. */
static const char *proof_of(struct dns_zoneset *zs, const char *name,
                            const char *type, bool dnssec, int size,
                            const char *ptype)
{
    static char out[4096];
    char hl[256], *owners[32];
    unsigned n = 0;
    uint8_t q[512];
    size_t ql = ta_query(q, name, ta_type(type), DNS_CLASS_IN, size, dnssec);
    size_t rl = dns_auth_answer(zs, q, ql, resp, sizeof(resp), 0, &st);

    MUST(rl > 0 && ta_print(resp, rl, txt, sizeof(txt)));
    sscanf(txt, "%255[^\n]", hl);
    snprintf(out, sizeof(out), "%s:", hl);
    for (char *l = strtok(txt, "\n"); l != NULL && n < 32;
         l = strtok(NULL, "\n")) {
        char sec[8], own[300], ttl[16], ty[16];
        if (sscanf(l, "%7s %299s %15s %15s", sec, own, ttl, ty) == 4 &&
            strcmp(sec, "NS") == 0 && strcmp(ty, ptype) == 0) {
            if (strcmp(ptype, "NSEC3") == 0)
                own[strcspn(own, ".")] = 0;
            owners[n] = strdup(own);
            n++;
        }
    }
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++)
            if (strcmp(owners[j], owners[i]) < 0) {
                char *t = owners[i];
                owners[i] = owners[j];
                owners[j] = t;
            }
    for (unsigned i = 0; i < n; i++) {
        strncat(out, " ", sizeof(out) - strlen(out) - 1);
        strncat(out, owners[i], sizeof(out) - strlen(out) - 1);
        free(owners[i]);
    }
    return out;
}

static const char *proof(struct dns_zoneset *zs, const char *name,
                         const char *type, bool dnssec, int size)
{
    return proof_of(zs, name, type, dnssec, size, "NSEC3");
}

#define H_EXAMPLE "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"
#define H_NS1     "2t7b4g4vsa5smi47k61mv5bv1a22bojr"
#define H_A       "35mthgpgcu1qg68fab165klnsnk3dpvl"
#define H_C       "4g6p9u5gvfshp30pqecj98b3maqbn1ck"
#define H_XW      "b4um86eghhds6nea196smvmlo4ors995"
#define H_YW      "ji6neoaepv8b5o6k4ev33abha8ht9fgc"
#define H_W       "k8udemvp1j2f7eg6jebps17vp3n8i58h"
#define H_NS2     "q04jkcevqvmu85r014c7dkba38o0ji5r"
#define H_STARW   "r53bq7cc2uvmubfu5ocmm6pers9tk9en"

static void test_proofs(void)
{
    uint8_t *blob;
    size_t blen;
    struct dns_zoneset *zs = load(NULL, &blob, &blen);

    /* 7.2.2: NXDOMAIN.  Closest encloser x.w (matched); next closer
     * c.x.w hashes to 0va5bpr2..., covered by example's NSEC3; the
     * wildcard *.x.w to 92pqneeg..., covered by c.example's. */
    CHECK_STR(proof(zs, "a.c.x.w.example.", "A", true, 4096),
              "NXDOMAIN aa qd=1 an=0 ns=8 ar=1: " H_EXAMPLE " " H_C " " H_XW);
    CHECK_STR(proof(zs, "a.c.x.w.example.", "A", false, 4096),
              "NXDOMAIN aa qd=1 an=0 ns=1 ar=1:");
    /* 7.2.3: NODATA; at an empty non-terminal; at the apex (DS). */
    CHECK_STR(proof(zs, "ns1.example.", "MX", true, 4096),
              "NOERROR aa qd=1 an=0 ns=4 ar=1: " H_NS1);
    CHECK_STR(proof(zs, "y.w.example.", "A", true, 4096),
              "NOERROR aa qd=1 an=0 ns=4 ar=1: " H_YW);
    CHECK_STR(proof(zs, "example.", "DS", true, 4096),
              "NOERROR aa qd=1 an=0 ns=4 ar=1: " H_EXAMPLE);
    /* 7.2.4/7.2.7: DS at an insecure cut and its referral: the cut's
     * NSEC3 (ldns gives opt-out cuts one). */
    CHECK_STR(proof(zs, "c.example.", "DS", true, 4096),
              "NOERROR aa qd=1 an=0 ns=4 ar=1: " H_C);
    CHECK_STR(proof(zs, "mc.c.example.", "MX", true, 4096),
              "NOERROR qd=1 an=0 ns=4 ar=3: " H_C);
    /* 7.2.6: wildcard answer: the next closer z.w (qlu7gtfa...) is
     * covered by ns2's NSEC3.  7.2.5: wildcard NODATA adds the closest
     * encloser w and the wildcard *.w, both matched. */
    CHECK_STR(proof(zs, "a.z.w.example.", "MX", true, 4096),
              "NOERROR aa qd=1 an=2 ns=2 ar=1: " H_NS2);
    CHECK_STR(proof(zs, "a.z.w.example.", "AAAA", true, 4096),
              "NOERROR aa qd=1 an=0 ns=8 ar=1: " H_W " " H_NS2 " " H_STARW);
    /* The literal wildcard is a name like any other: no proof. */
    CHECK_STR(proof(zs, "*.w.example.", "MX", true, 4096),
              "NOERROR aa qd=1 an=2 ns=0 ar=5:");
    /* RFC 4035 3.1.1: a proof that does not fit in 512 bytes: TC. */
    CHECK_STR(proof(zs, "a.c.x.w.example.", "A", true, 512),
              "NXDOMAIN aa tc qd=1 an=0 ns=0 ar=1:");
    dns_zoneset_free(zs, &ta);
    free(blob);

    /* An opt-out cut without an NSEC3 (7.2.7): the closest provable
     * encloser (example, matched) and the next closer c.example
     * (4g6p9u5g..., covered by a.example's NSEC3). */
    zs = load(H_C, &blob, &blen);
    CHECK_STR(proof(zs, "mc.c.example.", "MX", true, 4096),
              "NOERROR qd=1 an=0 ns=6 ar=3: " H_EXAMPLE " " H_A);
    CHECK_STR(proof(zs, "c.example.", "DS", true, 4096),
              "NOERROR aa qd=1 an=0 ns=6 ar=1: " H_EXAMPLE " " H_A);
    dns_zoneset_free(zs, &ta);
    free(blob);
}

/* RFC 4035 3.1.3 on the same zone signed with NSEC. */
static void test_nsec(void)
{
    uint8_t *blob;
    size_t blen;
    struct dns_zoneset *zs = load_file("rfc5155-nsec.zone", NULL, &blob, &blen);

    /* NXDOMAIN: the NSEC covering the name also covers *.x.w (once). */
    CHECK_STR(proof_of(zs, "a.c.x.w.example.", "A", true, 4096, "NSEC"),
              "NXDOMAIN aa qd=1 an=0 ns=4 ar=1: x.w.example.");
    /* b.example: covered by ai's NSEC, *.example by the apex's. */
    CHECK_STR(proof_of(zs, "b.example.", "A", true, 4096, "NSEC"),
              "NXDOMAIN aa qd=1 an=0 ns=6 ar=1: ai.example. example.");
    CHECK_STR(proof_of(zs, "b.example.", "A", false, 4096, "NSEC"),
              "NXDOMAIN aa qd=1 an=0 ns=1 ar=1:");
    /* NODATA: the owner's NSEC; an empty non-terminal's covering one. */
    CHECK_STR(proof_of(zs, "ns1.example.", "MX", true, 4096, "NSEC"),
              "NOERROR aa qd=1 an=0 ns=4 ar=1: ns1.example.");
    CHECK_STR(proof_of(zs, "y.w.example.", "A", true, 4096, "NSEC"),
              "NOERROR aa qd=1 an=0 ns=4 ar=1: x.w.example.");
    /* Wildcard answer: the NSEC covering the query name; wildcard
     * NODATA adds the wildcard's own. */
    CHECK_STR(proof_of(zs, "a.z.w.example.", "MX", true, 4096, "NSEC"),
              "NOERROR aa qd=1 an=2 ns=2 ar=1: x.y.w.example.");
    CHECK_STR(proof_of(zs, "a.z.w.example.", "AAAA", true, 4096, "NSEC"),
              "NOERROR aa qd=1 an=0 ns=6 ar=1: *.w.example. x.y.w.example.");
    /* Insecure referral: the cut's NSEC (no DS bit). */
    CHECK_STR(proof_of(zs, "mc.c.example.", "MX", true, 4096, "NSEC"),
              "NOERROR qd=1 an=0 ns=4 ar=3: c.example.");
    dns_zoneset_free(zs, &ta);
    free(blob);
}

/* dns_zone_open refuses a denial table that would read out of bounds. */
static void test_forged(void)
{
    uint8_t *blob;
    size_t blen;
    struct dns_zoneset *zs = load(NULL, &blob, &blen);
    uint8_t *copy = malloc(blen);
    uint32_t data = zdb_ld32(blob + ZH_DATA), p = zdb_ld32(blob + ZH_PROOF);
    uint8_t *t = copy + data + p;

    MUST(p != 0 && copy != NULL);
    CHECK(blob[data + p] == 3 && blob[data + p + 1] == 4);
    CHECK(zdb_ld16(blob + data + p + 2) == 12);
    memcpy(copy, blob, blen);
    CHECK(dns_zone_open(copy, blen, NULL, NULL) == 0);
    t[0] = 2; /* unknown kind */
    CHECK(dns_zone_open(copy, blen, NULL, NULL) == TB_EMALF);
    memcpy(copy, blob, blen);
    zdb_st32(t + 4, 0x10000000); /* more entries than bytes */
    CHECK(dns_zone_open(copy, blen, NULL, NULL) == TB_EMALF);
    memcpy(copy, blob, blen);
    zdb_st16(t + 2, ZDB_NSEC3_MAXITER + 1);
    CHECK(dns_zone_open(copy, blen, NULL, NULL) == TB_EMALF);
    memcpy(copy, blob, blen);
    zdb_st32(t + 8 + 8 + 20, 0xfffffff0); /* the first chunk's offset */
    CHECK(dns_zone_open(copy, blen, NULL, NULL) == TB_EMALF);
    memcpy(copy, blob, blen);
    zdb_st32(copy + ZH_PROOF, 0xfffffff0);
    CHECK(dns_zone_open(copy, blen, NULL, NULL) == TB_EMALF);
    free(copy);
    dns_zoneset_free(zs, &ta);
    free(blob);
}

/* An unsigned zone has no denial table. */
static void test_unsigned(void)
{
    static const char *const lines[] = {"@ 3600 SOA ns1 h 1 2 3 4 5",
                                        "@ 3600 NS ns1", "ns1 3600 A 192.0.2.1",
                                        NULL};
    size_t len;
    uint8_t *b = ta_zone("example.", lines, &len);

    CHECK(zdb_ld32(b + ZH_PROOF) == 0);
    free(b);
}

int main(void)
{
    RUN(test_hash);
    RUN(test_proofs);
    RUN(test_nsec);
    RUN(test_forged);
    RUN(test_unsigned);
    return check_done();
}
