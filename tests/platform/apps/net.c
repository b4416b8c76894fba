/*
 * net.c -- reflects every Ethernet frame it receives on device "service0"
 * back to its sender, with source and destination MACs swapped, in batches
 * of up to 8 (one tb_net_read and one tb_net_write per batch).  Prints
 * "READY" with its MAC once the device is acquired, so a test can start
 * sending, and SUCCESS after reflecting count=N frames (default 10).
 * Fails if timeout=S seconds (default 20) pass first, and checks the
 * contract's errors on the way (double acquire, unknown device, bad
 * handle, oversize write).
 */
#include "app.h"

TB_MANIFEST(1, TB_MFT_NET("service0"));

#define BATCH     8
#define FRAME_CAP 2048

static uint8_t bufs[BATCH][FRAME_CAP];

static void swap_macs(uint8_t *f)
{
    uint8_t tmp[TB_NET_ALEN];

    memcpy(tmp, f, TB_NET_ALEN);
    memcpy(f, f + TB_NET_ALEN, TB_NET_ALEN);
    memcpy(f + TB_NET_ALEN, tmp, TB_NET_ALEN);
}

int tb_app_main(const struct tb_start_info *si)
{
    uint64_t want = arg_u64(si->cmdline, "count", 10);
    uint64_t timeout = arg_u64(si->cmdline, "timeout", 20) * 1000000000ull;
    struct tb_net_info info, info2;
    struct tb_frame fr[BATCH];
    tb_handle_t h, h2;
    uint64_t reflected = 0, batches = 0;
    tb_time_t deadline;
    int r;

    r = tb_net_acquire("service0", &h, &info);
    APP_CHECK(r == TB_OK, "acquire service0: %s", app_strerror(r));
    if (r != TB_OK)
        return check_end();
    APP_CHECK(tb_net_acquire("service0", &h2, &info2) == TB_EEXIST,
              "second acquire not refused");
    APP_CHECK(tb_net_acquire("nosuch", &h2, &info2) == TB_ENOENT,
              "unknown device not refused");
    APP_CHECK(tb_net_read(h + 1, fr, 1) == TB_EBADF, "bad handle read");
    APP_CHECK(info.mtu >= 576 && info.mtu + TB_NET_HLEN <= FRAME_CAP, "mtu %zu",
              info.mtu);
    fr[0] =
        (struct tb_frame){.buf = bufs[0], .len = info.mtu + TB_NET_HLEN + 1};
    APP_CHECK(tb_net_write(h, fr, 1) == TB_EINVAL, "oversize write");
    say("READY mac %02x:%02x:%02x:%02x:%02x:%02x mtu %zu\n", info.mac[0],
        info.mac[1], info.mac[2], info.mac[3], info.mac[4], info.mac[5],
        info.mtu);

    deadline = tb_clock_monotonic() + timeout;
    while (reflected < want && tb_clock_monotonic() < deadline) {
        tb_handle_set_t ready;
        tb_yield(deadline, &ready);
        if (!(ready & ((tb_handle_set_t)1 << h)))
            continue;
        for (int i = 0; i < BATCH; i++)
            fr[i] = (struct tb_frame){.buf = bufs[i], .cap = FRAME_CAP};
        r = tb_net_read(h, fr, BATCH);
        if (r == TB_EAGAIN)
            continue;
        APP_CHECK(r > 0, "read: %s", app_strerror(r));
        if (r <= 0)
            break;
        for (int i = 0; i < r; i++) {
            if (fr[i].len >= TB_NET_HLEN)
                swap_macs(fr[i].buf);
        }
        int sent = tb_net_write(h, fr, (size_t)r);
        APP_CHECK(sent == r, "write %d of %d: %s", sent, r,
                  sent < 0 ? app_strerror(sent) : "queue full");
        if (sent > 0)
            reflected += (uint64_t)sent;
        batches++;
    }
    say("reflected %llu frames in %llu batches\n",
        (unsigned long long)reflected, (unsigned long long)batches);
    APP_CHECK(reflected >= want, "timed out after %llu of %llu frames",
              (unsigned long long)reflected, (unsigned long long)want);
    return check_end();
}
