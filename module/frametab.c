// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: frametab - the global content hash table of page sharing
 *
 * The paper's hash table (section 4.2): one table for all VMs, keyed by a
 * 64-bit hash of page contents.  A slot is 16 bytes, {hash, ref}, where
 * ref is either a shared frame (struct kvmmem_sframe, shared by several
 * guest pages, read-only, copy-on-write) or a hint (file id, gfn) for a
 * page that was scanned and matched nothing yet.  Hints are not trusted:
 * whoever matches one re-hashes the hinted page first.
 *
 * Open addressing with linear probing keeps a slot at 16 bytes (no chain
 * pointers).  Deletion shifts the following run back, so lookups never
 * see tombstones.  The table doubles when three quarters full.  Hints are
 * dropped wholesale after each full scan (the way KSM rebuilds its
 * unstable tree): a page that changes between scans would otherwise leave
 * a stale hint per scan.  And since small files may cycle many times
 * while a big one completes one, hints are also capped (the scanner sets
 * the cap), oldest first: hints come in two generations, marked in the
 * hint's top bit.  New hints join the young one; when it holds half the
 * cap, the old generation is dropped and the young one becomes old.  So
 * the table never holds more than the cap, and what goes is always the
 * older half.
 *
 * Locking: one mutex for the whole table.  It is the innermost sleeping
 * lock of the module: taken under page locks, never held while taking
 * one.  Callers hold it across lookups and updates (kvmmem_frametab_lock).
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "frametab.h"

#define MIN_SLOTS	1024UL

static DEFINE_MUTEX(frametab_mutex);
static struct kvmmem_slot *slots;
static unsigned long nr_slots;	/* a power of two, or 0 before first use */
static unsigned long nr_used;
static unsigned long nr_hints_in[2];	/* per generation */
static unsigned int young;		/* the generation new hints join */
static unsigned long nr_probes;	/* slots looked at: the table's health */
static unsigned long hint_cap = ULONG_MAX;
static unsigned long nr_hint_drops;

static unsigned int gen_of(unsigned long ref)
{
	return !!(ref & KVMMEM_HINT_GEN);
}

static unsigned long nr_hints(void)
{
	return nr_hints_in[0] + nr_hints_in[1];
}

/* Count a hint in or out of its generation; frames count nowhere. */
static void count_hint(unsigned long ref, long n)
{
	if (kvmmem_ref_is_hint(ref))
		nr_hints_in[gen_of(ref)] += n;
}

/* A hint joins the young generation. */
static unsigned long stamp(unsigned long ref)
{
	if (!kvmmem_ref_is_hint(ref))
		return ref;
	return young ? ref | KVMMEM_HINT_GEN : ref & ~KVMMEM_HINT_GEN;
}

/**
 * kvmmem_frametab_lock() - take the table's mutex
 */
void kvmmem_frametab_lock(void)
{
	mutex_lock(&frametab_mutex);
}

/**
 * kvmmem_frametab_unlock() - release the table's mutex
 */
void kvmmem_frametab_unlock(void)
{
	mutex_unlock(&frametab_mutex);
}

static unsigned long home(u64 hash)
{
	return hash & (nr_slots - 1);
}

static struct kvmmem_slot *slot_after(struct kvmmem_slot *slot)
{
	return slot + 1 == slots + nr_slots ? slots : slot + 1;
}

/**
 * kvmmem_frametab_next() - the next slot holding @hash
 * @hash: content hash
 * @prev: the slot returned last time, or NULL to start
 *
 * Caller holds the table lock; slots stay valid until it is released or
 * the table is changed.
 *
 * Return: a slot with this hash, or NULL when there are no more.
 */
struct kvmmem_slot *kvmmem_frametab_next(u64 hash, struct kvmmem_slot *prev)
{
	struct kvmmem_slot *slot;

	lockdep_assert_held(&frametab_mutex);
	if (!nr_slots)
		return NULL;
	slot = prev ? slot_after(prev) : &slots[home(hash)];
	for (; slot->ref; slot = slot_after(slot)) {
		nr_probes++;
		if (slot->hash == hash)
			return slot;
	}
	return NULL;
}

/**
 * kvmmem_frametab_find() - the slot holding exactly {@hash, @ref}
 * @hash: content hash
 * @ref: shared frame pointer or hint
 *
 * Return: the slot, or NULL.
 */
struct kvmmem_slot *kvmmem_frametab_find(u64 hash, unsigned long ref)
{
	struct kvmmem_slot *slot = NULL;

	while ((slot = kvmmem_frametab_next(hash, slot)))
		if (kvmmem_slot_ref(slot) == ref)
			return slot;
	return NULL;
}

/* Put {@hash, @ref} in the first free slot of its run; returns the probes. */
static unsigned long place(struct kvmmem_slot *table, unsigned long size,
			   u64 hash, unsigned long ref)
{
	unsigned long i = hash & (size - 1), probes = 1;

	for (; table[i].ref; probes++)
		i = (i + 1) & (size - 1);
	table[i].hash = hash;
	table[i].ref = ref;
	return probes;
}

#define KEEP_GEN(g)	(1U << (g))
#define KEEP_HINTS	(KEEP_GEN(0) | KEEP_GEN(1))

