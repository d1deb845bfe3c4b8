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
 * Frame descriptor: a slot holds a struct page pointer.  Untagged, the
 * page is the file's private frame; tagged KVMMEM_TAG_SHARED, it is a
 * read-only frame shared with other guest pages (share.c).  A page the
 * scanner found all zero becomes the zero entry, a value entry that holds
 * no page.  A page that the guest gave back (punch hole: its balloon or
 * free page reporting) becomes a released entry, another value entry,
 * which remembers how it went until the guest writes the page again.  An
 * empty slot is a hole.  All of them read as zeros.  A page paged out to
 * the mount's backing store is a swap entry, a value entry holding its
 * slot (paging.c), read back at the next fault, read or write.
 *
 * References: every entry that holds a page holds one reference on it;
 * every PTE that maps the page holds its own (taken by the core when our
 * fault hands the page back), as does get_user_pages (KVM).  A page whose
 * entry goes away lives on until its last mapping is zapped.
 *
 * Zeros: a read fault on a hole or a value entry maps the zero frame, one
 * page of the module's, and allocates nothing: reading guest memory (a
 * migration, a dump) must not re-grow what ballooning freed.  No entry
 * holds a reference on the zero frame, so its count is one plus the PTEs
 * that map it (and GUP's passing ones), bounded by page-table memory that
 * the mappers' memory cgroups pay for, however many zero pages there are.
 * The first write gives the gfn a private frame and zaps every PTE of the
 * gfn.  A hole has no slot to remember that zeros were mapped there, so
 * the 2 MiB chunks in which that happened are kept in zero_mapped; filling
 * a hole outside them needs no unmap (and costs KVM no retried fault).
 *
 * Rules for changing an entry, which every path follows:
 *  - a hole or a value entry is filled with xa_cmpxchg() under
 *    invalidate_lock held shared, and then unmapped (kvmmem_pmap_map_zero()
 *    maps zeros with no page lock);
 *  - an entry is replaced (merge, copy-on-write) under invalidate_lock
 *    held shared, by whoever holds the lock of the page it points to and
 *    has re-read it since taking that lock;
 *  - an entry is removed (truncate, punch hole, eviction) under
 *    invalidate_lock held exclusive, with its page locked if it has one.
 * A fault returns its page locked and the core keeps it locked until the
 * PTE is in place, so whoever changes an entry afterwards and unmaps the
 * gfn zaps that PTE.
 *
 * Lock order, outermost first: i_rwsem (write, truncate, fallocate);
 * mmap_lock; invalidate_lock; the page lock (of at most one page, except
 * in the scanner, the only task that holds two); the content table mutex
 * (frametab.c); the xarray's spinlock.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>

#include "alloc.h"
#include "budget.h"
#include "fs.h"
#include "paging.h"
#include "share.h"
#include "stats.h"
#include "swap.h"
#include "trace.h"

/* zero_mapped granule: 2 MiB of guest pages per remembered chunk. */
#define ZERO_MAP_SHIFT		(21 - PAGE_SHIFT)

static struct page *zero_frame;

/**
 * kvmmem_pmap_setup() - allocate the zero frame
 *
 * Return: 0 or -ENOMEM.
 */
int kvmmem_pmap_setup(void)
{
	zero_frame = alloc_page(GFP_KERNEL | __GFP_ZERO);
	return zero_frame ? 0 : -ENOMEM;
}

/**
 * kvmmem_pmap_teardown() - free it; no file may exist any more
 */
void kvmmem_pmap_teardown(void)
{
	__free_page(zero_frame);
}

/**
 * kvmmem_pmap_zero_frame_refs() - the zero frame's page count
 *
 * Return: one, plus the PTEs mapping it and GUP references in flight.
 */
int kvmmem_pmap_zero_frame_refs(void)
{
	return page_count(zero_frame);
}

/**
 * kvmmem_pmap_init() - set up an empty pmap
 * @pmap: the pmap of a new inode
 */
void kvmmem_pmap_init(struct kvmmem_pmap *pmap)
{
	/* nodes are the VM's: charged to the memcg of whoever faults them in */
	xa_init_flags(&pmap->frames, XA_FLAGS_ACCOUNT);
	xa_init_flags(&pmap->zero_mapped, XA_FLAGS_ACCOUNT);
	atomic_long_set(&pmap->resident, 0);
	atomic_long_set(&pmap->sharing, 0);
	atomic_long_set(&pmap->zero, 0);
	atomic_long_set(&pmap->ballooned, 0);
	atomic_long_set(&pmap->reported, 0);
	atomic_long_set(&pmap->swapped, 0);
}

static struct xarray *frames_of(struct inode *inode)
{
	return &KVMMEM_I(inode)->pmap.frames;
}

static void account_entries(struct inode *inode, long n)
{
	atomic_long_add(n, &KVMMEM_I(inode)->pmap.resident);
	if (n > 0)
		inode_add_bytes(inode, n << PAGE_SHIFT);
	else
		inode_sub_bytes(inode, -n << PAGE_SHIFT);
}

/* @n more (or fewer) value entries of kind @value in @inode's pmap. */
static void account_value(struct inode *inode, enum kvmmem_value value, long n)
{
	struct kvmmem_pmap *pmap = &KVMMEM_I(inode)->pmap;

	switch (value) {
	case KVMMEM_VALUE_ZERO:
		atomic_long_add(n, &pmap->zero);
		atomic_long_add(n, &kvmmem_zero_pages);
		break;
	case KVMMEM_VALUE_BALLOONED:
		atomic_long_add(n, &pmap->ballooned);
		atomic_long_add(n, &kvmmem_pages_ballooned);
		if (n > 0)
			kvmmem_count(KVMMEM_EV_PAGES_BALLOONED, n);
		break;
	case KVMMEM_VALUE_REPORTED:
		atomic_long_add(n, &pmap->reported);
		atomic_long_add(n, &kvmmem_pages_reported);
		if (n > 0)
			kvmmem_count(KVMMEM_EV_PAGES_REPORTED, n);
		break;
	case KVMMEM_VALUE_SWAPPED:
		atomic_long_add(n, &pmap->swapped);
		break;
	}
}

static bool zero_maybe_mapped(struct inode *inode, pgoff_t gfn)
{
	return xa_load(&KVMMEM_I(inode)->pmap.zero_mapped,
		       gfn >> ZERO_MAP_SHIFT);
}

/*
 * The guest takes back a page it released: count it, by how it went.
 * Truncating a released entry does not count.
 */
static void count_taken_back(struct inode *inode, void *old)
{
	account_value(inode, kvmmem_entry_kind(old), -1);
	kvmmem_count(kvmmem_entry_kind(old) == KVMMEM_VALUE_BALLOONED ?
		     KVMMEM_EV_PAGES_UNBALLOONED :
		     KVMMEM_EV_PAGES_REPORTED_REUSED, 1);
}

/*
 * A new private frame in place of the hole or value entry @old at @gfn.
 * Caller holds invalidate_lock shared.  Returns the frame locked, with a
 * reference for the caller; ERR_PTR(-EAGAIN) if the entry is no longer
 * @old, -ENOSPC, -ENOMEM.
 */
static struct page *fill(struct inode *inode, pgoff_t gfn, void *old)
{
	struct page *page, *cur;

	lockdep_assert_held_read(&inode->i_mapping->invalidate_lock);
	page = kvmmem_budget_alloc_frame(inode);
	if (IS_ERR(page))
		return page;
	/* Locked, with the caller's reference, before anyone can find it. */
	lock_page(page);
	get_page(page);
	cur = xa_cmpxchg(frames_of(inode), gfn, old, page, GFP_KERNEL_ACCOUNT);
	if (cur != old) {
		unlock_page(page);
		kvmmem_budget_frame_freed(inode, page);	/* nobody saw it */
		put_page(page);
		__free_page(page);
		return ERR_PTR(xa_is_err(cur) ? xa_err(cur) : -EAGAIN);
	}
	if (kvmmem_entry_is_zero(old)) {
		account_value(inode, KVMMEM_VALUE_ZERO, -1);
		kvmmem_count(KVMMEM_EV_COW_BREAKS, 1);
		trace_kvmmem_cow_break(inode->i_ino, gfn,
				       page_to_pfn(zero_frame),
				       page_to_pfn(page));
	} else {
		if (old)
			count_taken_back(inode, old);
		account_entries(inode, 1);
	}
	/*
	 * The entry before the look at zero_mapped, as kvmmem_pmap_map_zero()
	 * marks zero_mapped before it maps and re-reads the entry after: one
	 * of us sees the other, and the zero PTE goes.
	 */
	smp_mb();
	if (old || zero_maybe_mapped(inode, gfn))
		unmap_mapping_pages(inode->i_mapping, gfn, 1, false);
	return page;
}

/*
 * Caller holds invalidate_lock shared.  With KVMMEM_PMAP_WRITE: a private
 * frame for @gfn, filling a hole or value entry and breaking sharing; with
 * KVMMEM_PMAP_FILL, the frame @gfn holds, filling a hole or value entry;
 * with neither, the frame @gfn holds or ERR_PTR(-ENOENT) if it holds none.
 * Locked and ref'd.
 */
static struct page *lock_locked(struct inode *inode, pgoff_t gfn,
				unsigned int flags)
{
	struct page *page, *copy;
	void *entry;

	lockdep_assert_held_read(&inode->i_mapping->invalidate_lock);
	for (;;) {
		entry = xa_load(frames_of(inode), gfn);
		if (kvmmem_entry_is_swap(entry)) {
			page = kvmmem_paging_swap_in(inode, gfn, entry);
			if (page == ERR_PTR(-EAGAIN))
				continue;
			if (!IS_ERR(page) && (flags & KVMMEM_PMAP_WRITE))
				kvmmem_paging_drop_copy(inode, gfn, page);
			return page;
		}
		if (!kvmmem_entry_page(entry)) {
			if (!(flags & (KVMMEM_PMAP_WRITE | KVMMEM_PMAP_FILL)))
				return ERR_PTR(-ENOENT);
			page = fill(inode, gfn, entry);
			if (page == ERR_PTR(-EAGAIN))
				continue;
			return page;
		}
		/*
		 * Merges and copy-on-write replace entries, and drop the old
		 * page, under the shared lock we hold: take the reference the
		 * lock-free way.
		 */
		page = kvmmem_pmap_get(inode, gfn);
		if (!page)
			continue;
		lock_page(page);
		entry = xa_load(frames_of(inode), gfn);
		if (kvmmem_entry_page(entry) != page) {
			unlock_page(page);
			put_page(page);
			continue;
		}
		if (!kvmmem_entry_is_shared(entry)) {
			if (flags & KVMMEM_PMAP_WRITE)
				kvmmem_paging_drop_copy(inode, gfn, page);
			return page;
		}
		if (!(flags & KVMMEM_PMAP_WRITE))
			return page;
		copy = kvmmem_share_break(inode, gfn, page);
		if (copy != page) {
			unlock_page(page);
			put_page(page);
		}
		return copy;
	}
}

/**
 * kvmmem_pmap_lock_page() - the frame at @gfn, locked
 * @inode: a kvmmem regular file
 * @gfn: guest frame number (page offset in the file)
 * @flags: KVMMEM_PMAP_EOF to refuse @gfn past the end of file;
 *	KVMMEM_PMAP_WRITE for a private frame (copy-on-write if shared);
 *	KVMMEM_PMAP_FILL for a frame, shared or not
 *
 * For a write or a fill, a hole or value entry is filled with a new zeroed
 * frame; without either, it gets -ENOENT (a read fault, after
 * kvmmem_pmap_map_zero() found a frame that went since).  The caller may
 * keep the page locked while a PTE is installed, or unlock it and keep the
 * reference while copying into it: the scanner does not merge a page with
 * extra references.
 *
 * Return: the page, locked, with a reference; or ERR_PTR: -EFAULT past
 * EOF, -ENOENT, -ENOSPC when the mount is full, -ENOMEM.
 */
struct page *kvmmem_pmap_lock_page(struct inode *inode, pgoff_t gfn,
				   unsigned int flags)
{
	struct page *page;

	filemap_invalidate_lock_shared(inode->i_mapping);
	if ((flags & KVMMEM_PMAP_EOF) &&
	    gfn >= DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE))
		page = ERR_PTR(-EFAULT);
	else
		page = lock_locked(inode, gfn, flags);
	filemap_invalidate_unlock_shared(inode->i_mapping);
	return page;
}

