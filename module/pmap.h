/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_PMAP_H
#define KVMMEM_PMAP_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/xarray.h>

/* One file's guest-physical -> machine page table. */
struct kvmmem_pmap {
	struct xarray frames;
	atomic_long_t resident;	/* entries: private + shared + zero */
	atomic_long_t sharing;	/* entries mapping a shared frame */
	atomic_long_t zero;	/* zero entries */
	atomic_long_t ballooned;	/* released entries, by kind */
	atomic_long_t reported;
	atomic_long_t swapped;	/* swap entries */
	struct xarray zero_mapped;	/* chunks where zeros were mapped */
};

/*
 * A pmap entry is a struct page pointer, tagged when the frame is shared,
 * or a value entry that reads as zeros and holds no page (see pmap.c):
 * the zero entry, or a released entry that remembers how the guest gave
 * the page back.  Value entries are small integers; the zero entry's bit
 * pattern is the shared tag on a NULL pointer, so every test below checks
 * for value entries first.
 */
#define KVMMEM_TAG_SHARED	1

/**
 * enum kvmmem_value - what a value entry says of its guest page
 * @KVMMEM_VALUE_ZERO: the scanner found the page all zero
 * @KVMMEM_VALUE_BALLOONED: released by a small punch hole (balloon)
 * @KVMMEM_VALUE_REPORTED: released by a large one (free page reporting)
 * @KVMMEM_VALUE_SWAPPED: paged out to the mount's backing store; the
 *	entry is KVMMEM_SWAP_BASE plus the slot
 */
enum kvmmem_value {
	KVMMEM_VALUE_ZERO,
	KVMMEM_VALUE_BALLOONED,
	KVMMEM_VALUE_REPORTED,
	KVMMEM_VALUE_SWAPPED,
};

/* Value entries from here on are swap slots. */
#define KVMMEM_SWAP_BASE	16

/* A tagged struct page pointer is a kernel address: top bits set. */
#define KVMMEM_VALUE_LIMIT	BIT(48)

static inline void *kvmmem_entry_private(struct page *page)
{
	return page;
}

static inline void *kvmmem_entry_shared(struct page *page)
{
	return xa_tag_pointer(page, KVMMEM_TAG_SHARED);
}

static inline void *kvmmem_entry_value(enum kvmmem_value value)
{
	return xa_mk_value(value);
}

static inline void *kvmmem_entry_zero(void)
{
	return kvmmem_entry_value(KVMMEM_VALUE_ZERO);
}

static inline bool kvmmem_entry_is_value(void *entry)
{
	return xa_is_value(entry) && xa_to_value(entry) < KVMMEM_VALUE_LIMIT;
}

static inline bool kvmmem_entry_is_zero(void *entry)
{
	return entry == kvmmem_entry_zero();
}

static inline void *kvmmem_entry_swap(unsigned long slot)
{
	return xa_mk_value(KVMMEM_SWAP_BASE + slot);
}

static inline bool kvmmem_entry_is_swap(void *entry)
{
	return kvmmem_entry_is_value(entry) &&
	       xa_to_value(entry) >= KVMMEM_SWAP_BASE;
}

static inline unsigned long kvmmem_entry_swap_slot(void *entry)
{
	return xa_to_value(entry) - KVMMEM_SWAP_BASE;
}

/* The kind of a value entry. */
static inline enum kvmmem_value kvmmem_entry_kind(void *entry)
{
	return kvmmem_entry_is_swap(entry) ? KVMMEM_VALUE_SWAPPED :
	       xa_to_value(entry);
}

/* Ballooned or reported: no frame, not resident, reads as zeros. */
static inline bool kvmmem_entry_is_released(void *entry)
{
	return entry == kvmmem_entry_value(KVMMEM_VALUE_BALLOONED) ||
	       entry == kvmmem_entry_value(KVMMEM_VALUE_REPORTED);
}

/* A frame or the zero entry: what resident counts. */
static inline bool kvmmem_entry_is_resident(void *entry)
{
	return entry && (!kvmmem_entry_is_value(entry) ||
			 kvmmem_entry_is_zero(entry));
}

