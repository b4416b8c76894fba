/*
 * plane.c -- the start and stop of a control-plane thread that waits on a
 * condition variable until told to stop (the online signer: signer.c; the
 * dynamic updates: update.c).  Each keeps its own mutex, condition, stop
 * and started flags; these functions are the one way to drive them.
 */
#include "dnsd.h"

int dnsd_plane_start(pthread_t *th, pthread_mutex_t *mu, bool *stop,
                     bool *started, void *(*fn)(void *), void *arg,
                     const char *what)
{
    pthread_mutex_lock(mu);
    *stop = false; /* again after dnsd_plane_stop() */
    pthread_mutex_unlock(mu);
    if (pthread_create(th, NULL, fn, arg) != 0) {
        dnsd_log("%s: cannot start its thread", what);
        return TB_EIO;
    }
    *started = true;
    return 0;
}

void dnsd_plane_stop(pthread_t th, pthread_mutex_t *mu, pthread_cond_t *cv,
                     bool *stop, bool *started)
{
    if (!*started)
        return;
    pthread_mutex_lock(mu);
    *stop = true;
    pthread_cond_broadcast(cv);
    pthread_mutex_unlock(mu);
    pthread_join(th, NULL);
    *started = false;
}
