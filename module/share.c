// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: share - content-based page sharing with copy-on-write
 *
 * The paper's section 4.  The scanner hands us one private guest page at
 * a time.  We hash it (xxh64, with a seed secret to the mount and
 * particular to the file's sharing domain, see content_seed()) and look
 * the hash up in the content table (frametab.c):
 *
 *  - a shared frame with that hash: compare the full contents and, if
 *    equal, point the guest page at the frame and free the page;
 *  - a hint (another guest page that hashed the same when scanned):
 *    re-hash the hinted page, which may have changed since; if it still
 *    matches and the full contents are equal, the hinted page becomes a
 *    shared frame for both;
 *  - nothing: leave a hint.
 * All-zero pages skip the table: their entry becomes the zero entry, which
 * holds no frame (pmap.c).  A merge never trusts the hash alone.
 *
 * Shared frames are read-only.  The first write to one (a write fault,
 * page_mkwrite on a read-only PTE, pwrite) breaks the sharing: the writer
 * gets a private copy, unless it is the frame's last sharer, which simply
 * takes the frame back.
 *
 * Race-freedom of a merge: the page is locked (faults and writers wait on
 * that lock), re-checked to be the file's private frame, and unmapped,
 * which zaps the QEMU PTEs and, through the MMU notifier, KVM's nested
 * PTEs; only then are the contents compared and the entry switched.  A
 * page with references beyond its entry's and ours (a DMA pin, KVM or
 * another task holding it, a pwrite copying into it) is left alone.
 *
 * A shared frame's bookkeeping, struct kvmmem_sframe, hangs off
 * page->private; the frame's page lock protects it.  A private frame may
 * keep there the slot it was read back from (kvmmem_pmap_keep_slot()): a
 * merge drops that slot before the frame is freed or becomes shared.  A
 * shared frame may be paged out, one sharer at a time (paging.c): its
 * contents go to one slot, once, and each sharer's entry becomes a swap
 * entry of that slot; the frame goes with its last sharer.
 * Frames are shared only within one mount (one memory budget) and one
 * sharing domain.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xxhash.h>

#include "budget.h"
#include "frametab.h"
#include "fs.h"
#include "hotio.h"
#include "paging.h"
#include "pmap.h"
#include "registry.h"
#include "scan.h"
#include "share.h"
#include "stats.h"
#include "swap.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/*
 * A shared frame: 40 bytes per frame, not per guest page.  @slot is 0, or
 * one more than the slot of the mount's store that holds its contents,
 * written when its first sharer was paged out (the frame holds a
 * reference to the slot, each sharer paged out another).
 */
struct kvmmem_sframe {
	struct page *page;
	u64 hash;
	struct kvmmem_budget *budget;
	unsigned long slot;
	u32 domain;
	u32 sharers;
};

unsigned int kvmmem_max_page_sharing = 256;
bool kvmmem_domain_per_vm;

static struct kmem_cache *sframe_cache;

static struct kvmmem_sframe *sframe_of(struct page *frame)
{
	return (struct kvmmem_sframe *)page_private(frame);
}

/*
 * The content hash's seed: a keyed hash of the file's domain under its
 * mount's random key.  A guest cannot predict where its pages land in the
 * table, so it cannot craft pages that pile up on one run of slots and
 * make every lookup linear under the table's mutex; and equal pages of
 * other mounts and domains, which may never merge with ours, hash apart
 * instead of displacing our hints.  (xxh64 is fast, not a PRF: the seed
 * hides the table's layout from a guest that sees nothing of it, which is
 * the threat here.)
 */
static u64 content_seed(struct inode *inode)
{
	return siphash_1u32(KVMMEM_I(inode)->domain,
			    &KVMMEM_SB(inode->i_sb)->content_key);
}

static u64 page_hash(struct inode *inode, struct page *page)
{
	void *addr = kmap_local_page(page);
	u64 hash = xxh64(addr, PAGE_SIZE, content_seed(inode));

	kunmap_local(addr);
	return hash;
}

static bool page_is_zero(struct page *page)
{
	void *addr = kmap_local_page(page);
	bool zero = !memchr_inv(addr, 0, PAGE_SIZE);

	kunmap_local(addr);
	return zero;
}