/**
 * kvmmem_pmap_map_zero() - map zeros at a read fault on a hole or value entry
 * @vma: the faulting mapping of @inode
 * @addr: the faulting address
 * @inode: a kvmmem regular file
 * @gfn: guest frame number of the fault
 *
 * Installs a read-only PTE of the zero frame without taking a frame or an
 * entry.  Nothing locks the zero frame, so a fill that races with us is
 * caught afterwards: whichever of the two looks last zaps the PTE (see
 * fill()).
 *
 * Return: 0 when the fault is done (zeros mapped, or the PTE was found
 * stale and zapped: either way the access is retried); -ENOENT when @gfn
 * holds a frame or is swapped out; -EFAULT past EOF; -ENOMEM.
 */
int kvmmem_pmap_map_zero(struct vm_area_struct *vma, unsigned long addr,
			 struct inode *inode, pgoff_t gfn)
{
	struct xarray *zero_mapped = &KVMMEM_I(inode)->pmap.zero_mapped;
	void *entry;
	int err;

	filemap_invalidate_lock_shared(inode->i_mapping);
	err = -EFAULT;
	if (gfn >= DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE))
		goto out;
	err = -ENOENT;
	entry = xa_load(frames_of(inode), gfn);
	if (kvmmem_entry_page(entry) || kvmmem_entry_is_swap(entry))
		goto out;
	if (!entry && !zero_maybe_mapped(inode, gfn)) {
		err = xa_err(xa_store(zero_mapped, gfn >> ZERO_MAP_SHIFT,
				      xa_mk_value(1), GFP_KERNEL_ACCOUNT));
		if (err)
			goto out;
		/* zero_mapped before the PTE: pairs with fill() */
		smp_mb();
	}
	err = vm_insert_page(vma, addr & PAGE_MASK, zero_frame);
	if (err == -EBUSY)	/* another thread's fault mapped it first */
		err = 0;
	if (err)
		goto out;
	/* The PTE before the second look: pairs with fill() */
	smp_mb();
	if (xa_load(frames_of(inode), gfn) != entry)
		unmap_mapping_pages(inode->i_mapping, gfn, 1, false);
