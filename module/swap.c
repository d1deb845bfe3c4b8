// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: swap - a mount's backing store for host demand paging
 *
 * ``swapfile=PATH`` names a block device or a regular file that the mount
 * pages guest memory out to (paper, section 3.3).  The module opens it
 * itself, with the mounter's credentials, for direct I/O (a copy in the
 * host's page cache would keep the memory that paging is meant to free)
 * and exclusively where the kernel can (a block device).  It refuses a
 * symlink, anything but a regular file or a block device, a file of a
 * kvmmem mount, an active swap file, a file system without direct I/O,
 * and a store smaller than MIN_SLOTS pages, each with its reason.
 *
 * The store is an array of page-sized slots.  A bitmap says which are in
 * use (a slot has one reference, or as many as more_refs says plus one:
 * a shared frame's slot, kvmmem_swap_get()), and a checksum of each
 * slot's page is kept in memory beside it, so that a page read back
 * that is not the page written is an I/O error, never wrong guest data.
 * Slots are handed out in contiguous runs from a rotating cursor, so that
 * a batch of pages goes out in one write.
 *
 * The store of a regular file may have holes; writing them can fail when
 * its file system is full.  Then the pages stay in memory and the error is
 * counted: nothing is lost.
 *
 * Writes go to a workqueue (kvmmem_swap_write_start()), so that the
 * reclaim thread picks and unmaps its next batch while one is written.
 *
 * Locking: lock guards the bitmap, more_refs, the cursor and the count; the
 * checksum of a slot is written before the slot is published in a pmap
 * entry and read only through one, so it needs no lock.  I/O takes no
 * lock of ours.
 */
#include <linux/bitmap.h>
#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/kvmmem.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <linux/xxhash.h>

#include "stats.h"
#include "swap.h"

/* Smaller than this is surely a mistake: 1 MiB. */
#define MIN_SLOTS	256
/* A bitmap and a checksum per slot: at most 2^32 slots, 16 TiB. */
#define MAX_SLOTS	BIT_ULL(32)

static u32 page_checksum(struct page *page)
{
	void *addr = kmap_local_page(page);
	u32 sum = xxh32(addr, PAGE_SIZE, 0);

	kunmap_local(addr);
	return sum;
}

/* Why @file cannot be a backing store, or NULL; sets *@slots. */
static const char *unusable(struct file *file, unsigned long *slots)
{
	struct inode *inode = file_inode(file);
	loff_t size;

	if (S_ISBLK(inode->i_mode)) {
		size = i_size_read(file->f_mapping->host);
	} else if (S_ISREG(inode->i_mode)) {
		if (inode->i_sb->s_magic == KVMMEM_SUPER_MAGIC)
			return "is a file of a kvmmem mount";
		if (IS_SWAPFILE(inode))
			return "is in use as swap";
		size = i_size_read(inode);
	} else {
		return "is neither a regular file nor a block device";
	}
	*slots = min_t(u64, size >> PAGE_SHIFT, MAX_SLOTS);
	if (*slots < MIN_SLOTS)
		return "is smaller than 1 MiB";
	return NULL;
}

/**
 * kvmmem_swap_open() - open and check a backing store
 * @path: the swapfile= option
 * @errmsg: set to the reason on failure, for the mount's error
 *
 * Return: the store, or ERR_PTR: -ELOOP for a symlink, -EINVAL for a
 * file that cannot be used, the error of the open, -ENOMEM.
 */
struct kvmmem_swap *kvmmem_swap_open(const char *path, const char **errmsg)
{
	struct kvmmem_swap *swap;
	struct file *file;
	unsigned long slots = 0;
	int err = -ENOMEM;

	file = filp_open(path, O_RDWR | O_LARGEFILE | O_NOFOLLOW | O_DIRECT |
			 O_EXCL, 0);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		*errmsg = err == -ELOOP ? "is a symlink" :
			  err == -EINVAL ? "cannot be opened for direct I/O" :
			  err == -EBUSY ? "is busy (mounted, or open exclusively)" :
			  "cannot be opened read-write";
		return ERR_PTR(err);
	}
	*errmsg = unusable(file, &slots);
	if (*errmsg) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	swap = kzalloc(sizeof(*swap), GFP_KERNEL);
	if (!swap)
		goto fail;
	swap->used = bitmap_zalloc(slots, GFP_KERNEL);
	swap->sums = vmalloc_array(slots, sizeof(*swap->sums));
	if (!swap->used || !swap->sums)
		goto fail;
	swap->file = file;
	swap->nr_slots = slots;
	swap->failed_until = jiffies;
	spin_lock_init(&swap->lock);
	xa_init(&swap->more_refs);
	return swap;
fail:
	if (swap) {
		bitmap_free(swap->used);
		vfree(swap->sums);
		kfree(swap);
	}
	fput(file);
	*errmsg = "no memory for its slot table";
	return ERR_PTR(err);
}

