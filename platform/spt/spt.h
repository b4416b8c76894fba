/*
 * spt.h -- private to platform/spt: the tender's ops table, set once at
 * entry (start.c) and used by every platform call (spt.c).
 */
#ifndef TB_SPT_H
#define TB_SPT_H

#include "spt_abi.h"

extern const struct tb_spt_ops *tb_spt_ops;

#endif /* TB_SPT_H */
