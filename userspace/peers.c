// SPDX-License-Identifier: GPL-2.0
/*
 * Other balloon policies for kvmmem-sim (peers.h).  Each model follows
 * the policy's source, with its default constants; the simplifications:
 *
 *  - MOM (oVirt mom, doc/balloon.rules): host free memory is the budget
 *    less all allocations, not a 10-sample average; a guest's "unused"
 *    is what the scenario's guest_free= makes it report.
 *  - pvestatd (Proxmox pve-manager, PVE/AutoBalloon.pm): one pass of the
 *    share-weighted distribution per run, without its two-list ordering
 *    (VMs with free memory first), which orders the same moves; VMs are
 *    not skipped for having no balloon minimum.
 *  - squeezed (xen-api, ocaml/squeezed/lib/squeeze.ml): no host reserve
 *    beyond the budget (the budget already leaves out the host's own),
 *    targets set at once, shrinking and growing in the same run.
 */
#include "peers.h"

#include <string.h>

static const char *const names[] = {
	[PEER_NONE] = "kvmmem", [PEER_MOM] = "mom",
	[PEER_PVESTATD] = "pvestatd", [PEER_SQUEEZED] = "squeezed",
};

int peer_parse(const char *name)
{
	for (int p = 0; p < (int)(sizeof(names) / sizeof(names[0])); p++)
		if (!strcmp(name, names[p]))
			return p;
	return -1;
}

const char *peer_name(enum peer p)
{
	return names[p];
}

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static uint64_t allocated(const struct peer_vm *vms, int n)
{
	uint64_t sum = 0;

	for (int i = 0; i < n; i++)
		sum += vms[i].alloc;
	return sum;
}

/*
 * MOM: below 20% host free memory, every guest gives up to 5% of its
 * memory per run, keeping what it uses plus a free share that falls with
 * the host's free memory (negative below 5%: MOM then forces the guest
 * to swap); at 20% or more, guests grow by 5% per run, or to what they
 * use plus 20%, up to their maximum.
 */
static void mom(struct peer_vm *vms, int n, uint64_t budget)
{
	uint64_t used_host = allocated(vms, n);
	double hf = budget > used_host ? (double)(budget - used_host) / budget : 0;

	for (int i = 0; i < n; i++) {
		struct peer_vm *v = &vms[i];
		double cur = v->alloc, used = cur - v->unused, floor, want;

		if (hf < 0.20) {
			double gfp = hf <= 0.05 ? hf - 0.05 : hf;

			floor = used + gfp * cur;
			floor = floor > v->min ? floor : v->min;
			want = cur * 0.95 > floor ? cur * 0.95 : floor;
			if (want <= cur)
				v->target = (uint64_t)want;
		} else if (v->alloc < v->max) {
			floor = used + 0.20 * cur;
			floor = floor > v->min ? floor : v->min;
			want = cur * 1.05 > floor ? cur * 1.05 : floor;
			v->target = (uint64_t)(want < v->max ? want : v->max);
		}
	}
}

/*
 * pvestatd: aims at 80% of the host's memory in use.  The memory above
 * the VMs' minimums, plus what is missing to (or beyond) 80%, is split by
 * shares; each VM moves towards its share by at most 100 MiB per run,
 * and grows only while the host is below 80%.  A gap of 10 MiB or less
 * is left alone.
 */
static void pvestatd(struct peer_vm *vms, int n, uint64_t budget, uint64_t mib)
{
	int64_t goal = (int64_t)(budget * 8 / 10) - (int64_t)allocated(vms, n);
	int64_t above_min = 0, total_shares = 0, step = 100 * (int64_t)mib;

	if (goal <= 10 * (int64_t)mib && goal >= -10 * (int64_t)mib)
		return;
	for (int i = 0; i < n; i++) {
		above_min += (int64_t)vms[i].alloc - (int64_t)vms[i].min;
		total_shares += vms[i].shares;
	}
	if (!total_shares)
		return;
	for (int i = 0; i < n; i++) {
		struct peer_vm *v = &vms[i];
		int64_t share = (above_min + goal) * (int64_t)v->shares / total_shares;
		int64_t want = (int64_t)v->min + (share > 0 ? share : 0);
		int64_t cur = (int64_t)v->alloc;

		want = (int64_t)clamp((uint64_t)want, v->min, v->max);
		if (want > cur && goal > 0)
			v->target = (uint64_t)(cur + (want - cur < step ? want - cur : step));
		else if (want < cur)
			v->target = (uint64_t)(cur - (cur - want < step ? cur - want : step));
	}
}

/*
 * squeezed: every VM gets the same fraction of the room between its
 * minimum and its maximum, the largest that the host's memory holds.
 */
static void squeezed(struct peer_vm *vms, int n, uint64_t budget)
{
	uint64_t room = 0, mins = 0;
	double gamma;

	for (int i = 0; i < n; i++) {
		room += vms[i].max - vms[i].min;
		mins += vms[i].min;
	}
	gamma = room && budget > mins ? (double)(budget - mins) / room : 0;
	gamma = gamma > 1 ? 1 : gamma;
	for (int i = 0; i < n; i++)
		vms[i].target = vms[i].min +
				(uint64_t)(gamma * (double)(vms[i].max - vms[i].min));
}

void peer_targets(enum peer p, struct peer_vm *vms, int n, uint64_t budget,
		  uint64_t mib)
{
	switch (p) {
	case PEER_MOM:
		mom(vms, n, budget);
		break;
	case PEER_PVESTATD:
		pvestatd(vms, n, budget, mib);
		break;
	case PEER_SQUEEZED:
		squeezed(vms, n, budget);
		break;
	case PEER_NONE:
		break;
	}
}