/**
 * kvmmem_swap_close() - let go of a store whose slots are all free
 * @swap: the store, or NULL
 */
void kvmmem_swap_close(struct kvmmem_swap *swap)
{
	if (!swap)
		return;
	WARN_ON_ONCE(swap->nr_used || !xa_empty(&swap->more_refs));
	xa_destroy(&swap->more_refs);
	fput(swap->file);
	bitmap_free(swap->used);
	vfree(swap->sums);
	kfree(swap);
}

/**
 * kvmmem_swap_alloc() - a run of free slots
 * @swap: the store
 * @want: how many, at most
 * @first: set to the first slot of the run
 *
 * Return: the run's length, from 1 to @want; 0 when the store is full.
 */
unsigned int kvmmem_swap_alloc(struct kvmmem_swap *swap, unsigned int want,
			       unsigned long *first)
{
	unsigned long start, end;
	unsigned int n = 0;

	spin_lock(&swap->lock);
	start = find_next_zero_bit(swap->used, swap->nr_slots, swap->cursor);
	if (start >= swap->nr_slots)
		start = find_first_zero_bit(swap->used, swap->nr_slots);
	if (start < swap->nr_slots) {
		end = find_next_bit(swap->used, min(swap->nr_slots,
						    start + want), start);
		n = end - start;
		bitmap_set(swap->used, start, n);
		swap->nr_used += n;
		swap->cursor = end;
		*first = start;
	}
	spin_unlock(&swap->lock);
	atomic_long_add(n, &kvmmem_swap_slots_used);
	return n;
}

/**
 * kvmmem_swap_free() - give back slots
 * @swap: the store
 * @first: the first slot
 * @n: how many
 */
void kvmmem_swap_free(struct kvmmem_swap *swap, unsigned long first,
		      unsigned int n)
{
	unsigned long slot, freed = 0;
	void *more;

	spin_lock(&swap->lock);
	WARN_ON_ONCE(find_next_zero_bit(swap->used, first + n, first) < first + n);
	for (slot = first; slot < first + n; slot++) {
		more = xa_load(&swap->more_refs, slot);
		if (!more) {
			__clear_bit(slot, swap->used);
			freed++;
		} else if (xa_to_value(more) > 1) {
			/* replaces a present entry: allocates nothing */
			xa_store(&swap->more_refs, slot,
				 xa_mk_value(xa_to_value(more) - 1), GFP_NOWAIT);
		} else {
			xa_erase(&swap->more_refs, slot);
			atomic_long_dec(&kvmmem_swap_slots_shared);
		}
	}
	swap->nr_used -= freed;
	spin_unlock(&swap->lock);
	atomic_long_sub(freed, &kvmmem_swap_slots_used);
}

/**
 * kvmmem_swap_get() - one more reference to a slot in use
 * @swap: the store
 * @slot: a slot the caller holds a reference to
 *
 * A shared frame's slot is referenced by the frame and by each sharer
 * whose entry it became (share.c); kvmmem_swap_free() drops one
 * reference, and frees the slot with the last.
 *
 * Return: 0, or -ENOMEM.
 */
