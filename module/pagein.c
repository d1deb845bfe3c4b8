// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: pagein - paged-out pages read back, and the copies they keep
 *
 * A guest page paged out (paging.c) comes back at the next fault, read or
 * write that needs it: kvmmem_paging_swap_in() reads its slot into a new
 * frame, with the pages after it whose slots follow (paged out together)
 * when the faults look sequential; kvmmem_paging_read_copy() serves a
 * pread from the store without taking a frame of the mount's.
 *
 * A page read back keeps its slot until it is written (the kernel's swap
 * cache does the same for anonymous memory): paging it out again then
 * needs no write, which is what a sequential reader of more than the
 * mount holds, or a migration reading paged-out guest memory, does to
 * every page.  pmap.c keeps the slot with the frame, under its page lock
 * (kvmmem_pmap_keep_slot(); a frame becomes shared only after dropping
 * it).  Every path that writes a private frame in place or lets it go
 * calls kvmmem_paging_drop_copy() first: page_mkwrite (each first write
 * through a mapping, KVM's and GUP's included), a write or fill through
 * kvmmem_pmap_lock_page(KVMMEM_PMAP_WRITE), a punch hole or truncate, a
 * merge and a remap.  A page is read back with its slot kept only while
 * the store is less than half full, so that copies never crowd out
 * page-outs.
 *
 * Locking: as for a fault: invalidate_lock shared, then the new frame's
 * page lock, which nobody else can hold before the entry points at it.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "budget.h"
#include "fs.h"
#include "paging.h"
#include "pmap.h"
#include "stats.h"
#include "swap.h"
#include "trace.h"

/* Pages read ahead of a swap-in fault, at most. */
#define MAX_READAHEAD		32

unsigned int kvmmem_swap_readahead = 16;

/* @n more (or fewer) of @inode's pages keep their slot. */
static void cached_add(struct inode *inode, long n)
{
	atomic_long_add(n, &KVMMEM_I(inode)->paging.cached);
	atomic_long_add(n, &kvmmem_swap_cached);
}

/**
 * kvmmem_paging_take_copy() - @page no longer keeps its slot
 * @inode: the kvmmem file whose private frame @page is
 * @gfn: the guest frame number it backs
 * @page: the frame, locked
 *
 * Return: one more than the slot it kept (the caller's now), or 0.
 */
unsigned long kvmmem_paging_take_copy(struct inode *inode, pgoff_t gfn,
				      struct page *page)
{
	unsigned long slot = kvmmem_pmap_take_slot(inode, gfn, page);

	if (slot)
		cached_add(inode, -1);
	return slot;
}

/* Give back a frame of ours that was never published. */
static void drop_frame(struct inode *inode, struct page *page)
{
	unlock_page(page);
	kvmmem_budget_frame_freed(inode, page);
	put_page(page);
	__free_page(page);
}

/*
 * The pages after @gfn whose entries are swap entries of the slots after
 * @slot: they can come back in the same read.  Up to @max, each with a
 * frame taken only if the mount has room now.  Returns how many.
 */
static unsigned int readahead_frames(struct inode *inode, pgoff_t gfn,
				     unsigned long slot, struct page **pages,
				     void **entries, unsigned int max)
{
	pgoff_t end = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
	unsigned int n;

	for (n = 0; n < max && gfn + 1 + n < end; n++) {
		void *entry = kvmmem_pmap_entry(inode, gfn + 1 + n);

		if (!kvmmem_entry_is_swap(entry) ||
		    kvmmem_entry_swap_slot(entry) != slot + 1 + n)
			break;
		pages[n] = kvmmem_budget_try_alloc_frame(inode);
		if (!pages[n])
			break;
		lock_page(pages[n]);
		get_page(pages[n]);
		entries[n] = entry;
	}
	return n;
}

/*
 * What a read of @entry's slot for @gfn that returned @err proves: 0, the
 * page; -EAGAIN, nothing, if the entry changed meanwhile (a swap-in that
 * dirtied its page freed the slot, and a page-out may have reused it), or
 * on an error that is not @final (the slot may have been freed and reused
 * and the entry come back to the same slot); otherwise -EIO, counted.
 */
static int slot_read_result(struct inode *inode, pgoff_t gfn, void *entry,
			    int err, bool final)
{
	if (kvmmem_pmap_entry(inode, gfn) != entry)
		return -EAGAIN;
	if (!err)
		return 0;
	if (!final)
		return -EAGAIN;
	kvmmem_swap_count_error(KVMMEM_SB(inode->i_sb)->swap,
				kvmmem_entry_swap_slot(entry), err);
	atomic_long_inc(err == -EBADMSG ?
			&KVMMEM_I(inode)->paging.checksum_errors :
			&KVMMEM_I(inode)->paging.io_errors);
	return -EIO;
}

/*
 * Publish page @page read from @entry's slot at @gfn, if the entry is
 * still @entry and the page is right; returns 0, -EAGAIN or -EIO.  The
 * page keeps the slot (see DOC) if the store is less than half full.
 */
static int swapped_in(struct inode *inode, pgoff_t gfn, void *entry,
		      struct page *page, int err)
{
	struct kvmmem_swap *swap = KVMMEM_SB(inode->i_sb)->swap;
	unsigned long slot = kvmmem_entry_swap_slot(entry);
	bool keep = kvmmem_swap_roomy(swap);

