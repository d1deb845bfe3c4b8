/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_SWAP_H
#define KVMMEM_SWAP_H

#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

/* A mount's backing store (swap.c). */
struct kvmmem_swap {
	struct file *file;
	unsigned long nr_slots;
	spinlock_t lock;	/* used, more_refs, cursor, nr_used */
	unsigned long *used;	/* bitmap of slots in use */
	struct xarray more_refs;	/* slot -> references beyond one */
	unsigned long cursor;	/* where the next run is looked for */
	unsigned long nr_used;
	u32 *sums;		/* checksum of each slot's page */
	unsigned long failed_until;	/* jiffies: no writes until then */
};

/**
 * struct kvmmem_swap_io - pages being written out (kvmmem_swap_write_start())
 * @swap: the store
 * @pages: the pages, locked and unmapped: nobody may change them
 * @slots: set to the slot each page went to
 * @n: how many
 * @written: set to how many went, from the first: @pages[0..@written)
 * @err: 0; -ENOSPC when the store filled up; the error of a write
 * @work: the write, on the store's workqueue
 * @done: completed when @written and @err are set
 */
struct kvmmem_swap_io {
	struct kvmmem_swap *swap;
	struct page **pages;
	unsigned long *slots;
	unsigned int n;
	unsigned int written;
	int err;
	struct work_struct work;
	struct completion done;
};

int kvmmem_swap_init(void);
void kvmmem_swap_exit(void);
struct kvmmem_swap *kvmmem_swap_open(const char *path, const char **errmsg);
void kvmmem_swap_close(struct kvmmem_swap *swap);
unsigned int kvmmem_swap_alloc(struct kvmmem_swap *swap, unsigned int want,
			       unsigned long *first);
void kvmmem_swap_free(struct kvmmem_swap *swap, unsigned long first,
		      unsigned int n);
int kvmmem_swap_get(struct kvmmem_swap *swap, unsigned long slot);
void kvmmem_swap_write_start(struct kvmmem_swap_io *io, bool async);
unsigned int kvmmem_swap_write_wait(struct kvmmem_swap_io *io);
int kvmmem_swap_read(struct kvmmem_swap *swap, unsigned long slot,
		     struct page **pages, unsigned int n, int *errs);
void kvmmem_swap_count_error(struct kvmmem_swap *swap, unsigned long slot,
			     int err);
bool kvmmem_swap_full(struct kvmmem_swap *swap);
bool kvmmem_swap_writable(struct kvmmem_swap *swap);
bool kvmmem_swap_roomy(struct kvmmem_swap *swap);

#endif /* KVMMEM_SWAP_H */
