// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: hotio - guest pages that I/O keeps hitting
 *
 * Paper section 7: pages that are the target of repeated I/O.  On a KVM
 * host those are the guest pages QEMU does direct I/O into (cache=none:
 * O_DIRECT bios pin them for the length of each I/O on 6.12, and hold
 * extra references on 6.1) and the ones a device keeps pinned.  Sharing,
 * sampling or paging such a page forces a copy, a fault or a wait on it,
 * so the mechanisms leave hot pages alone until they cool.
 *
 * Detection is by visits: whenever the scanner or the pager looks at a
 * private frame (locked, with a reference of its own), it counts the
 * references beyond its own, the entry's and the page tables'.  A page in
 * use gains one degree of heat, up to KVMMEM_HEAT_MAX; a quiet one loses
 * one.  From kvmmem_hot_io_threshold on, the page is hot.  So a page is
 * caught only when a visit falls within an I/O: short I/Os to a page are
 * seen in proportion to the time they hold it, and a page needs
 * threshold more visits in use than quiet to become hot.  The sampler
 * does not lock pages and only reads the heat (it skips hot pages).
 *
 * Where: heat is kept per guest page (gfn), in a sparse xarray of the
 * file that holds an entry only for a page ever found in use, and only
 * while its heat is above zero.  Guests do I/O into the same guest
 * buffers again and again, whichever frame backs them, so the heat stays
 * with the gfn when its frame changes (a copy-on-write, a page-in).  The
 * other per-page state has no room for it: the pmap entry is a frame
 * pointer compared whole in three files, and page->private holds a kept
 * slot or a shared frame's descriptor.
 *
 * Remapping (paper section 7, knob hot_io_remap, off by default): a page
 * that was hot when the scanner came by, sits above 4 GiB and is not in
 * use at that moment moves to a frame below 4 GiB, so that a device that
 * reaches only 32-bit addresses does its DMA there without a bounce
 * buffer.  The move is a merge's: under invalidate_lock and the page
 * lock, the page is unmapped from QEMU and KVM, found quiet, copied, and
 * its entry switched; the old frame goes with the scanner's last put.
 * budget.c keeps the reserve (hot_io_remap_max_percent).
 *
 * An entry is a value: the heat, and KVMMEM_HOT_COUNTED when the page is
 * counted in hot_io_pages, so that the gauges stay exact when the
 * threshold changes (a page is recounted at its next visit).  Each
 * update reads and writes its entry under the xarray's lock; visits hold
 * the page lock of the gfn's frame besides, and kvmmem_hotio_destroy()
 * runs once nobody can visit.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "budget.h"
#include "fs.h"
#include "hotio.h"
#include "paging.h"
#include "pmap.h"
#include "stats.h"
#include "trace.h"

#define KVMMEM_HOT_COUNTED	(KVMMEM_HEAT_MAX + 1)

unsigned int kvmmem_hot_io_threshold = 3;
unsigned int kvmmem_hot_io_remap;
atomic_long_t kvmmem_hot_io_pages = ATOMIC_LONG_INIT(0);

static struct kvmmem_hotio *hotio_of(struct inode *inode)
{
	return &KVMMEM_I(inode)->hotio;
}

/**
 * kvmmem_hotio_init() - no page of a new file has been in use
 * @hotio: the file's state
 */
void kvmmem_hotio_init(struct kvmmem_hotio *hotio)
{
	xa_init(&hotio->heat);
	atomic_long_set(&hotio->hot, 0);
}

/**
 * kvmmem_hotio_destroy() - forget a file's heat (its inode is evicted)
 * @inode: a kvmmem regular file
 */
void kvmmem_hotio_destroy(struct inode *inode)
{
	struct kvmmem_hotio *hotio = hotio_of(inode);

	atomic_long_sub(atomic_long_read(&hotio->hot), &kvmmem_hot_io_pages);
	atomic_long_set(&hotio->hot, 0);
	xa_destroy(&hotio->heat);
}