static bool same_contents(struct page *a, struct page *b)
{
	void *pa = kmap_local_page(a), *pb = kmap_local_page(b);
	bool same = !memcmp(pa, pb, PAGE_SIZE);

	kunmap_local(pb);
	kunmap_local(pa);
	return same;
}

/*
 * kvmmem_hotio_isolate() for a merge: on success the page stays locked,
 * out of every page table, and nobody can touch it until it is unlocked.
 */
static enum kvmmem_scan_result isolate(struct inode *inode, pgoff_t gfn,
				       struct page *page)
{
	switch (kvmmem_hotio_isolate(inode, gfn, page)) {
	case 0:
		return KVMMEM_SCAN_MERGED;
	case -EBUSY:
		/* in use, not changed: told apart from pages_volatile */
		kvmmem_count(KVMMEM_EV_PAGES_BUSY, 1);
		return KVMMEM_SCAN_BUSY;
	default:
		return KVMMEM_SCAN_VOLATILE;
	}
}

/*
 * A merged private page leaves its file: free it.  isolate() found it
 * quiet, so the scanner's put will be the last and it is uncharged now.
 */
static void release_merged(struct inode *inode, pgoff_t gfn,
			   struct page *page)
{
	kvmmem_paging_drop_copy(inode, gfn, page);
	unlock_page(page);
	put_page(page);		/* the entry's reference */
	kvmmem_budget_frame_freed(inode, page);
}

/* Why did equal hashes not give equal pages? */
static enum kvmmem_scan_result mismatch(struct inode *inode, struct page *page,
					u64 hash)
{
	if (page_hash(inode, page) != hash)
		return KVMMEM_SCAN_VOLATILE;
	kvmmem_count(KVMMEM_EV_HASH_FALSE_MATCHES, 1);
	return KVMMEM_SCAN_UNSHARED;
}

static enum kvmmem_scan_result merge_zero(struct inode *inode, pgoff_t gfn,
					  struct page *page)
{
	enum kvmmem_scan_result res = isolate(inode, gfn, page);

	if (res != KVMMEM_SCAN_MERGED)
		return res;
	if (!page_is_zero(page)) {
		unlock_page(page);
		return KVMMEM_SCAN_VOLATILE;
	}
	kvmmem_pmap_set_zero(inode, gfn);
	trace_kvmmem_merge(inode->i_ino, gfn, 0, true);
	release_merged(inode, gfn, page);
	return KVMMEM_SCAN_MERGED;
}

static void sharer_added(struct inode *inode, struct kvmmem_sframe *sf)
{
	sf->sharers++;
	atomic_long_inc(&kvmmem_sharers);
	atomic_long_inc(&KVMMEM_I(inode)->pmap.sharing);
}

static void sharer_removed(struct inode *inode, struct kvmmem_sframe *sf)
{
	sf->sharers--;
	atomic_long_dec(&kvmmem_sharers);
	atomic_long_dec(&KVMMEM_I(inode)->pmap.sharing);
}

/* Merge @page (private at @inode:@gfn) into the shared @frame. */
static enum kvmmem_scan_result merge_into(struct inode *inode, pgoff_t gfn,
					  struct page *page, struct page *frame,
					  u64 hash)
{
	enum kvmmem_scan_result res = isolate(inode, gfn, page);
	struct kvmmem_sframe *sf;

	if (res != KVMMEM_SCAN_MERGED)
		return res;
	lock_page(frame);
	sf = sframe_of(frame);
	if (!sf || sf->sharers >= kvmmem_max_page_sharing) {
		res = KVMMEM_SCAN_BUSY;
	} else if (!same_contents(page, frame)) {
		res = mismatch(inode, page, hash);
	} else {
		get_page(frame);
		kvmmem_pmap_replace(inode, gfn, kvmmem_entry_shared(frame));
		sharer_added(inode, sf);
		trace_kvmmem_merge(inode->i_ino, gfn, page_to_pfn(frame), false);
	}
	unlock_page(frame);
	if (res == KVMMEM_SCAN_MERGED)
		release_merged(inode, gfn, page);
	else
		unlock_page(page);
	return res;
}

/* Point the hint slot {hash, old} at @ref instead, or add @ref. */
static void rehint(u64 hash, unsigned long old, unsigned long ref)
{
	struct kvmmem_slot *slot;

	kvmmem_frametab_lock();
	slot = kvmmem_frametab_find(hash, old);
	if (slot)
		kvmmem_frametab_set(slot, ref);
	else
		kvmmem_frametab_insert(hash, ref);
	kvmmem_frametab_unlock();
}