/* The frame an entry holds; NULL for a hole and for a value entry. */
static inline struct page *kvmmem_entry_page(void *entry)
{
	return kvmmem_entry_is_value(entry) ? NULL : xa_untag_pointer(entry);
}

static inline bool kvmmem_entry_is_shared(void *entry)
{
	return !kvmmem_entry_is_value(entry) &&
	       xa_pointer_tag(entry) == KVMMEM_TAG_SHARED;
}

/*
 * Marks on pmap entries: KVMMEM_SAMPLED (sample.h), and for a private
 * frame that still holds the slot it was read back from (paging.c finds
 * those first: they go without I/O) one of two generations:
 * KVMMEM_CLEAN_NEW when it is read back, KVMMEM_CLEAN once
 * kvmmem_pmap_age_clean() has aged it.
 */
#define KVMMEM_CLEAN		XA_MARK_1
#define KVMMEM_CLEAN_NEW	XA_MARK_2

/* kvmmem_pmap_lock_page() flags */
#define KVMMEM_PMAP_EOF		0x1	/* -EFAULT past the end of file */
#define KVMMEM_PMAP_WRITE	0x2	/* break sharing: a private frame */
#define KVMMEM_PMAP_FILL	0x4	/* a frame for a hole or zero entry */

int kvmmem_pmap_setup(void);
void kvmmem_pmap_teardown(void);
int kvmmem_pmap_zero_frame_refs(void);
void kvmmem_pmap_init(struct kvmmem_pmap *pmap);
void kvmmem_pmap_destroy(struct inode *inode);
struct page *kvmmem_pmap_get(struct inode *inode, pgoff_t gfn);
struct page *kvmmem_pmap_get_private(struct inode *inode, pgoff_t gfn);
struct page *kvmmem_pmap_lock_page(struct inode *inode, pgoff_t gfn,
				   unsigned int flags);
int kvmmem_pmap_map_zero(struct vm_area_struct *vma, unsigned long addr,
			 struct inode *inode, pgoff_t gfn);
int kvmmem_pmap_mkwrite(struct inode *inode, pgoff_t gfn, struct page *page);
void *kvmmem_pmap_entry(struct inode *inode, pgoff_t gfn);
unsigned long kvmmem_pmap_resident(struct inode *inode);
unsigned long kvmmem_pmap_private(struct inode *inode);
unsigned long kvmmem_pmap_sharing(struct inode *inode);
bool kvmmem_pmap_next_entry(struct inode *inode, pgoff_t *gfn, pgoff_t last);
bool kvmmem_pmap_next_marked(struct inode *inode, pgoff_t *gfn, pgoff_t last,
			     xa_mark_t mark);
void kvmmem_pmap_replace(struct inode *inode, pgoff_t gfn, void *entry);
void kvmmem_pmap_set_zero(struct inode *inode, pgoff_t gfn);
void kvmmem_pmap_keep_slot(struct inode *inode, pgoff_t gfn,
			   struct page *page, unsigned long slot);
void kvmmem_pmap_age_clean(struct inode *inode);
unsigned long kvmmem_pmap_take_slot(struct inode *inode, pgoff_t gfn,
				    struct page *page);
unsigned long kvmmem_pmap_remove(struct inode *inode, pgoff_t first,
				 pgoff_t end);
unsigned long kvmmem_pmap_release(struct inode *inode, pgoff_t first,
				  pgoff_t end, enum kvmmem_value how);
unsigned long kvmmem_pmap_released(struct inode *inode,
				   enum kvmmem_value how);
void kvmmem_pmap_swapped_out(struct inode *inode, pgoff_t gfn,
			     struct page *page, unsigned long slot);
void kvmmem_pmap_shared_out(struct inode *inode, pgoff_t gfn,
			    struct page *frame, unsigned long slot);
bool kvmmem_pmap_swapped_in(struct inode *inode, pgoff_t gfn, void *old,
			    struct page *page);

#endif /* KVMMEM_PMAP_H */
