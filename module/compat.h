/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the supported kernels (Debian's 6.1 and 6.12)
 * lives here, so the rest of the module reads as if written for one kernel.
 * The KVMMEM_HAVE_* switches come from feature tests in Kbuild.
 */
#ifndef KVMMEM_COMPAT_H
#define KVMMEM_COMPAT_H

#include <linux/fs.h>
#include <linux/kernfs.h>
#include <linux/kobject.h>
#include <linux/mm.h>

#ifdef KVMMEM_HAVE_MNT_IDMAP
/* 6.3 replaced the user namespace argument of inode operations by an idmap. */
#define kvmmem_idmap		mnt_idmap
#define KVMMEM_NOP_IDMAP	(&nop_mnt_idmap)
#else
#define kvmmem_idmap		user_namespace
#define KVMMEM_NOP_IDMAP	(&init_user_ns)
#endif

#ifdef KVMMEM_HAVE_VM_FLAGS_SET
/* 6.3 made vm_flags writable only through helpers that check the locking. */
static inline void kvmmem_vm_flags_set(struct vm_area_struct *vma,
				       vm_flags_t flags)
{
	vm_flags_set(vma, flags);
}
#else
static inline void kvmmem_vm_flags_set(struct vm_area_struct *vma,
				       vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

#ifdef KVMMEM_HAVE_INODE_TS_ACCESSORS
/* 6.6/6.7 made the inode timestamps private behind accessors. */
static inline void kvmmem_inode_init_times(struct inode *inode)
{
	simple_inode_init_ts(inode);
}

static inline void kvmmem_inode_touch(struct inode *inode)
{
	inode_set_mtime_to_ts(inode, inode_set_ctime_current(inode));
}
#else
static inline void kvmmem_inode_init_times(struct inode *inode)
{
	inode->i_atime = current_time(inode);
	inode->i_mtime = inode->i_atime;
	inode->i_ctime = inode->i_atime;
}

static inline void kvmmem_inode_touch(struct inode *inode)
{
	inode->i_mtime = current_time(inode);
	inode->i_ctime = inode->i_mtime;
}
#endif

/*
 * How many page tables map an order-0 frame: 6.12 has only the folio's
 * count (inline), 6.1 page_mapcount() inline and folio_mapcount() not
 * exported.
 */
#ifdef KVMMEM_HAVE_INLINE_FOLIO_MAPCOUNT
static inline int kvmmem_frame_mapcount(struct page *page)
{
	return folio_mapcount(page_folio(page));
}
#else
static inline int kvmmem_frame_mapcount(struct page *page)
{
	return page_mapcount(page);
}
#endif

/*
 * The kobject of /sys/kernel/mm.  mm_kobj is exported on 6.1 but not on
 * 6.12, so look it up through kernfs, whose directory nodes created by
 * kobjects point back at them.  It lives as long as the kernel.
 */
static inline struct kobject *kvmmem_mm_kobj(void)
{
	struct kernfs_node *kn = kernfs_find_and_get(kernel_kobj->sd, "mm");
	struct kobject *kobj;

	if (!kn)
		return NULL;
	kobj = kn->priv;
	kernfs_put(kn);
	return kobj;
}

#endif /* KVMMEM_COMPAT_H */
