/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_SWAP_H
#define KVMMEM_SWAP_H

#include <linux/fs.h>
#include <linux/spinlock.h>

/* A mount's backing store (swap.c). */
struct kvmmem_swap {
	struct file *file;
	unsigned long nr_slots;
	spinlock_t lock;	/* used, cursor, nr_used */
	unsigned long *used;	/* bitmap of slots in use */
	unsigned long cursor;	/* where the next run is looked for */
	unsigned long nr_used;
	u32 *sums;		/* checksum of each slot's page */
	unsigned long failed_until;	/* jiffies: no writes until then */
};

struct kvmmem_swap *kvmmem_swap_open(const char *path, const char **errmsg);
void kvmmem_swap_close(struct kvmmem_swap *swap);
unsigned int kvmmem_swap_alloc(struct kvmmem_swap *swap, unsigned int want,
			       unsigned long *first);
void kvmmem_swap_free(struct kvmmem_swap *swap, unsigned long first,
		      unsigned int n);
int kvmmem_swap_write(struct kvmmem_swap *swap, unsigned long first,
		      struct page **pages, unsigned int n);
int kvmmem_swap_read(struct kvmmem_swap *swap, unsigned long slot,
		     struct page **pages, unsigned int n, int *errs);
void kvmmem_swap_count_error(struct kvmmem_swap *swap, unsigned long slot,
			     int err);
bool kvmmem_swap_full(struct kvmmem_swap *swap);
bool kvmmem_swap_writable(struct kvmmem_swap *swap);
bool kvmmem_swap_roomy(struct kvmmem_swap *swap);

#endif /* KVMMEM_SWAP_H */
