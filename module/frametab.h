/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_FRAMETAB_H
#define KVMMEM_FRAMETAB_H

#include <linux/types.h>

/*
 * One 16-byte slot of the content hash table.  @ref is 0 for an empty
 * slot, a struct kvmmem_sframe pointer for a shared frame, or a hint
 * (bit 0 set) naming a file and guest frame number.
 */
struct kvmmem_slot {
	u64 hash;
	unsigned long ref;
};

/*
 * A hint: bit 0 set, the file id in the next 23 bits, the gfn in the next
 * 39, and the top bit, which the table alone sets and reads: the hint's
 * generation (frametab.c).  Callers see and pass hints without it.
 */
#define KVMMEM_HINT_FILE_BITS	23
#define KVMMEM_HINT_MAX_FILE	((1UL << KVMMEM_HINT_FILE_BITS) - 1)
#define KVMMEM_HINT_GFN_BITS	(BITS_PER_LONG - 2 - KVMMEM_HINT_FILE_BITS)
#define KVMMEM_HINT_GEN		(1UL << (BITS_PER_LONG - 1))

static inline bool kvmmem_ref_is_hint(unsigned long ref)
{
	return ref & 1;
}

/* What a slot refers to, as callers know it (a hint without its generation). */
static inline unsigned long kvmmem_slot_ref(const struct kvmmem_slot *slot)
{
	return kvmmem_ref_is_hint(slot->ref) ? slot->ref & ~KVMMEM_HINT_GEN :
	       slot->ref;
}

static inline unsigned long kvmmem_hint(u32 file_id, pgoff_t gfn)
{
	return (gfn << (KVMMEM_HINT_FILE_BITS + 1)) | ((unsigned long)file_id << 1) | 1;
}

static inline u32 kvmmem_hint_file(unsigned long ref)
{
	return (ref >> 1) & KVMMEM_HINT_MAX_FILE;
}

static inline pgoff_t kvmmem_hint_gfn(unsigned long ref)
{
	return (ref & ~KVMMEM_HINT_GEN) >> (KVMMEM_HINT_FILE_BITS + 1);
}

void kvmmem_frametab_lock(void);
void kvmmem_frametab_unlock(void);
struct kvmmem_slot *kvmmem_frametab_next(u64 hash, struct kvmmem_slot *prev);
struct kvmmem_slot *kvmmem_frametab_find(u64 hash, unsigned long ref);
int kvmmem_frametab_insert(u64 hash, unsigned long ref);
void kvmmem_frametab_set(struct kvmmem_slot *slot, unsigned long ref);
void kvmmem_frametab_delete(struct kvmmem_slot *slot);
void kvmmem_frametab_drop_hints(void);
unsigned long kvmmem_frametab_hints(void);
unsigned long kvmmem_frametab_probes(void);
void kvmmem_frametab_set_hint_cap(unsigned long cap);
unsigned long kvmmem_frametab_hint_drops(void);
size_t kvmmem_frametab_bytes(void);
void kvmmem_frametab_exit(void);

#endif /* KVMMEM_FRAMETAB_H */