/**
 * kvmmem_hotio_forget() - the pages in [@first, @end) left the file
 * @inode: a kvmmem regular file
 * @first: first guest frame number
 * @end: one past the last (ULONG_MAX: to the end)
 *
 * A page the guest gave back (punch hole) or the file lost (truncate) has
 * no frame for I/O to hit: its heat and its place in hot_io_pages go.
 */
void kvmmem_hotio_forget(struct inode *inode, pgoff_t first, pgoff_t end)
{
	struct kvmmem_hotio *hotio = hotio_of(inode);
	XA_STATE(xas, &hotio->heat, first);
	long counted = 0;
	void *entry;

	if (end <= first)
		return;
	xas_lock(&xas);
	xas_for_each(&xas, entry, end - 1) {
		if (xa_to_value(entry) & KVMMEM_HOT_COUNTED)
			counted++;
		xas_store(&xas, NULL);
	}
	xas_unlock(&xas);
	atomic_long_sub(counted, &hotio->hot);
	atomic_long_sub(counted, &kvmmem_hot_io_pages);
}

/*
 * Heat @gfn by @delta; returns whether it is hot now, and sets *@was_hot
 * (if given) to whether it was before.
 */
static bool heat(struct inode *inode, pgoff_t gfn, int delta, bool *was_hot)
{
	struct xarray *xa = &hotio_of(inode)->heat;
	unsigned long old, now;
	bool counted, hot;
	void *entry;
	int h;

	/*
	 * Most visits find a quiet page that was never in use: nothing to
	 * cool, so no lock on the scanner's and the pager's path.  Visits
	 * to one gfn hold its frame's page lock, so the entry cannot appear
	 * meanwhile.
	 */
	if (was_hot)
		*was_hot = false;
	if (delta < 0 && !xa_load(xa, gfn))
		return false;
	xa_lock(xa);
	entry = xa_load(xa, gfn);
	old = entry ? xa_to_value(entry) : 0;
	counted = old & KVMMEM_HOT_COUNTED;
	h = (int)(old & KVMMEM_HEAT_MAX);
	if (was_hot)
		*was_hot = h >= READ_ONCE(kvmmem_hot_io_threshold);
	h = clamp_t(int, h + delta, 0, KVMMEM_HEAT_MAX);
	hot = h >= READ_ONCE(kvmmem_hot_io_threshold);
	now = h | (hot ? KVMMEM_HOT_COUNTED : 0);
	/* no memory for a new entry: the page stays as cold as it was */
	if (now != old &&
	    xa_err(now ? __xa_store(xa, gfn, xa_mk_value(now),
				    GFP_NOWAIT | __GFP_NOWARN) :
			 __xa_erase(xa, gfn)))
		hot = counted;
	xa_unlock(xa);
	if (hot != counted) {
		atomic_long_add(hot ? 1 : -1, &hotio_of(inode)->hot);
		atomic_long_add(hot ? 1 : -1, &kvmmem_hot_io_pages);
	}
	return hot;
}

/**
 * kvmmem_hotio_visit() - a mechanism looks at the frame of @gfn
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 * @page: its private frame, locked, with the caller's reference, still
 *	the entry's
 *
 * The page gains heat if it is in use, loses some if not.
 *
 * Return: KVMMEM_IO_IN_USE if it is in use now, KVMMEM_IO_HOT if it is
 * hot now, KVMMEM_IO_REMAP if kvmmem_hotio_remap() should move it (it was
 * hot, is not in use and lies above 4 GiB, and remapping is on); 0 for a
 * quiet, cold page, which the caller may take.
 */
unsigned int kvmmem_hotio_visit(struct inode *inode, pgoff_t gfn,
				struct page *page)
{
	unsigned int flags = kvmmem_frame_in_use(page) ? KVMMEM_IO_IN_USE : 0;
	bool was_hot;

	VM_WARN_ON_ONCE_PAGE(!PageLocked(page), page);
	if (heat(inode, gfn, flags ? 1 : -1, &was_hot))
		flags |= KVMMEM_IO_HOT;
	if (was_hot && !(flags & KVMMEM_IO_IN_USE) &&
	    READ_ONCE(kvmmem_hot_io_remap) && !kvmmem_frame_is_low(page))
		flags |= KVMMEM_IO_REMAP;
	return flags;
}

