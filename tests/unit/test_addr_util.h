/*
 * test_addr_util.h -- client addresses for the tests of per-address state
 * (test_rrl, test_tcplim): an IPv4 address from its four bytes and an IPv6
 * address from its text, both from source port 40000 (a test that needs
 * another source port sets .port itself).
 *
 * Hosted test code (abort); never linked into lib/.
 */
#ifndef TEST_ADDR_UTIL_H
#define TEST_ADDR_UTIL_H

#include <stdlib.h>
#include <string.h>
#include <tibra/base.h>

static struct tb_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct tb_addr x = {.af = TB_AF_INET, .port = 40000};
    x.ip[0] = a;
    x.ip[1] = b;
    x.ip[2] = c;
    x.ip[3] = d;
    return x;
}

/* (text) MUST be a valid IPv6 address; aborts otherwise. */
static struct tb_addr v6(const char *text)
{
    struct tb_addr x = {.af = TB_AF_INET6, .port = 40000};
    if (tb_inet_pton6(text, strlen(text), x.ip) != 0)
        abort();
    return x;
}

#endif