int kvmmem_swap_get(struct kvmmem_swap *swap, unsigned long slot)
{
	unsigned long more;
	int err;

	spin_lock(&swap->lock);
	WARN_ON_ONCE(!test_bit(slot, swap->used));
	more = xa_to_value(xa_load(&swap->more_refs, slot) ?: xa_mk_value(0));
	err = xa_err(xa_store(&swap->more_refs, slot, xa_mk_value(more + 1),
			      GFP_NOWAIT));
	spin_unlock(&swap->lock);
	if (!err && !more)
		atomic_long_inc(&kvmmem_swap_slots_shared);
	return err;
}

/* One synchronous direct I/O of @n pages at slot @first. */
static int swap_io(struct kvmmem_swap *swap, unsigned long first,
		   struct page **pages, unsigned int n, bool write)
{
	struct bio_vec *bvec = kmalloc_array(n, sizeof(*bvec), GFP_KERNEL);
	loff_t pos = (loff_t)first << PAGE_SHIFT;
	struct iov_iter iter;
	unsigned int i;
	ssize_t done;

	if (!bvec)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		bvec_set_page(&bvec[i], pages[i], PAGE_SIZE, 0);
	iov_iter_bvec(&iter, write ? ITER_SOURCE : ITER_DEST, bvec, n,
		      n * PAGE_SIZE);
	if (write) {
		file_start_write(swap->file);
		done = vfs_iter_write(swap->file, &iter, &pos, 0);
		file_end_write(swap->file);
	} else {
		done = vfs_iter_read(swap->file, &iter, &pos, 0);
	}
	kfree(bvec);
	if (done == (ssize_t)n * PAGE_SIZE)
		return 0;
	return done < 0 ? done : -EIO;
}

/* Write @n pages to a run of slots at @first, checksums first. */
static int write_run(struct kvmmem_swap *swap, unsigned long first,
		     struct page **pages, unsigned int n)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++)
		swap->sums[first + i] = page_checksum(pages[i]);
	err = swap_io(swap, first, pages, n, true);
	if (err) {
		WRITE_ONCE(swap->failed_until, jiffies + HZ);
		kvmmem_count(KVMMEM_EV_SWAP_IO_ERRORS, 1);
		pr_warn_ratelimited("kvmmem: writing %u pages to slot %lu of the backing store failed (%d); they stay in memory\n",
				    n, first, err);
	}
	return err;
}

/* The pages of @io to as many runs of free slots as it takes. */
static void write_pages(struct kvmmem_swap_io *io)
{
	struct kvmmem_swap *swap = io->swap;
	unsigned long first;
	unsigned int n, i;

	io->written = 0;
	io->err = 0;
	while (io->written < io->n) {
		n = kvmmem_swap_alloc(swap, io->n - io->written, &first);
		if (!n) {
			io->err = -ENOSPC;
			pr_warn_ratelimited("kvmmem: the backing store is full (%lu slots): pages stay in memory\n",
					    swap->nr_slots);
			break;
		}
		io->err = write_run(swap, first, io->pages + io->written, n);
		if (io->err) {
			kvmmem_swap_free(swap, first, n);
			break;
		}
		for (i = 0; i < n; i++)
			io->slots[io->written + i] = first + i;
		io->written += n;
	}
}

static struct workqueue_struct *swap_wq;

static void write_work(struct work_struct *work)
{
	struct kvmmem_swap_io *io = container_of(work, struct kvmmem_swap_io,
						 work);

	write_pages(io);
	complete(&io->done);
}

/**
 * kvmmem_swap_write_start() - write pages out, checksums first
 * @io: the store, the pages and where their slots go
 * @async: on the store's workqueue, so that the caller can lock and
 *	unmap the next batch meanwhile; else now, in the caller
 *
 * Either way, kvmmem_swap_write_wait() says how it went.  A failed write
 * is counted and logged; its pages have no slot.
 */
void kvmmem_swap_write_start(struct kvmmem_swap_io *io, bool async)
{
	init_completion(&io->done);
	if (async) {
		INIT_WORK(&io->work, write_work);
		queue_work(swap_wq, &io->work);
	} else {
		write_pages(io);
		complete(&io->done);
	}
}