out:
	filemap_invalidate_unlock_shared(inode->i_mapping);
	return err;
}

/**
 * kvmmem_pmap_mkwrite() - make @page at @gfn writable for a write fault
 * @inode: a kvmmem regular file
 * @gfn: guest frame number of the fault
 * @page: the page the faulting PTE maps
 *
 * Return: 0 with @page locked when it may be written in place; -EAGAIN
 * when the PTE is stale or the write went to a new private frame (the PTE
 * has been zapped; the fault must be retried); -ENOSPC or -ENOMEM when no
 * frame could be had.
 */
int kvmmem_pmap_mkwrite(struct inode *inode, pgoff_t gfn, struct page *page)
{
	struct page *copy = NULL;
	void *entry;
	int err = -EAGAIN;

	filemap_invalidate_lock_shared(inode->i_mapping);
	if (page == zero_frame) {
		/* zeros mapped by a read fault: the gfn needs a frame */
		copy = lock_locked(inode, gfn, KVMMEM_PMAP_WRITE);
		goto out;
	}
	lock_page(page);
	entry = xa_load(frames_of(inode), gfn);
	if (kvmmem_entry_page(entry) != page) {
		unlock_page(page);
		goto out;
	}
	if (!kvmmem_entry_is_shared(entry)) {
		/* its first write since it was read back: the slot is stale */
		kvmmem_paging_drop_copy(inode, gfn, page);
		err = 0;
		goto out;
	}
	copy = kvmmem_share_break(inode, gfn, page);
	if (copy == page) {
		err = 0;
		goto out;
	}
	unlock_page(page);
out:
	filemap_invalidate_unlock_shared(inode->i_mapping);
	if (IS_ERR(copy))
		return PTR_ERR(copy);
	if (copy && copy != page) {
		unlock_page(copy);
		put_page(copy);
	}
	/*
	 * Whoever replaced the entry zapped the PTE, but a stale PTE that
	 * survived would make this fault retry forever: zap it here too.
	 */
	if (err)
		unmap_mapping_pages(inode->i_mapping, gfn, 1, false);
	return err;
}

