// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: pmap - guest-physical to machine page table
 *
 * Each regular file of a kvmmem mount is one memory backend of a VM; its
 * pmap maps a guest frame number (the page offset in the file) to the
 * machine page that backs it.  It is the paper's pmap (section 2), kept in
 * an xarray so an entry costs one 8-byte slot: a densely populated leaf
 * node holds 64 slots in 576 bytes, about 9 bytes per guest page.
 *
 * Frame descriptor: a slot holds a struct page pointer for a resident
 * private frame; an empty slot is a hole that reads as zeros.  The states
 * later mechanisms add keep to the same 8 bytes: shared frames as a tagged
 * pointer (xa_tag_pointer), the shared zero frame and swapped-out frames as
 * value entries (xa_mk_value) carrying a tag and a swap slot.
 *
 * References: the pmap holds one reference on each page it maps; every PTE
 * that maps the page holds its own (taken by the core when our fault hands
 * the page back), as does get_user_pages (KVM).  A removed page therefore
 * lives on until its last mapping is zapped.
 *
 * Locking, outermost first:
 *  - inode->i_rwsem: held by write, truncate and fallocate, which are then
 *    serialised against each other.
 *  - mapping->invalidate_lock: shared while a fault or a lookup allocates or
 *    locks a page, exclusive while entries are removed.  Removal is the
 *    only thing that takes entries out, so holding it shared pins the pmap.
 *  - the page lock: a fault returns its page locked and the core keeps it
 *    locked until the PTE is in place; removal takes it before erasing the
 *    entry.  So a PTE is either installed before the entry goes (and the
 *    unmap that follows removal zaps it) or the fault sees the entry gone.
 *  - the xarray's own spinlock, inside all of these.
 * Everything here may sleep except under the xarray lock.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>

#include "fs.h"
#include "stats.h"

/*
 * Charged to the faulting task's memory cgroup, not movable: the frames are
 * not on the LRU and cannot be migrated.
 */
#define KVMMEM_FRAME_GFP	(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT)

/**
 * kvmmem_pmap_init() - set up an empty pmap
 * @pmap: the pmap of a new inode
 */
void kvmmem_pmap_init(struct kvmmem_pmap *pmap)
{
	xa_init(&pmap->frames);
	atomic_long_set(&pmap->resident, 0);
}

static struct kvmmem_budget *inode_budget(struct inode *inode)
{
	return &KVMMEM_SB(inode->i_sb)->budget;
}

static struct page *alloc_frame(struct inode *inode)
{
	struct kvmmem_budget *budget = inode_budget(inode);
	struct page *page;

	if (atomic_long_inc_return(&budget->used_pages) > budget->max_pages) {
		atomic_long_dec(&budget->used_pages);
		kvmmem_count(KVMMEM_EV_ALLOC_FAILURES, 1);
		pr_warn_ratelimited("kvmmem: %s: mount full (size=%lu pages), no frame for inode %lu\n",
				    current->comm, budget->max_pages,
				    inode->i_ino);
		return ERR_PTR(-ENOSPC);
	}
	page = alloc_page(KVMMEM_FRAME_GFP);
	if (!page) {
		atomic_long_dec(&budget->used_pages);
		kvmmem_count(KVMMEM_EV_ALLOC_FAILURES, 1);
		return ERR_PTR(-ENOMEM);
	}
	return page;
}

static void account_frames(struct inode *inode, long pages)
{
	atomic_long_add(pages, &KVMMEM_I(inode)->pmap.resident);
	atomic_long_add(pages, &kvmmem_pages_allocated);
	if (pages > 0)
		inode_add_bytes(inode, pages << PAGE_SHIFT);
	else
		inode_sub_bytes(inode, -pages << PAGE_SHIFT);
}

static void release_frames(struct inode *inode, unsigned long pages)
{
	atomic_long_sub(pages, &inode_budget(inode)->used_pages);
	account_frames(inode, -(long)pages);
}

/* Caller holds invalidate_lock shared: the entry cannot go away. */
static struct page *get_or_alloc_locked(struct inode *inode, pgoff_t gfn)
{
	struct xarray *frames = &KVMMEM_I(inode)->pmap.frames;
	struct page *page, *old;

	page = xa_load(frames, gfn);
	if (page) {
		get_page(page);
		return page;
	}
	page = alloc_frame(inode);
	if (IS_ERR(page))
		return page;
	old = xa_cmpxchg(frames, gfn, NULL, page, GFP_KERNEL);
	if (old) {
		/* Lost a race with another fault, or the xarray had no memory. */
		atomic_long_dec(&inode_budget(inode)->used_pages);
		__free_page(page);
		if (xa_is_err(old))
			return ERR_PTR(xa_err(old));
		get_page(old);
		return old;
	}
	account_frames(inode, 1);
	get_page(page);
	return page;
}

