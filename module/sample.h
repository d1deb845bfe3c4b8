/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_SAMPLE_H
#define KVMMEM_SAMPLE_H

#include <linux/fs.h>
#include <linux/xarray.h>

/* A pmap entry's mark: sampled this period, not touched since. */
#define KVMMEM_SAMPLED		XA_MARK_0

extern unsigned int kvmmem_sample_period_ms;
extern unsigned int kvmmem_sample_pages;

void kvmmem_sample_touch(struct inode *inode, pgoff_t gfn);
void kvmmem_sample_init(void);
void kvmmem_sample_exit(void);
void kvmmem_sample_reschedule(void);

#endif /* KVMMEM_SAMPLE_H */