/**
 * kvmmem_pmap_get() - the frame at @gfn, if any, for reading
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 *
 * Lock-free: safe to call while copying to or from user memory, which may
 * fault on a kvmmem mapping itself.
 *
 * Return: the page (private or shared) with a reference, or NULL.
 */
struct page *kvmmem_pmap_get(struct inode *inode, pgoff_t gfn)
{
	struct page *page;
	void *entry;

	rcu_read_lock();
	do {
		entry = xa_load(frames_of(inode), gfn);
		page = kvmmem_entry_page(entry);
		if (!page)
			break;
		/* Being freed: its entry has been replaced, look again. */
		if (!get_page_unless_zero(page))
			continue;
		if (likely(xa_load(frames_of(inode), gfn) == entry))
			break;
		put_page(page);
	} while (1);
	rcu_read_unlock();
	return page;
}

/**
 * kvmmem_pmap_get_private() - the private frame at @gfn, if any
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 *
 * Return: the page with a reference, or NULL for a hole, a value entry or
 * a shared frame.
 */
struct page *kvmmem_pmap_get_private(struct inode *inode, pgoff_t gfn)
{
	void *entry = xa_load(frames_of(inode), gfn);

	if (!entry || kvmmem_entry_is_shared(entry))
		return NULL;
	return kvmmem_pmap_get(inode, gfn);
}

