/*
 * test_svc_key.c -- TSIG keys in the service file (lib/svc/svc.c `key:`)
 * and their secrets read at run time (lib/hosted/svc_key.c): the grammar,
 * every error with FILE:LINE, key names matched case-insensitively, and
 * secret files in base64 and BIND form, each refusal, and that a loaded
 * key verifies what dnspython signed with the same secret.
 */
#include <stdlib.h>
#include <string.h>
#include <tibra/dns/tsig.h>
#include <tibra/svc.h>
#include <unistd.h>

#include "check.h"
#include "test_svc_parse.h"
#include "tsig_vectors.h"

static void grammar(void)
{
    struct svc_conf c;

    CHECK_EQ(parse(&c, HEAD "key: tsig-key.; algorithm hmac-sha256\n"
                            "     secret-file keys/k1\n"
                            "key: Other algorithm HMAC-MD5.SIG-ALG.REG.INT.\n"
                            "     secret-file /run/k2\n"
                            "key: k3 hmac-sha512 secret-file k3.key\n"),
             0);
    REQUIRE(c.nkeys == 3);
    CHECK_EQ(c.keys[2].alg, DNS_TSIG_HMAC_SHA512);
    CHECK_STR(c.keys[2].secret_file, "/etc/tibra/k3.key");
    CHECK_STR(c.keys[0].name, "tsig-key.");
    CHECK_EQ(c.keys[0].alg, DNS_TSIG_HMAC_SHA256);
    CHECK_STR(c.keys[0].secret_file, "/etc/tibra/keys/k1");
    CHECK_EQ(c.keys[0].line, 2);
    CHECK_MEM(c.keys[0].wire, "\x08tsig-key", 10);
    CHECK_EQ(c.keys[1].alg, DNS_TSIG_HMAC_MD5);
    CHECK_STR(c.keys[1].secret_file, "/run/k2");
    CHECK(svc_key_find(&c, "TSIG-KEY", 8) == &c.keys[0]);
    CHECK(svc_key_find(&c, "other.", 6) == &c.keys[1]);
    CHECK(svc_key_find(&c, "nope", 4) == NULL);
    svc_conf_free(&c);
}

static void errors(void)
{
    struct svc_conf c;

    CHECK_EQ(parse(&c, HEAD "key: k1; algorithm hmac-sha3; secret-file f\n"
                            "key: k2; secret-file f\n"
                            "key: k3; algorithm hmac-sha1\n"
                            "key: k1; algorithm hmac-sha1; secret-file g\n"
                            "key: k4; secret \"c2VjcmV0\"\n"
                            "key: k5; algorithm hmac-sha1 hmac-md5\n"
                            "     colour blue\n"
                            "key:\n"),
             TB_EMALF);
    CHECK(strstr(diag_text, "ns1.conf:2: key k1: unknown algorithm "
                            "'hmac-sha3'") != NULL);
    CHECK(strstr(diag_text, "ns1.conf:3: key k2 has no algorithm") != NULL);
    CHECK(strstr(diag_text, "ns1.conf:4: key k3 has no secret-file") != NULL);
    CHECK(strstr(diag_text, "ns1.conf:5: key k1 given twice (first on line "
                            "2)") != NULL);
    CHECK(strstr(diag_text, "ns1.conf:6: key k4: a secret is not written in "
                            "the service file") != NULL);
    CHECK(strstr(diag_text, "ns1.conf:7: algorithm needs exactly one "
                            "value") != NULL);
    CHECK(strstr(diag_text, "ns1.conf:8: unknown key item 'colour'") != NULL);
    CHECK(strstr(diag_text, "ns1.conf:9: key: statement has no key "
                            "name") != NULL);
    svc_conf_free(&c);
    CHECK_EQ(parse(&c, HEAD "key: bad..name; algorithm hmac-sha1\n"), TB_EMALF);
    CHECK(strstr(diag_text, "ns1.conf:2: key: 'bad..name' is not a key "
                            "name") != NULL);
    svc_conf_free(&c);
}

/* allow-transfer ADDR... key NAME, and key NAME alone. */
static void allow_transfer_keys(void)
{
    struct svc_conf c;

    CHECK_EQ(parse(&c, HEAD "zone: example.org; file z\n"
                            "      allow-transfer 192.0.2.1 10.0.0.0/8 key k1\n"
                            "      allow-transfer 198.51.100.7\n"
                            "      allow-transfer key K1.\n"
                            "key: k1 hmac-sha256 secret-file k1.key\n"),
             0);
    REQUIRE(c.nzones == 1 && c.zones[0].nallow_xfr == 5);
    struct svc_zone *z = &c.zones[0];
    CHECK_STR(z->allow_xfr_key[0], "k1");
    CHECK_STR(z->allow_xfr_key[1], "k1");
    CHECK_EQ(z->allow_xfr[1].plen, 8);
    CHECK(z->allow_xfr_key[2] == NULL);
    CHECK_STR(z->allow_xfr_key[3], "K1.");
    CHECK_EQ(z->allow_xfr[3].family, 4);
    CHECK_EQ(z->allow_xfr[3].plen, 0);
    CHECK_EQ(z->allow_xfr[4].family, 6);
    CHECK_EQ(z->allow_xfr[4].plen, 0);
    svc_conf_free(&c);
    CHECK_EQ(parse(&c, HEAD "zone: example.org; file z\n"
                            "      allow-transfer 192.0.2.1 key nokey\n"
                            "      allow-transfer key k1 192.0.2.2\n"),
             TB_EMALF);
    CHECK(strstr(diag_text, "ns1.conf:3: zone example.org: allow-transfer: "
                            "no key 'nokey'") != NULL);
    CHECK(strstr(diag_text, "ns1.conf:4: allow-transfer: key NAME comes "
                            "last") != NULL);
    svc_conf_free(&c);
}