/* Make the locked, isolated @frame a shared frame for two guest pages. */
static int publish(struct inode *inode, struct page *frame, u64 hash,
		   unsigned long hint)
{
	struct kvmmem_sframe *sf = kmem_cache_alloc(sframe_cache, GFP_KERNEL);

	if (!sf)
		return -ENOMEM;
	sf->page = frame;
	sf->hash = hash;
	sf->budget = &KVMMEM_SB(inode->i_sb)->budget;
	sf->domain = KVMMEM_I(inode)->domain;
	sf->sharers = 0;
	sf->slot = 0;
	set_page_private(frame, (unsigned long)sf);
	atomic_long_inc(&kvmmem_pages_shared);
	/* If the table cannot grow, the frame works but is not findable. */
	rehint(hash, hint, (unsigned long)sf);
	return 0;
}

/* @page and the hinted @hpage (@hinode:@hgfn) hash the same: share them. */
static enum kvmmem_scan_result merge_pair(struct inode *inode, pgoff_t gfn,
					  struct page *page,
					  struct inode *hinode, pgoff_t hgfn,
					  struct page *hpage, u64 hash)
{
	unsigned long hint = kvmmem_hint(KVMMEM_I(hinode)->id, hgfn);
	enum kvmmem_scan_result res = isolate(hinode, hgfn, hpage);

	if (res != KVMMEM_SCAN_MERGED)
		return res;
	/* same mount and domain (merge_hint()): the same seed */
	if (page_hash(hinode, hpage) != hash) {
		/* the hinted page changed since: the hint is ours now */
		unlock_page(hpage);
		rehint(hash, hint, kvmmem_hint(KVMMEM_I(inode)->id, gfn));
		return KVMMEM_SCAN_UNSHARED;
	}
	res = isolate(inode, gfn, page);
	if (res == KVMMEM_SCAN_MERGED && !same_contents(page, hpage)) {
		unlock_page(page);
		res = mismatch(inode, page, hash);
	}
	/* page->private becomes the descriptor: a kept slot goes first */
	if (res == KVMMEM_SCAN_MERGED)
		kvmmem_paging_drop_copy(hinode, hgfn, hpage);
	if (res == KVMMEM_SCAN_MERGED && publish(inode, hpage, hash, hint)) {
		unlock_page(page);
		res = KVMMEM_SCAN_BUSY;
	}
	if (res == KVMMEM_SCAN_MERGED) {
		get_page(hpage);
		kvmmem_pmap_replace(hinode, hgfn, kvmmem_entry_shared(hpage));
		kvmmem_pmap_replace(inode, gfn, kvmmem_entry_shared(hpage));
		sharer_added(hinode, sframe_of(hpage));
		sharer_added(inode, sframe_of(hpage));
		trace_kvmmem_merge(inode->i_ino, gfn, page_to_pfn(hpage), false);
		release_merged(inode, gfn, page);
	}
	unlock_page(hpage);
	return res;
}

/*
 * The hinted file's invalidate_lock, shared, while @inode's is held
 * shared.  Two locks of one class, taken in no fixed order, deadlock only
 * if two tasks each hold one and want the other (a queued writer makes a
 * reader wait).  Only the scanner thread ever holds two files' locks, so
 * that cannot happen: assert it, and tell lockdep the nesting is meant.
 */
static void lock_second_file(struct inode *inode, struct inode *hinode)
{
	lockdep_assert_held_read(&inode->i_mapping->invalidate_lock);
	WARN_ON_ONCE(!kvmmem_scan_is_scanner());
	down_read_nested(&hinode->i_mapping->invalidate_lock,
			 SINGLE_DEPTH_NESTING);
}