/**
 * kvmmem_pmap_resident() - guest pages with an entry
 * @inode: a kvmmem regular file
 *
 * Return: private, shared and zero entries.
 */
unsigned long kvmmem_pmap_resident(struct inode *inode)
{
	return atomic_long_read(&KVMMEM_I(inode)->pmap.resident);
}

/**
 * kvmmem_pmap_private() - guest pages with a frame of their own
 * @inode: a kvmmem regular file
 *
 * Return: entries that are neither shared nor zero (a moment's view).
 */
unsigned long kvmmem_pmap_private(struct inode *inode)
{
	struct kvmmem_pmap *pmap = &KVMMEM_I(inode)->pmap;
	long n = atomic_long_read(&pmap->resident) -
		 atomic_long_read(&pmap->sharing) - atomic_long_read(&pmap->zero);

	return n > 0 ? n : 0;
}

/**
 * kvmmem_pmap_next_marked() - the first gfn in [*@gfn, @last] with @mark
 * @inode: a kvmmem regular file
 * @gfn: where to start; set to the gfn found
 * @last: the last gfn to look at
 * @mark: KVMMEM_SAMPLED, KVMMEM_CLEAN, or XA_PRESENT for any entry
 *
 * Skips holes in time that follows the entries, not the range.
 *
 * Return: true if one was found.
 */
bool kvmmem_pmap_next_marked(struct inode *inode, pgoff_t *gfn, pgoff_t last,
			     xa_mark_t mark)
{
	unsigned long index = *gfn;

	if (!xa_find(frames_of(inode), &index, last, mark))
		return false;
	*gfn = index;
	return true;
}

/**
 * kvmmem_pmap_next_entry() - the first gfn in [*@gfn, @last] with an entry
 * @inode: a kvmmem regular file
 * @gfn: where to start; set to the gfn found
 * @last: the last gfn to look at
 *
 * Return: true if one was found.
 */
bool kvmmem_pmap_next_entry(struct inode *inode, pgoff_t *gfn, pgoff_t last)
{
	return kvmmem_pmap_next_marked(inode, gfn, last, XA_PRESENT);
}

/**
 * kvmmem_pmap_entry() - the raw entry at @gfn
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 *
 * Return: the entry; stable while the caller holds its page's lock.
 */
void *kvmmem_pmap_entry(struct inode *inode, pgoff_t gfn)
{
	return xa_load(frames_of(inode), gfn);
}

/**
 * kvmmem_pmap_replace() - point an existing entry at another frame
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 * @entry: the new entry
 *
 * Caller follows the replacement rule (see DOC) and moves the references.
 */
void kvmmem_pmap_replace(struct inode *inode, pgoff_t gfn, void *entry)
{
	/* Overwriting a present slot allocates nothing: it cannot fail. */
	xa_store(frames_of(inode), gfn, entry, GFP_NOWAIT);
}