/**
 * kvmmem_pmap_get_or_alloc() - the frame at @gfn, allocated if it is a hole
 * @inode: a kvmmem regular file
 * @gfn: guest frame number (page offset in the file)
 *
 * Does not check @gfn against the file size: callers that may write past
 * EOF (pwrite, fallocate) hold i_rwsem and set the size themselves.
 *
 * Return: the page with a reference the caller must drop, or ERR_PTR
 * (-ENOSPC when the mount is full, -ENOMEM).
 */
struct page *kvmmem_pmap_get_or_alloc(struct inode *inode, pgoff_t gfn)
{
	struct page *page;

	filemap_invalidate_lock_shared(inode->i_mapping);
	page = get_or_alloc_locked(inode, gfn);
	filemap_invalidate_unlock_shared(inode->i_mapping);
	return page;
}

/**
 * kvmmem_pmap_fault_page() - the frame to map for a page fault
 * @inode: a kvmmem regular file
 * @gfn: guest frame number of the fault
 *
 * Return: the page, locked and with a reference for the new PTE, or
 * ERR_PTR: -EFAULT past EOF, -ENOSPC, -ENOMEM.
 */
struct page *kvmmem_pmap_fault_page(struct inode *inode, pgoff_t gfn)
{
	struct page *page;

	filemap_invalidate_lock_shared(inode->i_mapping);
	if (gfn >= DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE))
		page = ERR_PTR(-EFAULT);
	else
		page = get_or_alloc_locked(inode, gfn);
	if (!IS_ERR(page))
		lock_page(page);
	filemap_invalidate_unlock_shared(inode->i_mapping);
	return page;
}

/**
 * kvmmem_pmap_get() - the resident frame at @gfn, if any
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 *
 * Lock-free: safe to call while copying to or from user memory, which may
 * fault on a kvmmem mapping itself.
 *
 * Return: the page with a reference, or NULL for a hole.
 */
struct page *kvmmem_pmap_get(struct inode *inode, pgoff_t gfn)
{
	struct xarray *frames = &KVMMEM_I(inode)->pmap.frames;
	struct page *page;

	rcu_read_lock();
	do {
		page = xa_load(frames, gfn);
		if (!page || !get_page_unless_zero(page))
			break;
		if (likely(xa_load(frames, gfn) == page))
			break;
		put_page(page);
	} while (1);
	rcu_read_unlock();
	return page;
}

/**
 * kvmmem_pmap_owns() - is @page still the frame at @gfn?
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 * @page: a page the caller has locked
 *
 * Removal erases entries under the page lock, so the answer holds for as
 * long as the caller keeps @page locked.
 *
 * Return: true if the pmap maps @gfn to @page.
 */
bool kvmmem_pmap_owns(struct inode *inode, pgoff_t gfn, struct page *page)
{
	return xa_load(&KVMMEM_I(inode)->pmap.frames, gfn) == page;
}

/**
 * kvmmem_pmap_remove() - free the frames of guest pages [@first, @end)
 * @inode: a kvmmem regular file
 * @first: first guest frame number
 * @end: one past the last, or ULONG_MAX for "to the end"
 *
 * Unmaps the range from every process (which makes KVM drop its secondary
 * PTEs through the MMU notifier) and gives the pages back to the host.
 * The caller holds i_rwsem.
 *
 * Return: the number of frames removed.
 */
unsigned long kvmmem_pmap_remove(struct inode *inode, pgoff_t first,
				 pgoff_t end)
{
	struct xarray *frames = &KVMMEM_I(inode)->pmap.frames;
	struct address_space *mapping = inode->i_mapping;
	unsigned long removed = 0;
	struct page *page;
	pgoff_t gfn;

	filemap_invalidate_lock(mapping);
	xa_for_each_range(frames, gfn, page, first, end - 1) {
		lock_page(page);
		xa_erase(frames, gfn);
		unlock_page(page);
		/* Mappings hold their own references until the unmap below. */
		put_page(page);
		removed++;
		cond_resched();
	}
	if (removed)
		unmap_mapping_pages(mapping, first, end - first, true);
	filemap_invalidate_unlock(mapping);
	release_frames(inode, removed);
	return removed;
}

/**
 * kvmmem_pmap_destroy() - free every frame of an inode being evicted
 * @inode: a kvmmem regular file with no mappings and no users left
 */
void kvmmem_pmap_destroy(struct inode *inode)
{
	struct xarray *frames = &KVMMEM_I(inode)->pmap.frames;
	unsigned long freed = 0;
	struct page *page;
	pgoff_t gfn;

	xa_for_each(frames, gfn, page) {
		put_page(page);
		freed++;
		cond_resched();
	}
	xa_destroy(frames);
	release_frames(inode, freed);
}