/* Follow a hint: the hinted page must be alive, comparable and quiet. */
static enum kvmmem_scan_result merge_hint(struct inode *inode, pgoff_t gfn,
					  struct page *page, u64 hash,
					  unsigned long hint)
{
	unsigned long mine = kvmmem_hint(KVMMEM_I(inode)->id, gfn);
	enum kvmmem_scan_result res = KVMMEM_SCAN_UNSHARED;
	struct inode *hinode = kvmmem_registry_get(kvmmem_hint_file(hint));
	pgoff_t hgfn = kvmmem_hint_gfn(hint);
	struct page *hpage = NULL;

	if (hinode && hinode->i_sb == inode->i_sb &&
	    KVMMEM_I(hinode)->domain == KVMMEM_I(inode)->domain)
		hpage = kvmmem_pmap_get_private(hinode, hgfn);
	if (!hpage) {
		rehint(hash, hint, mine);
	} else {
		if (hinode != inode)
			lock_second_file(inode, hinode);
		res = merge_pair(inode, gfn, page, hinode, hgfn, hpage, hash);
		if (hinode != inode)
			filemap_invalidate_unlock_shared(hinode->i_mapping);
		put_page(hpage);
	}
	if (hinode)
		kvmmem_registry_put(hinode);
	return res;
}

/*
 * Look @hash up.  Returns a referenced shared frame to merge into, or sets
 * *@hint to a hint to follow, or leaves a hint for this page.
 */
static struct page *lookup(struct inode *inode, pgoff_t gfn, u64 hash,
			   unsigned long *hint)
{
	unsigned long mine = kvmmem_hint(KVMMEM_I(inode)->id, gfn);
	struct kvmmem_budget *budget = &KVMMEM_SB(inode->i_sb)->budget;
	u32 domain = KVMMEM_I(inode)->domain;
	struct kvmmem_slot *slot = NULL;
	bool hinted = false;

	*hint = 0;
	kvmmem_frametab_lock();
	while ((slot = kvmmem_frametab_next(hash, slot))) {
		unsigned long ref = kvmmem_slot_ref(slot);
		struct kvmmem_sframe *sf = (void *)ref;

		if (ref == mine) {
			hinted = true;
		} else if (kvmmem_ref_is_hint(ref)) {
			*hint = *hint ?: ref;
		} else if (sf->domain == domain && sf->budget == budget &&
			   sf->sharers < kvmmem_max_page_sharing) {
			get_page(sf->page);
			kvmmem_frametab_unlock();
			return sf->page;
		}
	}
	if (!*hint && !hinted)
		kvmmem_frametab_insert(hash, mine);
	kvmmem_frametab_unlock();
	return NULL;
}

/*
 * Before the page is hashed: is it in use or hot (hotio.c)?  A page whose
 * lock someone holds is not visited this time.  A hot page that may move
 * below 4 GiB moves instead of being shared.
 */
static bool leave_for_io(struct inode *inode, pgoff_t gfn, struct page *page)
{
	unsigned int io = 0;

	if (!trylock_page(page))
		return false;
	if (kvmmem_pmap_entry(inode, gfn) == kvmmem_entry_private(page))
		io = kvmmem_hotio_visit(inode, gfn, page);
	unlock_page(page);
	if (io & KVMMEM_IO_IN_USE)
		kvmmem_count(KVMMEM_EV_PAGES_BUSY, 1);
	else if (io)
		kvmmem_count(KVMMEM_EV_PAGES_HOT_SKIPPED, 1);
	if (io & KVMMEM_IO_REMAP)
		kvmmem_hotio_remap(inode, gfn, page);
	return io;
}

/**
 * kvmmem_share_scan_page() - try to share the guest page at @inode:@gfn
 * @inode: a kvmmem regular file, referenced by the caller
 * @gfn: guest frame number
 *
 * Return: what happened (enum kvmmem_scan_result).
 */
enum kvmmem_scan_result kvmmem_share_scan_page(struct inode *inode,
					       pgoff_t gfn)
{
	struct page *page = kvmmem_pmap_get_private(inode, gfn), *frame;
	enum kvmmem_scan_result res = KVMMEM_SCAN_UNSHARED;
	unsigned long hint;
	u64 hash = 0;
	bool zero;

	if (!page)
		return KVMMEM_SCAN_SKIPPED;
	kvmmem_count(KVMMEM_EV_PAGES_SCANNED, 1);
	if (leave_for_io(inode, gfn, page)) {
		put_page(page);
		return KVMMEM_SCAN_BUSY;
	}
	zero = page_is_zero(page);
	if (!zero)
		hash = page_hash(inode, page);

	filemap_invalidate_lock_shared(inode->i_mapping);
	if (zero) {
		res = merge_zero(inode, gfn, page);
	} else {
		frame = lookup(inode, gfn, hash, &hint);
		if (frame) {
			res = merge_into(inode, gfn, page, frame, hash);
			put_page(frame);
		} else if (hint) {
			res = merge_hint(inode, gfn, page, hash, hint);
		}
	}
	filemap_invalidate_unlock_shared(inode->i_mapping);
	put_page(page);
	if (res == KVMMEM_SCAN_VOLATILE)
		kvmmem_count(KVMMEM_EV_PAGES_VOLATILE, 1);
	return res;
}