/**
 * kvmmem_pmap_keep_slot() - the private frame at @gfn still holds @slot's
 *	contents
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 * @page: its private frame, locked by the caller, no slot kept yet
 * @slot: the slot of the mount's store it was read back from
 *
 * The slot goes in the frame's page->private (slot + 1), the one field a
 * private frame leaves free (a shared frame's descriptor lives there),
 * and the entry gets the KVMMEM_CLEAN_NEW mark, so that paging finds such
 * frames first, once they are older than the ones read back before them
 * (kvmmem_pmap_age_clean()).  Both change only under the page lock.
 */
void kvmmem_pmap_keep_slot(struct inode *inode, pgoff_t gfn,
			   struct page *page, unsigned long slot)
{
	VM_WARN_ON_ONCE_PAGE(!PageLocked(page), page);
	VM_WARN_ON_ONCE_PAGE(page_private(page), page);
	set_page_private(page, slot + 1);
	xa_set_mark(frames_of(inode), gfn, KVMMEM_CLEAN_NEW);
}

/**
 * kvmmem_pmap_age_clean() - the frames read back lately become old
 * @inode: a kvmmem regular file
 *
 * Every entry marked KVMMEM_CLEAN_NEW is marked KVMMEM_CLEAN instead.
 * Each index changes under the xarray's lock, which the marks' other
 * writers (kvmmem_pmap_keep_slot(), kvmmem_pmap_take_slot()) take too, so
 * a slot taken meanwhile leaves no mark behind.
 */
void kvmmem_pmap_age_clean(struct inode *inode)
{
	XA_STATE(xas, frames_of(inode), 0);
	unsigned int n = 0;
	void *entry;

	xas_lock(&xas);
	xas_for_each_marked(&xas, entry, ULONG_MAX, KVMMEM_CLEAN_NEW) {
		xas_clear_mark(&xas, KVMMEM_CLEAN_NEW);
		xas_set_mark(&xas, KVMMEM_CLEAN);
		if (++n % XA_CHECK_SCHED)
			continue;
		xas_pause(&xas);
		xas_unlock(&xas);
		cond_resched();
		xas_lock(&xas);
	}
	xas_unlock(&xas);
}

/**
 * kvmmem_pmap_take_slot() - forget the slot a private frame kept
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 * @page: its private frame (or the one it was until a moment ago), locked
 *
 * The mark stays with the index when an entry is replaced, so it is
 * cleared here, whatever the entry is now.
 *
 * Return: the slot plus one, for the caller to free or hand over; 0 if
 * the frame kept none.
 */
unsigned long kvmmem_pmap_take_slot(struct inode *inode, pgoff_t gfn,
				    struct page *page)
{
	unsigned long kept = page_private(page);

	VM_WARN_ON_ONCE_PAGE(!PageLocked(page), page);
	if (kept) {
		set_page_private(page, 0);
		xa_clear_mark(frames_of(inode), gfn, KVMMEM_CLEAN_NEW);
		xa_clear_mark(frames_of(inode), gfn, KVMMEM_CLEAN);
	}
	return kept;
}

/**
 * kvmmem_pmap_set_zero() - the private frame at @gfn is all zeros: drop it
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 *
 * The entry becomes the zero entry.  Caller follows the replacement rule
 * (see DOC), has unmapped the frame and frees it.
 */
void kvmmem_pmap_set_zero(struct inode *inode, pgoff_t gfn)
{
	kvmmem_pmap_replace(inode, gfn, kvmmem_entry_zero());
	account_value(inode, KVMMEM_VALUE_ZERO, 1);
}

/*
 * Put @with (NULL to erase, or a released entry) in place of @entry at
 * @gfn and let its frame go.  A shared frame's sharer count changes only
 * under its page lock, so the page is unlocked after kvmmem_share_drop().
 * Returns true if @entry was resident (a frame or the zero entry).
 */
