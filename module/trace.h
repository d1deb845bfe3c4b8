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

TRACE_EVENT(kvmmem_cow_break,
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
	    TP_printk("ino=%lu gfn=%#lx shared_pfn=%#lx private_pfn=%#lx%s",
		      __entry->ino, __entry->gfn, __entry->old_pfn,
		      __entry->new_pfn,
		      __entry->old_pfn == __entry->new_pfn ? " last-sharer" : "")
);

#endif /* KVMMEM_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
