/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Other hosts' balloon policies, modelled for kvmmem-sim so that kvmmem's
 * policy can be compared with them on one scenario (Documentation/
 * policy.rst, "Against other balloon policies"): oVirt MOM's default
 * balloon rules, Proxmox VE's pvestatd auto-ballooning, and XAPI's
 * squeezed.  Each sets balloon targets from the host's free memory and
 * what the guests report; none samples guest memory or taxes idle memory.
 * The models are simplified (peers.c says where).
 */
#ifndef KVMMEM_PEERS_H
#define KVMMEM_PEERS_H

#include <stdint.h>

enum peer { PEER_NONE, PEER_MOM, PEER_PVESTATD, PEER_SQUEEZED };

/* Seconds between two runs of each peer's policy (all three: 10 s). */
#define PEER_INTERVAL	10

/* What a peer's policy sees of one VM, in pages, and what it sets. */
struct peer_vm {
	uint64_t alloc;		/* memory outside the balloon */
	uint64_t unused;	/* what the guest reports free */
	uint64_t min, max;	/* the VM's bounds */
	uint32_t shares;	/* pvestatd's shares */
	uint64_t target;	/* in: the last target; out: the new one */
};

/* "mom", "pvestatd", "squeezed" (or "kvmmem": PEER_NONE); -1 if unknown. */
int peer_parse(const char *name);

const char *peer_name(enum peer p);

/*
 * One run of peer @p's policy over @n VMs sharing @budget pages (the
 * host's memory for guests); @mib is pages per MiB.
 */
void peer_targets(enum peer p, struct peer_vm *vms, int n, uint64_t budget,
		  uint64_t mib);

#endif /* KVMMEM_PEERS_H */