static bool drop_entry(struct inode *inode, pgoff_t gfn, void *entry,
		       void *with)
{
	struct page *page = kvmmem_entry_page(entry);
	bool last;

	/* Overwriting a present slot, or erasing, allocates nothing. */
	if (!page) {
		xa_store(frames_of(inode), gfn, with, GFP_NOWAIT);
		account_value(inode, kvmmem_entry_kind(entry), -1);
		if (kvmmem_entry_is_swap(entry))
			kvmmem_swap_free(KVMMEM_SB(inode->i_sb)->swap,
					 kvmmem_entry_swap_slot(entry), 1);
	} else {
		lock_page(page);
		xa_store(frames_of(inode), gfn, with, GFP_NOWAIT);
		if (!kvmmem_entry_is_shared(entry))
			kvmmem_paging_drop_copy(inode, gfn, page);
		last = !kvmmem_entry_is_shared(entry) ||
		       kvmmem_share_drop(inode, page);
		unlock_page(page);
		/* Mappings hold their own references until they are zapped. */
		if (last)
			kvmmem_budget_frame_release(inode, page);
		else
			put_page(page);
	}
	if (with)
		account_value(inode, kvmmem_entry_kind(with), 1);
	return kvmmem_entry_is_resident(entry);
}

/*
 * Replace every entry in [@first, @end) by @with (see drop_entry()) and
 * unmap the range.  Returns the resident entries replaced.
 */
static unsigned long drop_range(struct inode *inode, pgoff_t first,
				pgoff_t end, void *with)
{
	struct address_space *mapping = inode->i_mapping;
	unsigned long dropped = 0;
	bool found = false;
	pgoff_t gfn;
	void *entry;

	lockdep_assert_held_write(&inode->i_rwsem);
	filemap_invalidate_lock(mapping);
	/*
	 * PTEs before entries, so that no PTE outlives its entry.  A fault
	 * that found its page before we took the lock may still install a
	 * PTE until we lock that page: the second pass below zaps those
	 * (meanwhile their reference keeps a shared frame from being
	 * reused in place, see kvmmem_share_break()).
	 */
	unmap_mapping_pages(mapping, first, end - first, true);
	xa_for_each_range(frames_of(inode), gfn, entry, first, end - 1) {
		if (entry != with)
			dropped += drop_entry(inode, gfn, entry, with);
		found = true;
		cond_resched();
	}
	if (found)
		unmap_mapping_pages(mapping, first, end - first, true);
	filemap_invalidate_unlock(mapping);
	account_entries(inode, -(long)dropped);
	return dropped;
}

/**
 * kvmmem_pmap_remove() - free the frames of guest pages [@first, @end)
 * @inode: a kvmmem regular file
 * @first: first guest frame number
 * @end: one past the last, or ULONG_MAX for "to the end"
 *
 * Unmaps the range from every process (which makes KVM drop its secondary
 * PTEs through the MMU notifier), gives the pages back to the host and
 * leaves holes.  The caller holds i_rwsem.
 *
 * Return: the number of resident entries removed.
 */
unsigned long kvmmem_pmap_remove(struct inode *inode, pgoff_t first,
				 pgoff_t end)
{
	return drop_range(inode, first, end, NULL);
}

/**
 * kvmmem_pmap_release() - the guest gave guest pages [@first, @end) back
 * @inode: a kvmmem regular file
 * @first: first guest frame number
 * @end: one past the last
 * @how: KVMMEM_VALUE_BALLOONED or KVMMEM_VALUE_REPORTED
 *
 * As kvmmem_pmap_remove(), but every entry becomes a released entry of
 * kind @how, which reads as zeros and holds no frame, so that the guest's
 * next write to the page counts as taking it back.  Holes stay holes:
 * they held nothing to give back, and marking them would grow the pmap.
 * The caller holds i_rwsem.
 *
 * Return: the number of resident entries released.
 */
unsigned long kvmmem_pmap_release(struct inode *inode, pgoff_t first,
				  pgoff_t end, enum kvmmem_value how)
{
	return drop_range(inode, first, end, kvmmem_entry_value(how));
}

/**
 * kvmmem_pmap_swapped_out() - a frame was written to a slot: let it go
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 * @page: the private frame at @gfn, locked, unmapped, with the caller's
 *	reference; unlocked and released here
 * @slot: the slot of the backing store that holds its contents
 *
 * Caller follows the replacement rule (see DOC).
 */
void kvmmem_pmap_swapped_out(struct inode *inode, pgoff_t gfn,
			     struct page *page, unsigned long slot)
{
	lockdep_assert_held_read(&inode->i_mapping->invalidate_lock);
	VM_WARN_ON_ONCE_PAGE(!PageLocked(page), page);
	/* its own slot, if it kept one, was handed over as @slot */
	VM_WARN_ON_ONCE_PAGE(page_private(page), page);
	kvmmem_pmap_replace(inode, gfn, kvmmem_entry_swap(slot));
	account_entries(inode, -1);
	account_value(inode, KVMMEM_VALUE_SWAPPED, 1);
	unlock_page(page);
	put_page(page);
	kvmmem_budget_frame_release(inode, page);
}

