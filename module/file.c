// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: file - guest memory read, written and resized as a file
 *
 * The data operations of a VM file besides mmap (fault.c): pread and
 * pwrite go through the pmap page by page, with no page cache; truncate
 * and punch hole take pages away (punched pages count as given back by
 * the guest, see pmap.c); preallocation fills frames.  The size is the
 * guest memory size, and admission follows it (alloc.c).
 *
 * Locking: i_rwsem around every change of size or contents but mapped
 * writes; no lock of ours while copying to or from user memory, which
 * may fault on a kvmmem mapping itself.
 */
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/highmem.h>
#include <linux/pagemap.h>
#include <linux/sizes.h>
#include <linux/uio.h>

#include "alloc.h"
#include "compat.h"
#include "file.h"
#include "fs.h"
#include "fault.h"
#include "hotio.h"
#include "ioctl.h"
#include "paging.h"
#include "pmap.h"
#include "stats.h"

/*
 * Zero [from, to) inside one page, if that page holds a frame; a shared
 * frame is copied first, a swapped-out page read back, a hole or another
 * value entry needs nothing.
 */
static int zero_partial_page(struct inode *inode, loff_t from, loff_t to)
{
	void *entry = kvmmem_pmap_entry(inode, from >> PAGE_SHIFT);
	struct page *page;

	if (!kvmmem_entry_page(entry) && !kvmmem_entry_is_swap(entry))
		return 0;
	page = kvmmem_pmap_lock_page(inode, from >> PAGE_SHIFT,
				     KVMMEM_PMAP_WRITE);
	if (IS_ERR(page))
		return PTR_ERR(page);
	zero_user_segment(page, offset_in_page(from),
			  offset_in_page(to - 1) + 1);
	unlock_page(page);
	put_page(page);
	return 0;
}

/* Zero the partial pages at both ends of [start, end) in place. */
static int zero_range_edges(struct inode *inode, loff_t start, loff_t end)
{
	loff_t head_end = min(round_up(start, PAGE_SIZE), end);
	int err = 0;

	if (offset_in_page(start))
		err = zero_partial_page(inode, start, head_end);
	if (!err && offset_in_page(end) &&
	    round_down(end, PAGE_SIZE) >= head_end)
		err = zero_partial_page(inode, round_down(end, PAGE_SIZE), end);
	return err;
}

/* Admission for the file at @size: its reservation follows the size. */
static int admit_size(struct inode *inode, loff_t size)
{
	struct kvmmem_vm_alloc *va = &KVMMEM_I(inode)->alloc;

	return kvmmem_alloc_admit(inode, va->min_pages, va->max_pages, size);
}

static int set_size(struct inode *inode, loff_t size)
{
	int err = admit_size(inode, size);

	if (!err)
		i_size_write(inode, size);
	return err;
}

/* Caller holds i_rwsem. */
static int kvmmem_resize(struct inode *inode, loff_t size)
{
	loff_t old = i_size_read(inode);
	unsigned long freed;
	int err;

	lockdep_assert_held_write(&inode->i_rwsem);
	if (size >= old)
		return set_size(inode, size);
	err = zero_range_edges(inode, size, min(old, round_up(size, PAGE_SIZE)));
	if (err)
		return err;
	err = set_size(inode, size);
	if (err)
		return err;
	freed = kvmmem_pmap_remove(inode, DIV_ROUND_UP(size, PAGE_SIZE),
				   ULONG_MAX);
	kvmmem_hotio_forget(inode, DIV_ROUND_UP(size, PAGE_SIZE), ULONG_MAX);
	kvmmem_count(KVMMEM_EV_FREED_BY_TRUNCATE, freed);
	return 0;
}

/**
 * kvmmem_setattr() - setattr of kvmmem files and directories
 * @idmap: the mount's idmapping
 * @dentry: what is changed
 * @attr: the changes; a new size resizes guest memory
 *
 * Return: 0 or a negative errno (-ENOSPC when a larger size is not
 * admitted).
 */
