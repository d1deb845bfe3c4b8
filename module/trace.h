/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvmmem

#if !defined(KVMMEM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define KVMMEM_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(kvmmem_merge,
	    TP_PROTO(unsigned long ino, unsigned long gfn, unsigned long pfn,
		     bool zero),
	    TP_ARGS(ino, gfn, pfn, zero),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __field(unsigned long, gfn)
			     __field(unsigned long, pfn)
			     __field(bool, zero)),
	    TP_fast_assign(__entry->ino = ino;
			   __entry->gfn = gfn;
			   __entry->pfn = pfn;
			   __entry->zero = zero;),
	    TP_printk("ino=%lu gfn=%#lx frame_pfn=%#lx%s", __entry->ino,
		      __entry->gfn, __entry->pfn,
		      __entry->zero ? " zero" : "")
);

/* A guest page's entry moves from one frame to another. */
DECLARE_EVENT_CLASS(kvmmem_frame_switch,
		    TP_PROTO(unsigned long ino, unsigned long gfn,
			     unsigned long old_pfn, unsigned long new_pfn),
		    TP_ARGS(ino, gfn, old_pfn, new_pfn),
		    TP_STRUCT__entry(__field(unsigned long, ino)
				     __field(unsigned long, gfn)
				     __field(unsigned long, old_pfn)
				     __field(unsigned long, new_pfn)),
		    TP_fast_assign(__entry->ino = ino;
				   __entry->gfn = gfn;
				   __entry->old_pfn = old_pfn;
				   __entry->new_pfn = new_pfn;),
		    TP_printk("ino=%lu gfn=%#lx old_pfn=%#lx new_pfn=%#lx",
			      __entry->ino, __entry->gfn, __entry->old_pfn,
			      __entry->new_pfn)
);

DEFINE_EVENT_PRINT(kvmmem_frame_switch, kvmmem_cow_break,
		   TP_PROTO(unsigned long ino, unsigned long gfn,
			    unsigned long old_pfn, unsigned long new_pfn),
		   TP_ARGS(ino, gfn, old_pfn, new_pfn),
		   TP_printk("ino=%lu gfn=%#lx shared_pfn=%#lx private_pfn=%#lx%s",
			     __entry->ino, __entry->gfn, __entry->old_pfn,
			     __entry->new_pfn,
			     __entry->old_pfn == __entry->new_pfn ?
			     " last-sharer" : "")
);

/* hotio.c: a hot page moved below 4 GiB */
DEFINE_EVENT(kvmmem_frame_switch, kvmmem_hot_io_remap,
	     TP_PROTO(unsigned long ino, unsigned long gfn,
		      unsigned long old_pfn, unsigned long new_pfn),
	     TP_ARGS(ino, gfn, old_pfn, new_pfn)
);

TRACE_EVENT(kvmmem_sample,
	    TP_PROTO(unsigned long ino, u32 sampled, u32 touched, u32 estimate),
	    TP_ARGS(ino, sampled, touched, estimate),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __field(u32, sampled)
			     __field(u32, touched)
			     __field(u32, estimate)),
	    TP_fast_assign(__entry->ino = ino;
			   __entry->sampled = sampled;
			   __entry->touched = touched;
			   __entry->estimate = estimate;),
	    TP_printk("ino=%lu touched=%u/%u active_estimate=%u/65536",
		      __entry->ino, __entry->touched, __entry->sampled,
		      __entry->estimate)
);

TRACE_EVENT(kvmmem_target,
	    TP_PROTO(unsigned long ino, u64 target, u32 active),
	    TP_ARGS(ino, target, active),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __field(u64, target)
			     __field(u32, active)),
	    TP_fast_assign(__entry->ino = ino;
			   __entry->target = target;
			   __entry->active = active;),
	    TP_printk("ino=%lu target_pages=%llu active=%u/65536",
		      __entry->ino, __entry->target, __entry->active)
);

TRACE_EVENT(kvmmem_state_change,
	    TP_PROTO(const char *old, const char *new, u64 free, u64 budget),
	    TP_ARGS(old, new, free, budget),
	    TP_STRUCT__entry(__field(const char *, old)
			     __field(const char *, new)
			     __field(u64, free)
			     __field(u64, budget)),
	    TP_fast_assign(__entry->old = old;
			   __entry->new = new;
			   __entry->free = free;
			   __entry->budget = budget;),
	    TP_printk("%s -> %s free=%llu budget=%llu pages", __entry->old,
		      __entry->new, __entry->free, __entry->budget)
);

TRACE_EVENT(kvmmem_balloon_target,
	    TP_PROTO(unsigned long ino, u64 target, u64 seq),
	    TP_ARGS(ino, target, seq),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __field(u64, target)
			     __field(u64, seq)),
	    TP_fast_assign(__entry->ino = ino;
			   __entry->target = target;
			   __entry->seq = seq;),
	    TP_printk("ino=%lu balloon_target_pages=%llu seq=%llu",
		      __entry->ino, __entry->target, __entry->seq)
);

TRACE_EVENT(kvmmem_page_out,
	    TP_PROTO(unsigned long ino, unsigned long gfn, unsigned int n,
		     unsigned long slot),
	    TP_ARGS(ino, gfn, n, slot),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __field(unsigned long, gfn)
			     __field(unsigned int, n)
			     __field(unsigned long, slot)),
	    TP_fast_assign(__entry->ino = ino;
			   __entry->gfn = gfn;
			   __entry->n = n;
			   __entry->slot = slot;),
	    TP_printk("ino=%lu first_gfn=%#lx pages=%u first_slot=%lu",
		      __entry->ino, __entry->gfn, __entry->n, __entry->slot)
);

TRACE_EVENT(kvmmem_page_in,
	    TP_PROTO(unsigned long ino, unsigned long gfn, unsigned long slot,
		     int err),
	    TP_ARGS(ino, gfn, slot, err),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __field(unsigned long, gfn)
			     __field(unsigned long, slot)
			     __field(int, err)),
	    TP_fast_assign(__entry->ino = ino;
			   __entry->gfn = gfn;
			   __entry->slot = slot;
			   __entry->err = err;),
	    TP_printk("ino=%lu gfn=%#lx slot=%lu err=%d", __entry->ino,
		      __entry->gfn, __entry->slot, __entry->err)
);

#endif /* KVMMEM_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