/**
 * kvmmem_pmap_shared_out() - a sharer of @frame now reads it from @slot
 * @inode: a kvmmem regular file
 * @gfn: guest frame number whose entry maps the shared @frame
 * @frame: the frame, locked by the caller, its PTEs of @gfn zapped
 * @slot: the slot holding its contents, referenced for this entry
 *	(kvmmem_share_swap_slot())
 *
 * The entry becomes @slot's swap entry and lets go of @frame, which goes
 * with its last sharer.  Unlocks @frame and drops the caller's reference
 * to it.  Caller holds invalidate_lock shared.
 */
void kvmmem_pmap_shared_out(struct inode *inode, pgoff_t gfn,
			    struct page *frame, unsigned long slot)
{
	bool last;

	lockdep_assert_held_read(&inode->i_mapping->invalidate_lock);
	VM_WARN_ON_ONCE_PAGE(!PageLocked(frame), frame);
	kvmmem_pmap_replace(inode, gfn, kvmmem_entry_swap(slot));
	account_entries(inode, -1);
	account_value(inode, KVMMEM_VALUE_SWAPPED, 1);
	last = kvmmem_share_drop(inode, frame);
	unlock_page(frame);
	put_page(frame);	/* the caller's reference */
	if (last)
		kvmmem_budget_frame_release(inode, frame);
	else
		put_page(frame);
}

/**
 * kvmmem_pmap_sharing() - entries of @inode mapping a shared frame
 * @inode: a kvmmem regular file
 *
 * Return: their number (a moment's view).
 */
unsigned long kvmmem_pmap_sharing(struct inode *inode)
{
	return atomic_long_read(&KVMMEM_I(inode)->pmap.sharing);
}

/**
 * kvmmem_pmap_swapped_in() - a slot was read into a new frame: map it
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 * @old: the swap entry the slot came from
 * @page: the new frame, locked, seen by nobody yet
 *
 * Filled as a hole is (see DOC), under invalidate_lock held shared.
 *
 * Return: true if @page is the entry now; false if the entry is no
 * longer @old (the caller frees @page) or no memory for the xarray.
 */
bool kvmmem_pmap_swapped_in(struct inode *inode, pgoff_t gfn, void *old,
			    struct page *page)
{
	lockdep_assert_held_read(&inode->i_mapping->invalidate_lock);
	if (xa_cmpxchg(frames_of(inode), gfn, old, page, GFP_KERNEL_ACCOUNT) != old)
		return false;
	account_value(inode, KVMMEM_VALUE_SWAPPED, -1);
	account_entries(inode, 1);
	return true;
}

/**
 * kvmmem_pmap_released() - guest pages released and not taken back
 * @inode: a kvmmem regular file
 * @how: KVMMEM_VALUE_BALLOONED or KVMMEM_VALUE_REPORTED
 *
 * Return: the number of released entries of that kind.
 */
unsigned long kvmmem_pmap_released(struct inode *inode, enum kvmmem_value how)
{
	struct kvmmem_pmap *pmap = &KVMMEM_I(inode)->pmap;

	return atomic_long_read(how == KVMMEM_VALUE_BALLOONED ?
				&pmap->ballooned : &pmap->reported);
}

/**
 * kvmmem_pmap_destroy() - free every frame of an inode being evicted
 * @inode: a kvmmem regular file with no mappings and no users left
 */
void kvmmem_pmap_destroy(struct inode *inode)
{
	struct xarray *frames = frames_of(inode);
	unsigned long freed = 0;
	pgoff_t gfn;
	void *entry;

	/* Shared frames are still reachable through other files. */
	xa_for_each(frames, gfn, entry) {
		freed += drop_entry(inode, gfn, entry, NULL);
		cond_resched();
	}
	xa_destroy(frames);
	xa_destroy(&KVMMEM_I(inode)->pmap.zero_mapped);
	account_entries(inode, -(long)freed);
}