int kvmmem_setattr(struct kvmmem_idmap *idmap, struct dentry *dentry,
		   struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int err;

	err = setattr_prepare(idmap, dentry, attr);
	if (err)
		return err;
	if ((attr->ia_valid & ATTR_SIZE) && attr->ia_size != i_size_read(inode)) {
		err = kvmmem_resize(inode, attr->ia_size);
		if (err)
			return err;
	}
	setattr_copy(idmap, inode, attr);
	mark_inode_dirty(inode);
	return 0;
}

/*
 * The page to read at @gfn with a reference, or NULL for zeros: its
 * frame, or for a swapped-out page a copy read from the store, which
 * stays there (-EIO if it cannot be read).
 */
static struct page *read_page(struct inode *inode, pgoff_t gfn)
{
	struct page *page;

	do {
		page = kvmmem_pmap_get(inode, gfn);
		if (page || !kvmmem_entry_is_swap(kvmmem_pmap_entry(inode, gfn)))
			return page;
		page = kvmmem_paging_read_copy(inode, gfn);
	} while (!page);	/* no longer out: look again */
	return page;
}

static ssize_t kvmmem_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	loff_t pos = iocb->ki_pos, size = i_size_read(inode);
	ssize_t done = 0, err = 0;

	while (iov_iter_count(to) && pos < size) {
		size_t off = offset_in_page(pos), copied;
		size_t len = min3(PAGE_SIZE - off, (size_t)(size - pos),
				  iov_iter_count(to));
		struct page *page = read_page(inode, pos >> PAGE_SHIFT);

		if (IS_ERR(page)) {
			err = PTR_ERR(page);
			break;
		}
		if (page) {
			copied = copy_page_to_iter(page, off, len, to);
			put_page(page);
		} else {
			copied = iov_iter_zero(len, to);
		}
		pos += copied;
		done += copied;
		if (copied < len) {
			err = -EFAULT;
			break;
		}
		cond_resched();
	}
	iocb->ki_pos = pos;
	file_accessed(iocb->ki_filp);
	return done ? done : err;
}

/* Caller holds i_rwsem; no other lock, since the copy may fault. */
static ssize_t write_pages(struct inode *inode, loff_t *ppos,
			   struct iov_iter *from)
{
	loff_t pos = *ppos;
	ssize_t done = 0, err = 0;

	lockdep_assert_held_write(&inode->i_rwsem);
	while (iov_iter_count(from)) {
		size_t off = offset_in_page(pos), copied;
		size_t len = min(PAGE_SIZE - off, iov_iter_count(from));
		struct page *page = kvmmem_pmap_lock_page(inode, pos >> PAGE_SHIFT,
							  KVMMEM_PMAP_WRITE);

		if (IS_ERR(page)) {
			err = PTR_ERR(page);
			break;
		}
		/* Our reference keeps the scanner off it while we copy. */
		unlock_page(page);
		copied = copy_page_from_iter(page, off, len, from);
		put_page(page);
		pos += copied;
		done += copied;
		if (copied < len) {
			err = -EFAULT;
			break;
		}
		cond_resched();
	}
	*ppos = pos;
	return done ? done : err;
}

static ssize_t kvmmem_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t ret;

	inode_lock(inode);
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out;
	/* a write by another user drops setuid/setgid, as on any fs */
	ret = file_remove_privs(iocb->ki_filp);
	if (ret)
		goto out;
	ret = file_update_time(iocb->ki_filp);
	if (ret)
		goto out;
	if (iocb->ki_pos + iov_iter_count(from) > i_size_read(inode)) {
		ret = admit_size(inode, iocb->ki_pos + iov_iter_count(from));
		if (ret)
			goto out;
	}
	ret = write_pages(inode, &iocb->ki_pos, from);
	if (iocb->ki_pos > i_size_read(inode))
		i_size_write(inode, iocb->ki_pos);
	if (iov_iter_count(from))
		/* a short write past EOF may have left a frame beyond it */
		kvmmem_pmap_remove(inode,
				   DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE),
				   ULONG_MAX);