/*
 * Unpublish @frame, whose last sharer (of @inode) is going: it is private
 * again, and lets go of its slot.
 */
static void retire(struct inode *inode, struct page *frame)
{
	struct kvmmem_sframe *sf = sframe_of(frame);
	struct kvmmem_slot *slot;

	if (sf->slot)
		kvmmem_swap_free(KVMMEM_SB(inode->i_sb)->swap, sf->slot - 1, 1);
	kvmmem_frametab_lock();
	slot = kvmmem_frametab_find(sf->hash, (unsigned long)sf);
	if (slot)
		kvmmem_frametab_delete(slot);
	kvmmem_frametab_unlock();
	set_page_private(frame, 0);
	kmem_cache_free(sframe_cache, sf);
	atomic_long_dec(&kvmmem_pages_shared);
}

/*
 * May the last sharer of @frame at @gfn write it in place?  Only when
 * nobody else can see it: its own PTEs of @gfn are zapped first, and then
 * no reference may remain beyond the entry's and the caller's.  Others
 * can hold one that they took through an earlier sharer's mapping or entry
 * before its copy-on-write: a pipe that vmspliced the page, a GUP pin or
 * an O_DIRECT write in flight, a pread copying out of it.  They must keep
 * seeing the old contents.  This is the rule do_wp_page applies to
 * anonymous memory.
 */
static bool reusable(struct inode *inode, pgoff_t gfn, struct page *frame)
{
	unmap_mapping_pages(inode->i_mapping, gfn, 1, false);
	return kvmmem_frame_quiet(frame);
}

/**
 * kvmmem_share_break() - copy-on-write of the shared @frame at @inode:@gfn
 * @inode: a kvmmem regular file
 * @gfn: guest frame number whose entry maps @frame
 * @frame: a shared frame, locked by the caller
 *
 * The last sharer takes @frame back as its private frame without a copy
 * when nobody else can still see it (reusable()); otherwise @gfn gets a
 * private copy and every PTE of @gfn is zapped.  Caller holds
 * invalidate_lock shared and a reference to @frame.
 *
 * Return: the private frame, locked and with a reference for the caller
 * (@frame itself when it was the last sharer), or ERR_PTR(-ENOSPC or
 * -ENOMEM).
 */
struct page *kvmmem_share_break(struct inode *inode, pgoff_t gfn,
				struct page *frame)
{
	struct kvmmem_sframe *sf = sframe_of(frame);
	bool last = sf->sharers == 1;
	struct page *copy;

	lockdep_assert_held_read(&inode->i_mapping->invalidate_lock);
	VM_WARN_ON_ONCE_PAGE(!PageLocked(frame), frame);
	kvmmem_count(KVMMEM_EV_COW_BREAKS, 1);
	if (last && reusable(inode, gfn, frame)) {
		sharer_removed(inode, sf);
		retire(inode, frame);
		kvmmem_pmap_replace(inode, gfn, kvmmem_entry_private(frame));
		trace_kvmmem_cow_break(inode->i_ino, gfn, page_to_pfn(frame),
				       page_to_pfn(frame));
		return frame;
	}
	copy = kvmmem_budget_alloc_frame(inode);
	if (IS_ERR(copy))
		return copy;
	copy_highpage(copy, frame);
	lock_page(copy);
	get_page(copy);
	kvmmem_pmap_replace(inode, gfn, kvmmem_entry_private(copy));
	sharer_removed(inode, sf);
	if (last) {
		/* held elsewhere: charged until the last holder lets go */
		retire(inode, frame);
		kvmmem_budget_frame_release(inode, frame);
	} else {
		put_page(frame);	/* the entry's reference */
	}
	unmap_mapping_pages(inode->i_mapping, gfn, 1, false);
	trace_kvmmem_cow_break(inode->i_ino, gfn, page_to_pfn(frame),
			       page_to_pfn(copy));
	return copy;
}

