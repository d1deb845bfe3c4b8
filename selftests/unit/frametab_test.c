// SPDX-License-Identifier: GPL-2.0
/*
 * Native unit test of the content hash table (module/frametab.c, built
 * against a userspace shim): every insert is found, deletion keeps every
 * other entry reachable (backward shift across clustered runs and the
 * table's wrap-around), growth rehashes, dropping hints keeps frames, and
 * hint encoding round-trips.  Checked against a plain array model.
 */
#include <linux/types.h>
#include <string.h>

#include "frametab.h"
#include "tap.h"

#define N 20000

struct model {
	u64 hash;
	unsigned long ref;
	bool live;
};

static struct model items[N];

static u64 rng = 88172645463325252ULL;

static u64 next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Frames are even "pointers"; hints have bit 0 set. */
static unsigned long make_ref(int i, bool hint)
{
	return hint ? kvmmem_hint(i & KVMMEM_HINT_MAX_FILE, i) :
		      (unsigned long)(i + 1) << 4;
}

static bool model_matches(int n)
{
	for (int i = 0; i < n; i++) {
		bool found = kvmmem_frametab_find(items[i].hash, items[i].ref);

		if (found != items[i].live) {
			tap_diag("item %d: found %d, live %d", i, found, items[i].live);
			return false;
		}
	}
	return true;
}

static int fill(int n, u64 hash_mask, int hint_every)
{
	int hints = 0;

	kvmmem_frametab_lock();
	for (int i = 0; i < n; i++) {
		items[i].hash = next_random() & hash_mask;
		items[i].ref = make_ref(i, hint_every && i % hint_every == 0);
		items[i].live = true;
		hints += kvmmem_ref_is_hint(items[i].ref);
		if (kvmmem_frametab_insert(items[i].hash, items[i].ref))
			return -1;
	}
	kvmmem_frametab_unlock();
	return hints;
}

static void delete_some(int n, int every)
{
	kvmmem_frametab_lock();
	for (int i = 0; i < n; i += every) {
		struct kvmmem_slot *slot = kvmmem_frametab_find(items[i].hash,
								items[i].ref);

		if (slot)
			kvmmem_frametab_delete(slot);
		items[i].live = false;
	}
	kvmmem_frametab_unlock();
}

static void reset(void)
{
	delete_some(N, 1);
	kvmmem_frametab_drop_hints();
}

static bool test_insert_find(void)
{
	bool ok = fill(N, ~0ULL, 0) == 0 && model_matches(N);

	reset();
	return ok;
}

/* Few distinct hashes: long runs of equal homes, wrapping the table end. */
static bool test_delete_clusters(void)
{
	bool ok = fill(N, 0xff | (1ULL << 63), 0) == 0;

	delete_some(N, 3);
	ok = ok && model_matches(N);
	delete_some(N, 2);
	ok = ok && model_matches(N);
	reset();
	return ok;
}

static bool test_duplicates_iterate(void)
{
	struct kvmmem_slot *slot = NULL;
	int seen = 0;

	kvmmem_frametab_lock();
	for (int i = 0; i < 10; i++)
		kvmmem_frametab_insert(42, make_ref(i, i & 1));
	while ((slot = kvmmem_frametab_next(42, slot)))
		seen++;
	kvmmem_frametab_unlock();
	for (int i = 0; i < 10; i++) {
		items[i] = (struct model){ 42, make_ref(i, i & 1), true };
	}
	reset();
	if (seen != 10)
		tap_diag("iterated %d of 10 equal hashes", seen);
	return seen == 10;
}

static bool test_drop_hints(void)
{
	int hints = fill(N, ~0ULL, 4);
	bool ok = hints > 0 && kvmmem_frametab_hints() == (unsigned long)hints;

	kvmmem_frametab_drop_hints();
	for (int i = 0; i < N; i++)
		if (kvmmem_ref_is_hint(items[i].ref))
			items[i].live = false;
	ok = ok && kvmmem_frametab_hints() == 0 && model_matches(N);
	reset();
	return ok;
}

static bool test_set(void)
{
	struct kvmmem_slot *slot;
	bool ok;

	kvmmem_frametab_lock();
	kvmmem_frametab_insert(7, make_ref(3, true));
	slot = kvmmem_frametab_find(7, make_ref(3, true));
	ok = slot && kvmmem_frametab_hints() == 1;
	if (slot)
		kvmmem_frametab_set(slot, make_ref(3, false));
	ok = ok && kvmmem_frametab_hints() == 0 &&
	     kvmmem_frametab_find(7, make_ref(3, false));
	kvmmem_frametab_unlock();
	items[0] = (struct model){ 7, make_ref(3, false), true };
	reset();
	return ok;
}

