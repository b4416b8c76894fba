/*
 * tcplim.c -- TCP connections per client address (dns/srv.h): the check a
 * driver makes when it accepts a connection and undoes when it closes
 * one, so that one client cannot hold every slot of tcp-clients.
 *
 *   driver: accept -> pool has room? -> dns_tcplim_open() -> dns_tcp_open()
 *           close  -> dns_tcplim_close()
 *
 * The table counts open connections per key: the whole IPv4 address, the
 * /64 of an IPv6 address (one host is given a /64 and picks addresses in
 * it at will).  It is one fixed array, open addressing with linear
 * probing and backward-shift deletion (no tombstones), sized at init to
 * at least twice the connections the driver can hold, so it is never
 * more than half full: every open connection has one key, and a key
 * leaves the table when its last connection closes.  The hash is keyed
 * by a secret seed, so a client cannot choose addresses whose probes
 * collide into long runs.
 *
 * What it does not do: locking (tibra-dnsd's workers share one table
 * under a mutex; a guest has one thread), per-prefix limits wider than
 * /64, or any notion of time (a connection counts until it is closed).
 */
#include <string.h>
#include <tibra/dns/srv.h>

struct dns_tcplim_entry {
    uint8_t key[8]; /* IPv4 address, or the IPv6 /64 */
    uint8_t af; /* 0: empty */
    uint8_t pad[3];
    uint32_t count; /* open connections, >= 1 while used */
};

static uint32_t table_size(uint32_t clients)
{
    uint32_t n = 16;

    while (n < 2ull * clients && n < (1u << 31))
        n *= 2;
    return n;
}

size_t dns_tcplim_memory(uint32_t clients)
{
    return (size_t)table_size(clients) * sizeof(struct dns_tcplim_entry);
}

int dns_tcplim_init(struct dns_tcplim *l, uint32_t clients, uint32_t per_addr,
                    uint64_t seed, const struct tb_alloc *a)
{
    uint32_t n = table_size(clients);

    memset(l, 0, sizeof(*l));
    if (clients == 0 || per_addr == 0)
        return TB_EINVAL;
    l->tab = tb_alloc(a, (size_t)n * sizeof(*l->tab));
    if (l->tab == NULL)
        return TB_ENOMEM;
    memset(l->tab, 0, (size_t)n * sizeof(*l->tab));
    l->mask = n - 1;
    l->per_addr = per_addr;
    l->seed = seed;
    l->a = a;
    return 0;
}

void dns_tcplim_free(struct dns_tcplim *l)
{
    if (l->tab != NULL)
        tb_free(l->a, l->tab, (size_t)(l->mask + 1) * sizeof(*l->tab));
    memset(l, 0, sizeof(*l));
}

/* The key of (peer): false if it has none (no address: not counted). */
static bool key_of(const struct tb_addr *peer, uint8_t *af, uint8_t key[8])
{
    if (peer == NULL || (peer->af != TB_AF_INET && peer->af != TB_AF_INET6))
        return false;
    memset(key, 0, 8);
    memcpy(key, peer->ip, peer->af == TB_AF_INET ? 4 : 8);
    *af = peer->af;
    return true;
}

static uint32_t home(const struct dns_tcplim *l, uint8_t af,
                     const uint8_t key[8])
{
    uint64_t h;

    memcpy(&h, key, 8);
    h ^= l->seed ^ ((uint64_t)af << 56);
    /* splitmix64's finaliser: every key bit reaches every hash bit. */
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    h ^= h >> 31;
    return (uint32_t)h & l->mask;
}

/* The slot holding (af, key), or the empty slot ending its run. */
static uint32_t find(const struct dns_tcplim *l, uint8_t af,
                     const uint8_t key[8])
{
    uint32_t i = home(l, af, key);

    while (l->tab[i].af != 0 &&
           (l->tab[i].af != af || memcmp(l->tab[i].key, key, 8) != 0))
        i = (i + 1) & l->mask;
    return i;
}

bool dns_tcplim_open(struct dns_tcplim *l, const struct tb_addr *peer,
                     struct dns_srv_stats *st)
{
    uint8_t af, key[8];

    if (l->tab == NULL || !key_of(peer, &af, key))
        return true;
    uint32_t i = find(l, af, key);
    struct dns_tcplim_entry *e = &l->tab[i];
    if (e->af != 0 && e->count >= l->per_addr) {
        st->tcp_refused_addr++;
        return false;
    }
    if (e->af == 0) {
        /* Never more than half full when the driver keeps its bound;
         * if it does not, refuse rather than fill the last slot. */
        if (!ALWAYS(l->used < l->mask / 2 + 1)) {
            st->tcp_refused_addr++;
            return false;
        }
        memcpy(e->key, key, 8);
        e->af = af;
        e->count = 0;
        l->used++;
    }
    e->count++;
    return true;
}

void dns_tcplim_close(struct dns_tcplim *l, const struct tb_addr *peer)
{
    uint8_t af, key[8];

    if (l->tab == NULL || !key_of(peer, &af, key))
        return;
    uint32_t m = l->mask, i = find(l, af, key);
    if (!ALWAYS(l->tab[i].af != 0 && l->tab[i].count > 0))
        return;
    if (--l->tab[i].count > 0)
        return;
    l->used--;
    /* Backward shift: move later entries of the run into the hole unless
     * their home lies in (hole, j]. */
    for (uint32_t j = (i + 1) & m; l->tab[j].af != 0; j = (j + 1) & m) {
        uint32_t h = home(l, l->tab[j].af, l->tab[j].key);
        if (((j - h) & m) >= ((j - i) & m)) {
            l->tab[i] = l->tab[j];
            i = j;
        }
    }
    memset(&l->tab[i], 0, sizeof(l->tab[i]));
}

uint32_t dns_tcplim_count(const struct dns_tcplim *l,
                          const struct tb_addr *peer)
{
    uint8_t af, key[8];

    if (l->tab == NULL || !key_of(peer, &af, key))
        return 0;
    return l->tab[find(l, af, key)].count;
}