/**
 * kvmmem_share_drop() - an entry mapping the shared @frame was removed
 * @inode: the file whose entry it was
 * @frame: the shared frame, locked by the caller
 *
 * Return: true if that was the frame's last sharer: the caller's put of
 * the entry's reference frees it.
 */
bool kvmmem_share_drop(struct inode *inode, struct page *frame)
{
	struct kvmmem_sframe *sf;

	VM_WARN_ON_ONCE_PAGE(!PageLocked(frame), frame);
	sf = sframe_of(frame);
	sharer_removed(inode, sf);
	if (sf->sharers)
		return false;
	retire(inode, frame);
	return true;
}

/**
 * kvmmem_share_swap_slot() - a slot of the store holding a shared frame
 * @inode: a sharer of @frame, on a mount with a store
 * @frame: the shared frame, locked by the caller
 * @slot: set to the slot, with a reference for the caller
 *
 * The first call writes @frame to a slot, which the frame keeps until it
 * is retired; every call takes a reference to that slot for one sharer's
 * swap entry.  Shared frames are never written, so the slot stays right.
 *
 * The frame's last sharer gets no slot while anybody else holds the frame
 * (a pin, I/O in flight, a pipe): as with a private page, nothing would
 * be freed.  Caller zapped the sharer's PTEs.
 *
 * Return: 0; -EBUSY for a last sharer of a frame held elsewhere; -ENOSPC
 * when the store is full; the error of the write; -ENOMEM.
 */
int kvmmem_share_swap_slot(struct inode *inode, struct page *frame,
			   unsigned long *slot)
{
	struct kvmmem_sframe *sf = sframe_of(frame);
	struct kvmmem_swap_io io = {
		.swap = KVMMEM_SB(inode->i_sb)->swap,
		.pages = &frame,
		.slots = slot,
		.n = 1,
	};
	int err;

	VM_WARN_ON_ONCE_PAGE(!PageLocked(frame), frame);
	if (sf->sharers == 1 && !kvmmem_frame_quiet(frame))
		return -EBUSY;
	if (!sf->slot) {
		kvmmem_swap_write_start(&io, false);
		if (!kvmmem_swap_write_wait(&io))
			return io.err;
		sf->slot = *slot + 1;
	}
	err = kvmmem_swap_get(io.swap, sf->slot - 1);
	if (err)
		return err;
	*slot = sf->slot - 1;
	return 0;
}

/**
 * kvmmem_share_unmerge() - give every shared guest page of @inode a copy
 * @inode: a kvmmem regular file
 * @zero_too: also pages mapping the zero frame
 *
 * Return: 0, or -ENOSPC/-ENOMEM when a copy could not be made (the pages
 * before it are unmerged), -EINTR on a fatal signal.
 */
int kvmmem_share_unmerge(struct inode *inode, bool zero_too)
{
	struct xarray *frames = &KVMMEM_I(inode)->pmap.frames;
	unsigned long gfn;
	struct page *page;
	void *entry;

	xa_for_each(frames, gfn, entry) {
		if (!kvmmem_entry_is_shared(entry) &&
		    !(zero_too && kvmmem_entry_is_zero(entry)))
			continue;
		page = kvmmem_pmap_lock_page(inode, gfn, KVMMEM_PMAP_WRITE);
		if (IS_ERR(page))
			return PTR_ERR(page);
		unlock_page(page);
		put_page(page);
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/**
 * kvmmem_share_metadata_bytes() - memory spent on sharing bookkeeping
 *
 * Return: bytes of the content table plus the shared frame descriptors.
 */
size_t kvmmem_share_metadata_bytes(void)
{
	return kvmmem_frametab_bytes() +
	       atomic_long_read(&kvmmem_pages_shared) *
	       sizeof(struct kvmmem_sframe);
}

/**
 * kvmmem_share_init() - create the shared frame descriptor cache
 *
 * Return: 0 or -ENOMEM.
 */
int kvmmem_share_init(void)
{
	sframe_cache = KMEM_CACHE(kvmmem_sframe, 0);
	return sframe_cache ? 0 : -ENOMEM;
}

/**
 * kvmmem_share_exit() - free it; no file may exist any more
 */
void kvmmem_share_exit(void)
{
	kmem_cache_destroy(sframe_cache);
	kvmmem_frametab_exit();
}