static bool test_hint_encoding(void)
{
	static const struct { u32 file; pgoff_t gfn; } cases[] = {
		{ 0, 0 }, { 1, 1 }, { KVMMEM_HINT_MAX_FILE, 12345 },
		{ 77, (1UL << KVMMEM_HINT_GFN_BITS) - 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long h = kvmmem_hint(cases[i].file, cases[i].gfn);

		if (!kvmmem_ref_is_hint(h) || kvmmem_hint_file(h) != cases[i].file ||
		    kvmmem_hint_gfn(h) != cases[i].gfn) {
			tap_diag("hint %u/%lu does not round-trip", cases[i].file,
				 cases[i].gfn);
			return false;
		}
	}
	return true;
}

/*
 * The cap evicts the oldest hints first: with a cap of 100, 250 hints
 * leave the newest 100 (two generations of 50), never a frame; each
 * generation turned old is one drop.
 */
static bool test_hint_cap(void)
{
	unsigned long drops = kvmmem_frametab_hint_drops();
	bool ok = true;

	kvmmem_frametab_set_hint_cap(100);
	kvmmem_frametab_lock();
	kvmmem_frametab_insert(1, make_ref(1, false));
	for (int i = 0; i < 250; i++) {
		kvmmem_frametab_insert(1000 + i, make_ref(i, true));
		ok = ok && kvmmem_frametab_hints() <= 100;
	}
	ok = ok && kvmmem_frametab_find(1, make_ref(1, false));
	for (int i = 0; i < 250; i++) {
		bool found = kvmmem_frametab_find(1000 + i, make_ref(i, true));

		if (found != (i >= 150)) {
			tap_diag("hint %d %s", i, found ? "kept" : "dropped");
			ok = false;
			break;
		}
	}
	kvmmem_frametab_unlock();
	ok = ok && kvmmem_frametab_hint_drops() - drops == 4 &&
	     kvmmem_frametab_hints() == 100;
	kvmmem_frametab_set_hint_cap(ULONG_MAX);
	kvmmem_frametab_lock();
	kvmmem_frametab_delete(kvmmem_frametab_find(1, make_ref(1, false)));
	kvmmem_frametab_unlock();
	reset();
	return ok;
}

/* A hint keeps its name whatever its generation; set() moves it. */
static bool test_hint_generation_hidden(void)
{
	struct kvmmem_slot *slot;
	bool ok;

	kvmmem_frametab_set_hint_cap(4);
	kvmmem_frametab_lock();
	/* generations of 2: {0, 1} go when the fifth comes; 2, 3 and 4 stay */
	for (int i = 0; i < 5; i++)
		kvmmem_frametab_insert(77, make_ref(i, true));
	ok = !kvmmem_frametab_find(77, make_ref(0, true)) &&
	     !kvmmem_frametab_find(77, make_ref(1, true));
	slot = kvmmem_frametab_find(77, make_ref(2, true));
	ok = ok && slot && kvmmem_slot_ref(slot) == make_ref(2, true) &&
	     kvmmem_hint_gfn(slot->ref) == 2 && kvmmem_hint_file(slot->ref) == 2;
	if (slot)
		kvmmem_frametab_set(slot, make_ref(9, false));
	ok = ok && kvmmem_frametab_hints() == 2 &&
	     kvmmem_frametab_find(77, make_ref(9, false));
	slot = kvmmem_frametab_find(77, make_ref(9, false));
	if (slot)
		kvmmem_frametab_delete(slot);
	kvmmem_frametab_unlock();
	kvmmem_frametab_set_hint_cap(ULONG_MAX);
	reset();
	return ok;
}

int main(void)
{
	tap_plan(8);
	tap_result(test_insert_find(), "frametab: every insert is found");
	tap_result(test_delete_clusters(), "frametab: deletes in clustered runs keep the rest reachable");
	tap_result(test_duplicates_iterate(), "frametab: equal hashes are all iterated");
	tap_result(test_drop_hints(), "frametab: dropping hints keeps frames");
	tap_result(test_set(), "frametab: a hint slot becomes a frame");
	tap_result(test_hint_encoding(), "frametab: hint encoding round-trips");
	tap_result(test_hint_cap(), "frametab: the hint cap evicts the oldest hints first, keeps frames");
	tap_result(test_hint_generation_hidden(), "frametab: a hint's generation is the table's own");
	kvmmem_frametab_exit();
	return tap_exit();
}