	err = slot_read_result(inode, gfn, entry, err, true);
	if (!err && !kvmmem_pmap_swapped_in(inode, gfn, entry, page))
		err = -EAGAIN;
	trace_kvmmem_page_in(inode->i_ino, gfn, slot, err);
	if (err) {
		drop_frame(inode, page);
		return err;
	}
	/* still locked: nobody looks at its slot before it is set */
	if (keep) {
		kvmmem_pmap_keep_slot(inode, gfn, page, slot);
		cached_add(inode, 1);
	} else {
		kvmmem_swap_free(swap, slot, 1);
	}
	kvmmem_count(KVMMEM_EV_PAGES_SWAPPED_IN, 1);
	atomic_long_inc(&KVMMEM_I(inode)->paging.swapped_in);
	return 0;
}

/**
 * kvmmem_paging_drop_copy() - @page is about to change or go: free its slot
 * @inode: the kvmmem file whose private frame @page is
 * @gfn: the guest frame number it backs
 * @page: the frame, locked
 *
 * A page read back from the store keeps its slot while it stays as it was
 * read (see DOC); from its first write, or once it leaves the file, the
 * slot is stale.
 */
void kvmmem_paging_drop_copy(struct inode *inode, pgoff_t gfn,
			     struct page *page)
{
	unsigned long slot = kvmmem_paging_take_copy(inode, gfn, page);

	if (slot)
		kvmmem_swap_free(KVMMEM_SB(inode->i_sb)->swap, slot - 1, 1);
}

/**
 * kvmmem_paging_swap_in() - read a swapped-out page back
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 * @entry: its swap entry
 *
 * When the fault follows the file's last swap-in closely (a sequential
 * reader: the pages read ahead last time did not fault), reads up to
 * swap_readahead pages after it in the same I/O, if their slots follow
 * its slot (pages paged out together); those are published unmapped and
 * unlocked, and come back at their next touch without I/O.  A random
 * reader pays for no page it does not want.  Caller holds
 * invalidate_lock shared.
 *
 * Return: the new frame, locked, with a reference; ERR_PTR(-EAGAIN) if
 * the entry changed meanwhile; -EIO when the slot could not be read or
 * does not hold the page written there; -ENOSPC, -ENOMEM.
 */
struct page *kvmmem_paging_swap_in(struct inode *inode, pgoff_t gfn,
				   void *entry)
{
	struct kvmmem_swap *swap = KVMMEM_SB(inode->i_sb)->swap;
	unsigned long slot = kvmmem_entry_swap_slot(entry);
	unsigned int ra = min_t(unsigned int, READ_ONCE(kvmmem_swap_readahead),
				MAX_READAHEAD);
	struct page *pages[MAX_READAHEAD + 1];
	void *entries[MAX_READAHEAD + 1];
	int errs[MAX_READAHEAD + 1], err;
	unsigned int n, i;
	pgoff_t last;

	lockdep_assert_held_read(&inode->i_mapping->invalidate_lock);
	pages[0] = kvmmem_budget_alloc_frame(inode);
	if (IS_ERR(pages[0]))
		return pages[0];
	lock_page(pages[0]);
	get_page(pages[0]);
	entries[0] = entry;
	/* only for a fault just past the last one: a sequential reader */
	last = READ_ONCE(KVMMEM_I(inode)->paging.swap_in_last);
	WRITE_ONCE(KVMMEM_I(inode)->paging.swap_in_last, gfn);
	if (gfn <= last || gfn - last > ra + 1)
		ra = 0;
	n = 1 + readahead_frames(inode, gfn, slot, pages + 1, entries + 1, ra);
	kvmmem_swap_read(swap, slot, pages, n, errs);
	for (i = 1; i < n; i++) {
		if (swapped_in(inode, gfn + i, entries[i], pages[i], errs[i]))
			continue;
		kvmmem_count(KVMMEM_EV_SWAP_READAHEAD, 1);
		unlock_page(pages[i]);
		put_page(pages[i]);
	}
	err = swapped_in(inode, gfn, entry, pages[0], errs[0]);
	return err ? ERR_PTR(err) : pages[0];
}

/**
 * kvmmem_paging_read_copy() - a copy of a swapped-out page, left out
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 *
 * For pread: reading guest memory (a migration, a dump) needs no frame of
 * the mount's, so it works even when the mount and its store are full,
 * and leaves the page where it was.
 *
 * Return: a page of the kernel's (not the mount's) holding the contents,
 * with a reference; NULL if @gfn is no longer swapped out (look again);
 * ERR_PTR(-EIO) when the slot cannot be read or is not the page written
 * there; -ENOMEM.
 */
struct page *kvmmem_paging_read_copy(struct inode *inode, pgoff_t gfn)
{
	struct kvmmem_swap *swap = KVMMEM_SB(inode->i_sb)->swap;
	struct page *copy = alloc_page(GFP_KERNEL), *result = NULL;
	unsigned int tries;
	int err;

	if (!copy)
		return ERR_PTR(-ENOMEM);
	filemap_invalidate_lock_shared(inode->i_mapping);
	for (tries = 0; tries < 8; tries++) {
		void *entry = kvmmem_pmap_entry(inode, gfn);

		if (!kvmmem_entry_is_swap(entry))
			break;
		kvmmem_swap_read(swap, kvmmem_entry_swap_slot(entry), &copy, 1,
				 &err);
		err = slot_read_result(inode, gfn, entry, err, tries > 0);
		if (err == -EAGAIN)
			continue;
		result = err ? ERR_PTR(err) : copy;
		break;
	}
	filemap_invalidate_unlock_shared(inode->i_mapping);
	if (result != copy)
		__free_page(copy);
	else
		kvmmem_count(KVMMEM_EV_SWAP_READS, 1);
	return result;
}