/**
 * kvmmem_hotio_isolate() - take the private frame of @gfn out of use
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 * @page: the frame the caller found at @gfn, with the caller's reference
 *
 * Locks @page, checks it is still the entry's frame at @gfn and unmaps it
 * from every page table, QEMU's and KVM's (through the MMU notifier).  A
 * page referenced beyond its entry and the caller even then is in use:
 * it gains heat (kvmmem_hotio_in_use()).  For whoever is about to switch
 * the entry (a merge, a remap).  Caller holds invalidate_lock shared.
 *
 * Return: 0 with @page locked, quiet and unmapped, so nobody can touch it
 * until it is unlocked; -EAGAIN if the entry changed, -EBUSY if the page
 * is in use, with @page unlocked.
 */
int kvmmem_hotio_isolate(struct inode *inode, pgoff_t gfn, struct page *page)
{
	lockdep_assert_held_read(&inode->i_mapping->invalidate_lock);
	lock_page(page);
	if (kvmmem_pmap_entry(inode, gfn) != kvmmem_entry_private(page)) {
		unlock_page(page);
		return -EAGAIN;
	}
	unmap_mapping_pages(inode->i_mapping, gfn, 1, false);
	if (!kvmmem_frame_quiet(page)) {
		kvmmem_hotio_in_use(inode, gfn, page);
		unlock_page(page);
		return -EBUSY;
	}
	return 0;
}

/**
 * kvmmem_hotio_remap() - move the hot page at @gfn below 4 GiB
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 * @page: its private frame, unlocked, with the caller's reference, which
 *	kvmmem_hotio_visit() found hot, quiet and above 4 GiB
 *
 * Under invalidate_lock shared, isolates the page as a merge does
 * (kvmmem_hotio_isolate()): one in use by then stays, and gains heat.
 * With no frame below 4 GiB to spare, it stays too (hot_io_remap_refused).
 * The caller's put frees the old frame.
 */
void kvmmem_hotio_remap(struct inode *inode, pgoff_t gfn, struct page *page)
{
	struct address_space *mapping = inode->i_mapping;
	struct page *low;

	filemap_invalidate_lock_shared(mapping);
	if (kvmmem_hotio_isolate(inode, gfn, page))
		goto out;
	low = kvmmem_budget_low_frame(page);
	if (!low) {
		kvmmem_count(KVMMEM_EV_HOT_IO_REMAP_REFUSED, 1);
		unlock_page(page);
		goto out;
	}
	copy_highpage(low, page);
	kvmmem_paging_drop_copy(inode, gfn, page);
	kvmmem_pmap_replace(inode, gfn, kvmmem_entry_private(low));
	trace_kvmmem_hot_io_remap(inode->i_ino, gfn, page_to_pfn(page),
				  page_to_pfn(low));
	kvmmem_count(KVMMEM_EV_HOT_IO_REMAPPED, 1);
	unlock_page(page);
	put_page(page);		/* the entry's reference */
out:
	filemap_invalidate_unlock_shared(mapping);
}

/**
 * kvmmem_hotio_in_use() - the frame of @gfn turned out to be in use
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 * @page: its private frame, locked
 *
 * For a caller that unmapped the page after kvmmem_hotio_visit() and then
 * found references it cannot drop: the page gains the heat that visit
 * took off.
 */
void kvmmem_hotio_in_use(struct inode *inode, pgoff_t gfn, struct page *page)
{
	VM_WARN_ON_ONCE_PAGE(!PageLocked(page), page);
	heat(inode, gfn, 2, NULL);
}

/**
 * kvmmem_hotio_is_hot() - is @gfn hot, as its last visit found it
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 *
 * Return: true if the page is counted hot.  No lock: the answer may be a
 * visit old.
 */
bool kvmmem_hotio_is_hot(struct inode *inode, pgoff_t gfn)
{
	void *entry = xa_load(&hotio_of(inode)->heat, gfn);

	return entry && (xa_to_value(entry) & KVMMEM_HOT_COUNTED);
}
