/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_SHARE_H
#define KVMMEM_SHARE_H

#include <linux/fs.h>
#include <linux/mm_types.h>

/* What scanning one guest page did. */
enum kvmmem_scan_result {
	KVMMEM_SCAN_SKIPPED,	/* a hole or already shared */
	KVMMEM_SCAN_UNSHARED,	/* hashed; left as a hint */
	KVMMEM_SCAN_MERGED,	/* now maps a shared frame */
	KVMMEM_SCAN_BUSY,	/* in use (I/O, another fault): try later */
	KVMMEM_SCAN_VOLATILE,	/* changed while being looked at */
};

extern unsigned int kvmmem_max_page_sharing;

int kvmmem_share_init(void);
void kvmmem_share_exit(void);
struct page *kvmmem_share_break(struct inode *inode, pgoff_t gfn,
				struct page *frame);
bool kvmmem_share_drop(struct inode *inode, struct page *frame);
int kvmmem_share_swap_slot(struct inode *inode, struct page *frame,
			   unsigned long *slot);
enum kvmmem_scan_result kvmmem_share_scan_page(struct inode *inode,
					       pgoff_t gfn);
int kvmmem_share_unmerge(struct inode *inode, bool zero_too);
size_t kvmmem_share_metadata_bytes(void);

#endif /* KVMMEM_SHARE_H */