/**
 * kvmmem_swap_write_wait() - wait for kvmmem_swap_write_start()
 * @io: what was started
 *
 * Return: how many of its pages went out, from the first (io->slots says
 * where); io->err says why the others did not.
 */
unsigned int kvmmem_swap_write_wait(struct kvmmem_swap_io *io)
{
	wait_for_completion(&io->done);
	return io->written;
}

/**
 * kvmmem_swap_init() - the workqueue that writes pages out
 *
 * It can make progress under memory pressure (WQ_MEM_RECLAIM): paging is
 * how kvmmem gives memory back.
 *
 * Return: 0 or -ENOMEM.
 */
int kvmmem_swap_init(void)
{
	swap_wq = alloc_workqueue("kvmmem_swap", WQ_MEM_RECLAIM | WQ_UNBOUND,
				  0);
	return swap_wq ? 0 : -ENOMEM;
}

/**
 * kvmmem_swap_exit() - destroy it; nothing may be writing any more
 */
void kvmmem_swap_exit(void)
{
	destroy_workqueue(swap_wq);
}

/**
 * kvmmem_swap_read() - read a run of slots back into pages and check them
 * @swap: the store
 * @slot: the first slot
 * @pages: pages of ours, not yet visible to anyone
 * @n: how many
 * @errs: set to each page's result: 0; -EIO when the read failed;
 *	-EBADMSG when the page read is not the one written there
 *
 * The caller counts a failure with kvmmem_swap_count_error() once it
 * knows the slot still held its page (a racing reader may have freed it).
 *
 * Return: the first page's result.
 */
int kvmmem_swap_read(struct kvmmem_swap *swap, unsigned long slot,
		     struct page **pages, unsigned int n, int *errs)
{
	int err = swap_io(swap, slot, pages, n, false);
	unsigned int i;

	for (i = 0; i < n; i++)
		errs[i] = err ? -EIO :
			  page_checksum(pages[i]) == swap->sums[slot + i] ?
			  0 : -EBADMSG;
	return errs[0];
}

/**
 * kvmmem_swap_count_error() - count and log a failed kvmmem_swap_read()
 * @swap: the store
 * @slot: the slot
 * @err: what kvmmem_swap_read() returned
 */
void kvmmem_swap_count_error(struct kvmmem_swap *swap, unsigned long slot,
			     int err)
{
	if (err == -EBADMSG) {
		kvmmem_count(KVMMEM_EV_CHECKSUM_ERRORS, 1);
		pr_err_ratelimited("kvmmem: slot %lu of the backing store does not hold the page written there: I/O error for that guest page\n",
				   slot);
	} else {
		kvmmem_count(KVMMEM_EV_SWAP_IO_ERRORS, 1);
		pr_warn_ratelimited("kvmmem: reading slot %lu of the backing store failed (%d)\n",
				    slot, err);
	}
}

/**
 * kvmmem_swap_full() - every slot in use?
 * @swap: the store
 *
 * Return: true if so (a moment's view).
 */
bool kvmmem_swap_full(struct kvmmem_swap *swap)
{
	return READ_ONCE(swap->nr_used) >= swap->nr_slots;
}

/**
 * kvmmem_swap_writable() - worth trying to page out to the store now?
 * @swap: the store
 *
 * Return: false while every slot is in use, and for a second after a
 * write failed (a full file system under a store file, a failing
 * device), so that tasks waiting for room get ENOSPC at once rather than
 * wait for writes bound to fail.
 */
bool kvmmem_swap_writable(struct kvmmem_swap *swap)
{
	return !kvmmem_swap_full(swap) &&
	       time_after_eq(jiffies, READ_ONCE(swap->failed_until));
}

/**
 * kvmmem_swap_roomy() - less than half of the store in use?
 * @swap: the store
 *
 * Return: true if so (a moment's view): pages read back may then keep
 * their slots (paging.c).
 */
bool kvmmem_swap_roomy(struct kvmmem_swap *swap)
{
	return READ_ONCE(swap->nr_used) < swap->nr_slots / 2;
}
