/*
 * net_fix.h -- shared by the fuzz targets that inject Ethernet frames
 * (fuzz_net_frames, fuzz_guest): fix(frame, len) rewrites the IPv4 header
 * checksum and the ICMP/TCP/UDP/ICMPv6 checksum of an IPv4 or IPv6 frame
 * so that the fuzzer gets past them.  Test code only.
 */
#ifndef TB_FUZZ_NET_FIX_H
#define TB_FUZZ_NET_FIX_H

#include <stddef.h>
#include <stdint.h>
#include <tibra/base.h>

static inline uint32_t sum(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}
static inline uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Offset of the checksum field for (proto) in its header, or -1. */
static inline int ck_off(uint8_t proto)
{
    return proto == 6 ? 16 : proto == 17 ? 6 : proto == 58 ? 2 : -1;
}

static inline void fix(uint8_t *f, size_t n)
{
    if (n >= 34 && f[12] == 8 && f[13] == 0 && (f[14] >> 4) == 4) {
        uint8_t *ip = f + 14;
        size_t hl = (size_t)(ip[0] & 15) * 4, tot;
        if (hl < 20 || 14 + hl > n)
            return;
        tot = (size_t)ip[2] << 8 | ip[3];
        if (tot > n - 14 || tot < hl)
            tot = n - 14;
        tb_put16(ip + 10, 0);
        tb_put16(ip + 10, fold(sum(0, ip, hl)));
        if ((ip[6] & 0x3f) || ip[7])
            return; /* fragments: transport checksum spans them all */
        if (ip[9] == 1 && tot >= hl + 4) {
            tb_put16(ip + hl + 2, 0);
            tb_put16(ip + hl + 2, fold(sum(0, ip + hl, tot - hl)));
        } else if (ck_off(ip[9]) > 0 && tot >= hl + (size_t)ck_off(ip[9]) + 2) {
            uint32_t s = sum(0, ip + 12, 8) + ip[9] + (uint32_t)(tot - hl);
            tb_put16(ip + hl + ck_off(ip[9]), 0);
            tb_put16(ip + hl + ck_off(ip[9]), fold(sum(s, ip + hl, tot - hl)));
        }
    } else if (n >= 54 && f[12] == 0x86 && f[13] == 0xdd) {
        uint8_t *ip = f + 14;
        size_t pl = (size_t)ip[4] << 8 | ip[5];
        int o = ck_off(ip[6]);
        if (pl > n - 54)
            pl = n - 54;
        if (o > 0 && pl >= (size_t)o + 2) {
            uint32_t s = sum(0, ip + 8, 32) + ip[6] + (uint32_t)pl;
            tb_put16(ip + 40 + o, 0);
            tb_put16(ip + 40 + o, fold(sum(s, ip + 40, pl)));
        }
    }
}

#endif /* TB_FUZZ_NET_FIX_H */
