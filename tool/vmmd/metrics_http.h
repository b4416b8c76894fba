/*
 * metrics_http.h -- tibra-vmmd --metrics ADDR:PORT: `tibra stats`' text
 * over HTTP for Prometheus, through lib/dns's sans-I/O responder
 * (dns/metrics.h: request parsing, limits, deadline), driven here with
 * non-blocking sockets from the daemon's poll loop.
 */
#ifndef TOOL_VMMD_METRICS_HTTP_H
#define TOOL_VMMD_METRICS_HTTP_H

#include <poll.h>

#define METRICS_CONN_MAX 8

/* Listens on "ADDR:PORT" ("[V6]:PORT" for IPv6); fatal on error. */
int metrics_listen(const char *spec);
/* Fills (pf) with what to poll for (mfd) (-1: nothing); returns how many. */
nfds_t metrics_pollfds(int mfd, struct pollfd *pf);
/* Serves what poll found in (pf), as filled by metrics_pollfds(). */
void metrics_serve(int mfd, const struct pollfd *pf);

#endif /* TOOL_VMMD_METRICS_HTTP_H */