static char dir[64];

static const char *write_file(const char *name, const char *text)
{
    static char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f == NULL)
        abort();
    fputs(text, f);
    fclose(f);
    return path;
}

/* Loads key (k) with secret file text (text); returns svc_key_load's. */
static int load(struct svc_conf *c, struct svc_key *k, const char *text,
                struct dns_tsig_key *out)
{
    struct dns_diag d = {collect, NULL, 0, 0};
    char *saved = k->secret_file;
    int rc;

    diag_text[0] = 0;
    k->secret_file = (char *)(uintptr_t)write_file("secret", text);
    rc = svc_key_load(c, k, out, &d);
    k->secret_file = saved;
    return rc;
}

/* (k) verifies dnspython's hmac-sha256 request signed with tv_secret. */
static bool verifies(const struct dns_tsig_key *k)
{
    struct dns_tsig_keyring kr;
    struct dns_tsig_ctx ctx;
    size_t off;

    dns_tsig_keyring_init(&kr, k, 1);
    return dns_tsig_find(tv_q_sha256, sizeof(tv_q_sha256), &off) == 0 &&
           dns_tsig_verify_request(&kr, tv_q_sha256, sizeof(tv_q_sha256), off,
                                   TV_TIME, &ctx) == 0 &&
           ctx.error == 0;
}

static void secrets(void)
{
    /* tv_secret (00 01 .. 1f) in base64. */
    static const char b64[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    struct svc_conf c;
    struct dns_tsig_key k;
    char text[512];

    REQUIRE(parse(&c, HEAD "key: tsig-key; algorithm hmac-sha256\n"
                           "     secret-file s\n") == 0);
    struct svc_key *sk = &c.keys[0];
    CHECK_EQ(load(&c, sk, b64, &k), 0);
    CHECK(verifies(&k));
    snprintf(text, sizeof(text), "  %.20s\n%s\n", b64, b64 + 20);
    CHECK_EQ(load(&c, sk, text, &k), 0);
    CHECK(verifies(&k));
    /* BIND's form, as tsig-keygen writes it. */
    snprintf(text, sizeof(text),
             "# made by hand\nkey \"tsig-key\" {\n\talgorithm hmac-sha256;\n"
             "\tsecret \"%s\";\n};\n",
             b64);
    CHECK_EQ(load(&c, sk, text, &k), 0);
    CHECK(verifies(&k));
    /* Refusals, each FILE:LINE. */
    snprintf(text, sizeof(text),
             "key \"tsig-key\" {\n\talgorithm hmac-sha512;\n"
             "\tsecret \"%s\";\n};\n",
             b64);
    CHECK_EQ(load(&c, sk, text, &k), TB_EMALF);
    CHECK(strstr(diag_text,
                 "/secret:2: the key file's algorithm is "
                 "hmac-sha512, the service file's hmac-sha256") != NULL);
    CHECK_EQ(load(&c, sk, "key \"k\" { algorithm hmac-sha256; };\n", &k),
             TB_EMALF);
    CHECK(strstr(diag_text, "no secret") != NULL);
    CHECK_EQ(load(&c, sk,
                  "key \"k\" {\n algorithm hmac-sha256;\n secret "
                  "\"AA!A\"; };\n",
                  &k),
             TB_EMALF);
    CHECK(strstr(diag_text, "/secret:3: the secret is not base64") != NULL);
    CHECK(strstr(diag_text, "AA!A") == NULL); /* never printed */
    CHECK_EQ(load(&c, sk, "c2VjcmV0", &k), 0);
    CHECK(!verifies(&k));
    CHECK_EQ(load(&c, sk, "", &k), TB_ERANGE);
    CHECK(strstr(diag_text, "the secret is empty") != NULL);
    CHECK_EQ(load(&c, sk, "c2VjcmV", &k), TB_EMALF);
    /* A file that is not there: its path, no line. */
    struct dns_diag d = {collect, NULL, 0, 0};
    diag_text[0] = 0;
    char *saved = sk->secret_file;
    sk->secret_file = (char *)(uintptr_t) "/nonexistent/tibra-secret";
    CHECK_EQ(svc_key_load(&c, sk, &k, &d), TB_ENOENT);
    sk->secret_file = saved;
    CHECK(strstr(diag_text, "/nonexistent/tibra-secret:0: cannot read") !=
          NULL);
    svc_conf_free(&c);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_svc_key.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 2;
    RUN(grammar);
    RUN(errors);
    RUN(allow_transfer_keys);
    RUN(secrets);
    char path[128];
    snprintf(path, sizeof(path), "%s/secret", dir);
    unlink(path);
    rmdir(dir);
    return check_done();
}