out:
	inode_unlock(inode);
	return ret;
}

/*
 * The guest gives pages back through QEMU, which punches them out: one
 * 4 KiB page at a time for each page the balloon takes, and at least a
 * 2 MiB block (the guest's page_reporting_order) for each free block a
 * guest reports.  So the length tells the two apart.
 */
#define KVMMEM_REPORT_MIN_BYTES	SZ_2M

static int punch_hole(struct inode *inode, loff_t start, loff_t len)
{
	loff_t end = start + len;
	unsigned long freed;
	int err;

	err = zero_range_edges(inode, start, end);
	if (err)
		return err;
	if (round_up(start, PAGE_SIZE) >= round_down(end, PAGE_SIZE))
		return 0;
	freed = kvmmem_pmap_release(inode, round_up(start, PAGE_SIZE) >> PAGE_SHIFT,
				    round_down(end, PAGE_SIZE) >> PAGE_SHIFT,
				    len >= KVMMEM_REPORT_MIN_BYTES ?
				    KVMMEM_VALUE_REPORTED : KVMMEM_VALUE_BALLOONED);
	kvmmem_hotio_forget(inode, round_up(start, PAGE_SIZE) >> PAGE_SHIFT,
			    round_down(end, PAGE_SIZE) >> PAGE_SHIFT);
	kvmmem_count(KVMMEM_EV_FREED_BY_PUNCH, freed);
	return 0;
}

/*
 * Frames for [start, start + len).  With KEEP_SIZE, not past EOF: a frame
 * there is reachable by no fault and no read, and would escape admission,
 * which follows the size.  Shared frames stay shared.
 */
static int preallocate(struct inode *inode, int mode, loff_t start, loff_t len)
{
	bool grow = !(mode & FALLOC_FL_KEEP_SIZE) && start + len > i_size_read(inode);
	loff_t end = grow ? start + len : min(start + len, i_size_read(inode));
	pgoff_t gfn;
	int err;

	if (grow) {
		err = admit_size(inode, start + len);
		if (err)
			return err;
	}

	for (gfn = start >> PAGE_SHIFT; gfn < DIV_ROUND_UP(end, PAGE_SIZE); gfn++) {
		struct page *page = kvmmem_pmap_lock_page(inode, gfn,
							  KVMMEM_PMAP_FILL);

		if (IS_ERR(page))
			return PTR_ERR(page);
		unlock_page(page);
		put_page(page);
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	if (grow)
		i_size_write(inode, start + len);
	return 0;
}

static long kvmmem_fallocate(struct file *file, int mode, loff_t start,
			     loff_t len)
{
	struct inode *inode = file_inode(file);
	int err;

	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) {
		pr_warn_ratelimited("kvmmem: %s: fallocate mode %#x not supported (only PUNCH_HOLE|KEEP_SIZE and preallocation)\n",
				    current->comm, mode);
		return -EOPNOTSUPP;
	}
	inode_lock(inode);
	if (mode & FALLOC_FL_PUNCH_HOLE)
		err = punch_hole(inode, start, len);
	else
		err = preallocate(inode, mode, start, len);
	if (!err)
		kvmmem_inode_touch(inode);
	inode_unlock(inode);
	return err;
}

const struct file_operations kvmmem_file_ops = {
	.owner		= THIS_MODULE,
	.llseek		= generic_file_llseek,
	.read_iter	= kvmmem_read_iter,
	.write_iter	= kvmmem_write_iter,
	.mmap		= kvmmem_fault_mmap,
	.fsync		= noop_fsync,
	.fallocate	= kvmmem_fallocate,
	.poll		= kvmmem_balloon_poll,
	.unlocked_ioctl	= kvmmem_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

const struct inode_operations kvmmem_file_inode_ops = {
	.setattr	= kvmmem_setattr,
};
