/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_PAGING_H
#define KVMMEM_PAGING_H

#include <linux/fs.h>

extern unsigned int kvmmem_swap_readahead;

void kvmmem_paging_kick(void);
void kvmmem_paging_charged(struct inode *inode);
bool kvmmem_paging_make_room(struct inode *inode, unsigned int attempt);
struct page *kvmmem_paging_swap_in(struct inode *inode, pgoff_t gfn,
				   void *entry);
struct page *kvmmem_paging_read_copy(struct inode *inode, pgoff_t gfn);
void kvmmem_paging_drop_copy(struct inode *inode, pgoff_t gfn,
			     struct page *page);
int kvmmem_paging_init(void);
void kvmmem_paging_exit(void);

#endif /* KVMMEM_PAGING_H */