/* Rehash into a table of @size slots, keeping the hints of @keep's generations. */
static int rebuild(unsigned long size, unsigned int keep)
{
	struct kvmmem_slot *table;
	unsigned long i, used = 0;

	table = kvcalloc(size, sizeof(*table), GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	for (i = 0; i < nr_slots; i++) {
		unsigned long ref = slots[i].ref;

		if (!ref ||
		    (kvmmem_ref_is_hint(ref) && !(keep & KEEP_GEN(gen_of(ref)))))
			continue;
		place(table, size, slots[i].hash, ref);
		used++;
	}
	kvfree(slots);
	slots = table;
	nr_slots = size;
	nr_used = used;
	for (i = 0; i < 2; i++)
		if (!(keep & KEEP_GEN(i)))
			nr_hints_in[i] = 0;
	return 0;
}

/* Forget the hints not in @keep; rebuilt at a size that fits the rest. */
static void drop_hints_locked(unsigned int keep)
{
	unsigned long left = nr_used, i;

	lockdep_assert_held(&frametab_mutex);
	for (i = 0; i < 2; i++)
		if (!(keep & KEEP_GEN(i)))
			left -= nr_hints_in[i];
	if (nr_slots && rebuild(max(MIN_SLOTS,
				    roundup_pow_of_two(left * 2 + 1)), keep))
		pr_warn_ratelimited("kvmmem: no memory to drop hints; kept them\n");
}

/**
 * kvmmem_frametab_insert() - add a shared frame or a hint
 * @hash: content hash
 * @ref: shared frame pointer or hint
 *
 * Return: 0, or -ENOMEM if the table could not grow.
 */
int kvmmem_frametab_insert(u64 hash, unsigned long ref)
{
	lockdep_assert_held(&frametab_mutex);
	if (kvmmem_ref_is_hint(ref) &&
	    nr_hints_in[young] >= max(1UL, READ_ONCE(hint_cap) / 2)) {
		/* the old generation goes, the young one grows old */
		drop_hints_locked(KEEP_GEN(young));
		young = !young;
		nr_hint_drops++;
	}
	if ((nr_used + 1) * 4 > nr_slots * 3) {
		int err = rebuild(max(MIN_SLOTS, nr_slots * 2), KEEP_HINTS);

		if (err)
			return err;
	}
	ref = stamp(ref);
	nr_probes += place(slots, nr_slots, hash, ref);
	nr_used++;
	count_hint(ref, 1);
	return 0;
}

/**
 * kvmmem_frametab_set() - change what a slot refers to, keeping its hash
 * @slot: a slot found by a lookup
 * @ref: the new shared frame pointer or hint
 */
void kvmmem_frametab_set(struct kvmmem_slot *slot, unsigned long ref)
{
	lockdep_assert_held(&frametab_mutex);
	count_hint(slot->ref, -1);
	slot->ref = stamp(ref);
	count_hint(slot->ref, 1);
}

/* Should the entry at @j move into the hole at @i?  Only if its home
 * position does not lie cyclically in (i, j].
 */
static bool fills_hole(unsigned long i, unsigned long j, unsigned long k)
{
	if (i <= j)
		return k <= i || k > j;
	return k <= i && k > j;
}

/**
 * kvmmem_frametab_delete() - remove a slot found by a lookup
 * @slot: the slot; other slot pointers are invalid afterwards
 */
void kvmmem_frametab_delete(struct kvmmem_slot *slot)
{
	unsigned long i = slot - slots, j = i, mask = nr_slots - 1;

	lockdep_assert_held(&frametab_mutex);
	count_hint(slot->ref, -1);
	nr_used--;
	for (;;) {
		j = (j + 1) & mask;
		if (!slots[j].ref)
			break;
		if (fills_hole(i, j, home(slots[j].hash))) {
			slots[i] = slots[j];
			i = j;
		}
	}
	slots[i].ref = 0;
	slots[i].hash = 0;
}

/**
 * kvmmem_frametab_drop_hints() - forget every hint, keep shared frames
 *
 * Called after a full scan.  The table is rebuilt at a size that fits
 * what is left, so it also shrinks after a burst of hints.
 */
void kvmmem_frametab_drop_hints(void)
{
	kvmmem_frametab_lock();
	drop_hints_locked(0);
	kvmmem_frametab_unlock();
}

/**
 * kvmmem_frametab_set_hint_cap() - hints the table may hold
 * @cap: the cap; one more hint drops them all first
 */
void kvmmem_frametab_set_hint_cap(unsigned long cap)
{
	WRITE_ONCE(hint_cap, cap);
}

/**
 * kvmmem_frametab_hint_drops() - times the cap dropped the older hints
 *
 * Return: the count since the module was loaded.
 */
unsigned long kvmmem_frametab_hint_drops(void)
{
	return READ_ONCE(nr_hint_drops);
}

/**
 * kvmmem_frametab_hints() - hints in the table (pages_unshared)
 *
 * Return: the number of hint slots.
 */
unsigned long kvmmem_frametab_hints(void)
{
	return READ_ONCE(nr_hints_in[0]) + READ_ONCE(nr_hints_in[1]);
}

/**
 * kvmmem_frametab_probes() - slots looked at by lookups and inserts so far
 *
 * Divided by pages_scanned, it says how long the runs a lookup walks are:
 * a few slots while hashes spread, hundreds if pages pile up on one run.
 *
 * Return: the count since the module was loaded.
 */
unsigned long kvmmem_frametab_probes(void)
{
	return READ_ONCE(nr_probes);
}

/**
 * kvmmem_frametab_bytes() - memory used by the table
 *
 * Return: bytes allocated for slots.
 */
size_t kvmmem_frametab_bytes(void)
{
	return READ_ONCE(nr_slots) * sizeof(struct kvmmem_slot);
}

/**
 * kvmmem_frametab_exit() - free the table; it must hold no shared frame
 */
void kvmmem_frametab_exit(void)
{
	WARN_ON(nr_used != nr_hints());
	kvfree(slots);
	slots = NULL;
	nr_slots = 0;
	nr_used = 0;
	nr_hints_in[0] = 0;
	nr_hints_in[1] = 0;
}
