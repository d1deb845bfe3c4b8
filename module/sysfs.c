// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: sysfs - /sys/kernel/mm/kvmmem
 *
 * Global knobs and counters sit at the top, named like KSM's where the
 * meaning is the same.  backends/<ino>/ has one directory per regular file
 * of every mount: its size, resident frames, sharing counts, domain and
 * path inside the mount.  Bad writes get -EINVAL and a ratelimited log
 * line naming the knob and the accepted range.
 *
 * A file's directory is removed in evict_inode, before the inode is freed;
 * kobject_del() waits for readers already inside a show method, so a show
 * never sees a freed inode.
 */
#include <linux/dcache.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "alloc.h"
#include "compat.h"
#include "frametab.h"
#include "fs.h"
#include "hotio.h"
#include "paging.h"
#include "pmap.h"
#include "sample.h"
#include "scan.h"
#include "share.h"
#include "stats.h"
#include "sysfs.h"

struct kvmmem_file_kobj {
	struct kobject kobj;
	struct inode *inode;
};

static struct kobject *kvmmem_kobj;
static struct kobject *backends_kobj;

/* A read-only gauge: an atomic_long_t. */
struct gauge_attribute {
	struct kobj_attribute attr;
	atomic_long_t *value;
};

static ssize_t gauge_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct gauge_attribute *ga = container_of(attr, struct gauge_attribute,
						  attr);

	return sysfs_emit(buf, "%ld\n", atomic_long_read(ga->value));
}

#define GAUGE_ATTR(_name, _value)					\
	static struct gauge_attribute _name##_attr = {			\
		.attr = __ATTR(_name, 0444, gauge_show, NULL),		\
		.value = &(_value),					\
	}

GAUGE_ATTR(pages_allocated, kvmmem_pages_allocated);
GAUGE_ATTR(files, kvmmem_nr_files);
GAUGE_ATTR(pages_shared, kvmmem_pages_shared);
GAUGE_ATTR(zero_pages, kvmmem_zero_pages);
GAUGE_ATTR(ballooned_pages, kvmmem_pages_ballooned);
GAUGE_ATTR(free_reported_pages, kvmmem_pages_reported);
GAUGE_ATTR(swap_slots_used, kvmmem_swap_slots_used);
GAUGE_ATTR(swap_cached_pages, kvmmem_swap_cached);
GAUGE_ATTR(swap_slots_shared, kvmmem_swap_slots_shared);
GAUGE_ATTR(hot_io_pages, kvmmem_hot_io_pages);
GAUGE_ATTR(frames_below_4g, kvmmem_frames_low);

/* A read-only event counter, summed over CPUs. */
struct event_attribute {
	struct kobj_attribute attr;
	enum kvmmem_event event;
};

static ssize_t event_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct event_attribute *ea = container_of(attr, struct event_attribute,
						  attr);

	return sysfs_emit(buf, "%lu\n", kvmmem_stats_event_sum(ea->event));
}

#define EVENT_ATTR(_name, _event)					\
	static struct event_attribute _name##_attr = {			\
		.attr = __ATTR(_name, 0444, event_show, NULL),		\
		.event = _event,					\
	}

EVENT_ATTR(faults, KVMMEM_EV_FAULTS);
EVENT_ATTR(pages_freed_by_punch, KVMMEM_EV_FREED_BY_PUNCH);
EVENT_ATTR(pages_freed_by_truncate, KVMMEM_EV_FREED_BY_TRUNCATE);
EVENT_ATTR(alloc_failures, KVMMEM_EV_ALLOC_FAILURES);
EVENT_ATTR(pages_scanned, KVMMEM_EV_PAGES_SCANNED);
EVENT_ATTR(pages_volatile, KVMMEM_EV_PAGES_VOLATILE);
EVENT_ATTR(pages_busy, KVMMEM_EV_PAGES_BUSY);
EVENT_ATTR(pages_hot_skipped, KVMMEM_EV_PAGES_HOT_SKIPPED);
EVENT_ATTR(page_out_in_use, KVMMEM_EV_PAGE_OUT_IN_USE);
EVENT_ATTR(page_out_hot, KVMMEM_EV_PAGE_OUT_HOT);
EVENT_ATTR(sample_hot, KVMMEM_EV_SAMPLE_HOT);
EVENT_ATTR(hot_io_remapped, KVMMEM_EV_HOT_IO_REMAPPED);
EVENT_ATTR(hot_io_remap_refused, KVMMEM_EV_HOT_IO_REMAP_REFUSED);
EVENT_ATTR(hash_false_matches, KVMMEM_EV_HASH_FALSE_MATCHES);
EVENT_ATTR(cow_breaks, KVMMEM_EV_COW_BREAKS);
EVENT_ATTR(full_scans, KVMMEM_EV_FULL_SCANS);
EVENT_ATTR(balloon_inflated, KVMMEM_EV_PAGES_BALLOONED);
EVENT_ATTR(balloon_deflated, KVMMEM_EV_PAGES_UNBALLOONED);
EVENT_ATTR(free_page_reported, KVMMEM_EV_PAGES_REPORTED);
EVENT_ATTR(free_page_reused, KVMMEM_EV_PAGES_REPORTED_REUSED);
EVENT_ATTR(pages_swapped_out, KVMMEM_EV_PAGES_SWAPPED_OUT);
EVENT_ATTR(pages_swapped_in, KVMMEM_EV_PAGES_SWAPPED_IN);
EVENT_ATTR(swap_io_errors, KVMMEM_EV_SWAP_IO_ERRORS);
EVENT_ATTR(checksum_errors, KVMMEM_EV_CHECKSUM_ERRORS);
EVENT_ATTR(swap_full, KVMMEM_EV_SWAP_FULL);
EVENT_ATTR(reclaim_waits, KVMMEM_EV_RECLAIM_WAITS);
EVENT_ATTR(swap_reads, KVMMEM_EV_SWAP_READS);
EVENT_ATTR(state_transitions, KVMMEM_EV_STATE_TRANSITIONS);
EVENT_ATTR(uncooperative, KVMMEM_EV_UNCOOPERATIVE);
EVENT_ATTR(low_waits, KVMMEM_EV_LOW_WAITS);
EVENT_ATTR(swap_readahead_pages, KVMMEM_EV_SWAP_READAHEAD);
EVENT_ATTR(pages_swapped_out_clean, KVMMEM_EV_PAGES_OUT_CLEAN);
EVENT_ATTR(pages_swapped_out_shared, KVMMEM_EV_PAGES_OUT_SHARED);

/* A writable unsigned knob with a range. */
struct knob_attribute {
	struct kobj_attribute attr;
	unsigned int *value;
	unsigned int min, max;
};

static ssize_t knob_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct knob_attribute *ka = container_of(attr, struct knob_attribute,
						 attr);

	return sysfs_emit(buf, "%u\n", READ_ONCE(*ka->value));
}

static int parse_uint(const struct attribute *attr, const char *buf,
		      unsigned int min, unsigned int max, unsigned int *value)
{
	if (!kstrtouint(buf, 10, value) && *value >= min && *value <= max)
		return 0;
	pr_warn_ratelimited("kvmmem: %s: \"%.*s\" is not a number in %u..%u\n",
			    attr->name, (int)strcspn(buf, "\n"), buf, min, max);
	return -EINVAL;
}

static ssize_t knob_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	struct knob_attribute *ka = container_of(attr, struct knob_attribute,
						 attr);
	unsigned int value;
	int err = parse_uint(&attr->attr, buf, ka->min, ka->max, &value);

	if (err)
		return err;
	WRITE_ONCE(*ka->value, value);
	kvmmem_scan_wake();
	return count;
}

#define KNOB_ATTR(_name, _value, _min, _max)				\
	static struct knob_attribute _name##_attr = {			\
		.attr = __ATTR(_name, 0644, knob_show, knob_store),	\
		.value = &(_value),					\
		.min = _min,						\
		.max = _max,						\
	}

KNOB_ATTR(pages_to_scan, kvmmem_pages_to_scan, 1, 1000000);
KNOB_ATTR(pages_to_scan_per_file, kvmmem_pages_to_scan_per_file, 0, 1000000);
KNOB_ATTR(sleep_millisecs, kvmmem_sleep_millisecs, 0, 600000);
KNOB_ATTR(max_page_sharing, kvmmem_max_page_sharing, 2, 1U << 20);
KNOB_ATTR(max_hints, kvmmem_max_hints, 0, 1U << 30);
KNOB_ATTR(tax_rate, kvmmem_tax_rate, 0, KVMMEM_POLICY_TAX_MAX);
KNOB_ATTR(sample_pages, kvmmem_sample_pages, 1, 1024);
KNOB_ATTR(balloon_timeout_ms, kvmmem_balloon_timeout_ms, 100, 3600000);
KNOB_ATTR(swap_readahead, kvmmem_swap_readahead, 0, 32);
KNOB_ATTR(hot_io_threshold, kvmmem_hot_io_threshold, 1, KVMMEM_HEAT_MAX);
KNOB_ATTR(hot_io_remap, kvmmem_hot_io_remap, 0, 1);
KNOB_ATTR(hot_io_remap_max_percent, kvmmem_hot_io_remap_max_percent, 0, 50);

static ssize_t sample_period_ms_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(kvmmem_sample_period_ms));
}

static ssize_t sample_period_ms_store(struct kobject *kobj,
				      struct kobj_attribute *attr,
				      const char *buf, size_t count)
{
	unsigned int ms;
	int err = parse_uint(&attr->attr, buf, 100, 3600000, &ms);

	if (err)
		return err;
	WRITE_ONCE(kvmmem_sample_period_ms, ms);
	kvmmem_sample_reschedule();
	return count;
}

static struct kobj_attribute sample_period_ms_attr = __ATTR_RW(sample_period_ms);

static ssize_t budget_pages_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(kvmmem_budget_pages));
}

static ssize_t budget_pages_store(struct kobject *kobj,
				  struct kobj_attribute *attr,
				  const char *buf, size_t count)
{
	unsigned long pages;

	if (kstrtoul(buf, 10, &pages) || pages > totalram_pages()) {
		pr_warn_ratelimited("kvmmem: budget_pages: \"%.*s\" is not a number in 0..%lu\n",
				    (int)strcspn(buf, "\n"), buf, totalram_pages());
		return -EINVAL;
	}
	WRITE_ONCE(kvmmem_budget_pages, pages);
	return count;
}

static struct kobj_attribute budget_pages_attr = __ATTR_RW(budget_pages);

static ssize_t effective_budget_pages_show(struct kobject *kobj,
					   struct kobj_attribute *attr,
					   char *buf)
{
	return sysfs_emit(buf, "%llu\n", kvmmem_alloc_budget());
}

static struct kobj_attribute effective_budget_pages_attr =
	__ATTR_RO(effective_budget_pages);

GAUGE_ATTR(reserved_pages, kvmmem_reserved_pages);

static ssize_t free_state_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  kvmmem_policy_state_name(kvmmem_alloc_state()));
}

static struct kobj_attribute free_state_attr = __ATTR_RO(free_state);

/* The four free memory thresholds must stay ordered: check them as a set. */
struct threshold_attribute {
	struct kobj_attribute attr;
	size_t offset;		/* of the field in the thresholds */
};

static u32 *threshold(struct kvmmem_policy_thresholds *th,
		      struct kobj_attribute *attr)
{
	struct threshold_attribute *ta =
		container_of(attr, struct threshold_attribute, attr);

	return (u32 *)((char *)th + ta->offset);
}

static ssize_t threshold_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(*threshold(&kvmmem_thresholds, attr)));
}

static ssize_t threshold_store(struct kobject *kobj,
			       struct kobj_attribute *attr,
			       const char *buf, size_t count)
{
	struct kvmmem_policy_thresholds th = kvmmem_thresholds;
	unsigned int value;

	if (parse_uint(&attr->attr, buf, 0, 100, &value))
		return -EINVAL;
	*threshold(&th, attr) = value;
	if (!kvmmem_policy_thresholds_valid(&th)) {
		pr_warn_ratelimited("kvmmem: %s: %u breaks low < hard < soft < high <= 100\n",
				    attr->attr.name, value);
		return -EINVAL;
	}
	WRITE_ONCE(*threshold(&kvmmem_thresholds, attr), value);
	return count;
}

#define THRESHOLD_ATTR(_name, _field)					\
	static struct threshold_attribute _name##_attr = {		\
		.attr = __ATTR(_name, 0644, threshold_show,		\
			       threshold_store),			\
		.offset = offsetof(struct kvmmem_policy_thresholds,	\
				   _field),				\
	}

THRESHOLD_ATTR(free_high_percent, high);
THRESHOLD_ATTR(free_soft_percent, soft);
THRESHOLD_ATTR(free_hard_percent, hard);
THRESHOLD_ATTR(free_low_percent, low);

static ssize_t run_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%u\n", kvmmem_scan_run());
}

static ssize_t run_store(struct kobject *kobj, struct kobj_attribute *attr,
			 const char *buf, size_t count)
{
	unsigned int run;
	int err = parse_uint(&attr->attr, buf, KVMMEM_RUN_STOP,
			     KVMMEM_RUN_UNMERGE, &run);

	if (!err)
		err = kvmmem_scan_set_run(run);
	return err ?: count;
}

static struct kobj_attribute run_attr = __ATTR_RW(run);

static const char *const domain_modes[] = { "all", "per_vm" };

static ssize_t default_domain_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", domain_modes[READ_ONCE(kvmmem_domain_per_vm)]);
}

static ssize_t default_domain_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	int mode = sysfs_match_string(domain_modes, buf);

	if (mode < 0) {
		pr_warn_ratelimited("kvmmem: default_domain: \"%.*s\" is neither \"all\" nor \"per_vm\"\n",
				    (int)strcspn(buf, "\n"), buf);
		return -EINVAL;
	}
	WRITE_ONCE(kvmmem_domain_per_vm, mode);
	return count;
}

static struct kobj_attribute default_domain_attr = __ATTR_RW(default_domain);

static long pages_sharing(void)
{
	return atomic_long_read(&kvmmem_sharers) -
	       atomic_long_read(&kvmmem_pages_shared);
}

static ssize_t pages_sharing_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", pages_sharing());
}

static struct kobj_attribute pages_sharing_attr = __ATTR_RO(pages_sharing);

static ssize_t pages_unshared_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", kvmmem_frametab_hints());
}

static struct kobj_attribute pages_unshared_attr = __ATTR_RO(pages_unshared);

static ssize_t table_probes_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", kvmmem_frametab_probes());
}

static struct kobj_attribute table_probes_attr = __ATTR_RO(table_probes);

static ssize_t hint_drops_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", kvmmem_frametab_hint_drops());
}

static struct kobj_attribute hint_drops_attr = __ATTR_RO(hint_drops);

static ssize_t metadata_bytes_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%zu\n", kvmmem_share_metadata_bytes());
}

static struct kobj_attribute metadata_bytes_attr = __ATTR_RO(metadata_bytes);

static ssize_t zero_frame_refs_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", kvmmem_pmap_zero_frame_refs());
}

static struct kobj_attribute zero_frame_refs_attr = __ATTR_RO(zero_frame_refs);

static ssize_t general_profit_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	long saved = pages_sharing() + atomic_long_read(&kvmmem_zero_pages);

	return sysfs_emit(buf, "%ld\n", saved * (long)PAGE_SIZE -
			  (long)kvmmem_share_metadata_bytes());
}

static struct kobj_attribute general_profit_attr = __ATTR_RO(general_profit);

static struct attribute *kvmmem_attrs[] = {
	&pages_allocated_attr.attr.attr,
	&files_attr.attr.attr,
	&faults_attr.attr.attr,
	&pages_freed_by_punch_attr.attr.attr,
	&pages_freed_by_truncate_attr.attr.attr,
	&ballooned_pages_attr.attr.attr,
	&free_reported_pages_attr.attr.attr,
	&balloon_inflated_attr.attr.attr,
	&balloon_deflated_attr.attr.attr,
	&free_page_reported_attr.attr.attr,
	&free_page_reused_attr.attr.attr,
	&swap_slots_used_attr.attr.attr,
	&swap_cached_pages_attr.attr.attr,
	&swap_slots_shared_attr.attr.attr,
	&pages_swapped_out_attr.attr.attr,
	&pages_swapped_out_clean_attr.attr.attr,
	&pages_swapped_out_shared_attr.attr.attr,
	&pages_swapped_in_attr.attr.attr,
	&swap_io_errors_attr.attr.attr,
	&checksum_errors_attr.attr.attr,
	&swap_full_attr.attr.attr,
	&reclaim_waits_attr.attr.attr,
	&swap_reads_attr.attr.attr,
	&state_transitions_attr.attr.attr,
	&uncooperative_attr.attr.attr,
	&low_waits_attr.attr.attr,
	&swap_readahead_pages_attr.attr.attr,
	&swap_readahead_attr.attr.attr,
	&balloon_timeout_ms_attr.attr.attr,
	&alloc_failures_attr.attr.attr,
	&run_attr.attr,
	&pages_to_scan_attr.attr.attr,
	&pages_to_scan_per_file_attr.attr.attr,
	&sleep_millisecs_attr.attr.attr,
	&max_page_sharing_attr.attr.attr,
	&max_hints_attr.attr.attr,
	&default_domain_attr.attr,
	&pages_shared_attr.attr.attr,
	&pages_sharing_attr.attr,
	&pages_unshared_attr.attr,
	&pages_volatile_attr.attr.attr,
	&pages_busy_attr.attr.attr,
	&pages_hot_skipped_attr.attr.attr,
	&page_out_in_use_attr.attr.attr,
	&page_out_hot_attr.attr.attr,
	&sample_hot_attr.attr.attr,
	&hot_io_pages_attr.attr.attr,
	&hot_io_threshold_attr.attr.attr,
	&hot_io_remap_attr.attr.attr,
	&hot_io_remap_max_percent_attr.attr.attr,
	&hot_io_remapped_attr.attr.attr,
	&hot_io_remap_refused_attr.attr.attr,
	&frames_below_4g_attr.attr.attr,
	&pages_scanned_attr.attr.attr,
	&full_scans_attr.attr.attr,
	&zero_pages_attr.attr.attr,
	&zero_frame_refs_attr.attr,
	&cow_breaks_attr.attr.attr,
	&hash_false_matches_attr.attr.attr,
	&table_probes_attr.attr,
	&hint_drops_attr.attr,
	&metadata_bytes_attr.attr,
	&general_profit_attr.attr,
	&tax_rate_attr.attr.attr,
	&sample_pages_attr.attr.attr,
	&sample_period_ms_attr.attr,
	&budget_pages_attr.attr,
	&effective_budget_pages_attr.attr,
	&reserved_pages_attr.attr.attr,
	&free_state_attr.attr,
	&free_high_percent_attr.attr.attr,
	&free_soft_percent_attr.attr.attr,
	&free_hard_percent_attr.attr.attr,
	&free_low_percent_attr.attr.attr,
	NULL,
};

static const struct attribute_group kvmmem_attr_group = {
	.attrs = kvmmem_attrs,
};

static struct inode *attr_inode(struct kobject *kobj)
{
	return container_of(kobj, struct kvmmem_file_kobj, kobj)->inode;
}

/*
 * A VM's own numbers are root's alone: "sharing" in particular tells when
 * a page of some guest matched another's, the side channel that sharing
 * domains exist to close.
 */
#define FILE_ATTR_RO(_name)	__ATTR_RO_MODE(_name, 0400)

static ssize_t size_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%lld\n", i_size_read(attr_inode(kobj)));
}

static struct kobj_attribute size_attr = FILE_ATTR_RO(size);

/*
 * A per-file counter: an atomic_long_t of its pmap's or its paging's,
 * read as the owner keeps it.
 */
struct counter_attribute {
	struct kobj_attribute attr;
	size_t offset;		/* in struct kvmmem_inode_info */
};

static ssize_t file_counter_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	struct counter_attribute *ca = container_of(attr,
						    struct counter_attribute,
						    attr);
	void *info = KVMMEM_I(attr_inode(kobj));

	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read((atomic_long_t *)(info + ca->offset)));
}

/* _var names the attribute where the global one of that _name is taken */
#define COUNTER_ATTR(_var, _name, _field)				\
	static struct counter_attribute _var##_attr = {			\
		.attr = __ATTR(_name, 0400, file_counter_show, NULL),	\
		.offset = offsetof(struct kvmmem_inode_info, _field),	\
	}

COUNTER_ATTR(resident, resident, pmap.resident);
COUNTER_ATTR(sharing, sharing, pmap.sharing);
COUNTER_ATTR(zero, zero, pmap.zero);
COUNTER_ATTR(ballooned, ballooned, pmap.ballooned);
COUNTER_ATTR(free_reported, free_reported, pmap.reported);
COUNTER_ATTR(swapped_out, swapped_out, pmap.swapped);
COUNTER_ATTR(file_swapped_out, pages_swapped_out, paging.swapped_out);
COUNTER_ATTR(file_swapped_in, pages_swapped_in, paging.swapped_in);
COUNTER_ATTR(swap_cached, swap_cached_pages, paging.cached);
COUNTER_ATTR(file_io_errors, swap_io_errors, paging.io_errors);
COUNTER_ATTR(file_checksum_errors, checksum_errors, paging.checksum_errors);
COUNTER_ATTR(file_hot_io, hot_io_pages, hotio.hot);

static ssize_t domain_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(KVMMEM_I(attr_inode(kobj))->domain));
}

static struct kobj_attribute domain_attr = FILE_ATTR_RO(domain);

static ssize_t shares_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", kvmmem_alloc_shares(attr_inode(kobj)));
}

static struct kobj_attribute shares_attr = FILE_ATTR_RO(shares);

static ssize_t min_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  READ_ONCE(KVMMEM_I(attr_inode(kobj))->alloc.min_pages));
}

static struct kobj_attribute min_attr = FILE_ATTR_RO(min);

static ssize_t max_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%llu\n", kvmmem_alloc_max(attr_inode(kobj)));
}

static struct kobj_attribute max_attr = FILE_ATTR_RO(max);

static ssize_t target_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  READ_ONCE(KVMMEM_I(attr_inode(kobj))->alloc.target));
}

static struct kobj_attribute target_attr = FILE_ATTR_RO(target);

static ssize_t balloon_target_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	u64 seq;

	return sysfs_emit(buf, "%llu\n",
			  kvmmem_balloon_target(attr_inode(kobj), &seq));
}

static struct kobj_attribute balloon_target_attr = FILE_ATTR_RO(balloon_target);

static ssize_t uncooperative_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	u64 target;

	return sysfs_emit(buf, "%d\n",
			  kvmmem_balloon_uncooperative(attr_inode(kobj), &target));
}

static struct kobj_attribute file_uncooperative_attr =
	__ATTR(uncooperative, 0400, uncooperative_show, NULL);

static ssize_t active_estimate_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	struct kvmmem_vm_alloc *va = &KVMMEM_I(attr_inode(kobj))->alloc;
	u32 est;

	spin_lock(&va->idle_lock);
	est = kvmmem_policy_idle_estimate(&va->idle);
	spin_unlock(&va->idle_lock);
	return sysfs_emit(buf, "%u\n",
			  (est * 100 + KVMMEM_POLICY_FRAC_ONE / 2) >>
			  KVMMEM_POLICY_FRAC_SHIFT);
}

static struct kobj_attribute active_estimate_attr = FILE_ATTR_RO(active_estimate);

static ssize_t path_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct dentry *dentry = d_find_alias(attr_inode(kobj));
	char *tmp, *path;
	ssize_t len;

	if (!dentry)
		return sysfs_emit(buf, "(unlinked)\n");
	tmp = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!tmp) {
		dput(dentry);
		return -ENOMEM;
	}
	path = dentry_path_raw(dentry, tmp, PATH_MAX);
	len = IS_ERR(path) ? PTR_ERR(path) : sysfs_emit(buf, "%s\n", path);
	kfree(tmp);
	dput(dentry);
	return len;
}

static struct kobj_attribute path_attr = FILE_ATTR_RO(path);

static struct attribute *file_attrs[] = {
	&size_attr.attr,
	&resident_attr.attr.attr,
	&sharing_attr.attr.attr,
	&zero_attr.attr.attr,
	&ballooned_attr.attr.attr,
	&free_reported_attr.attr.attr,
	&swapped_out_attr.attr.attr,
	&file_swapped_out_attr.attr.attr,
	&file_swapped_in_attr.attr.attr,
	&swap_cached_attr.attr.attr,
	&file_io_errors_attr.attr.attr,
	&file_checksum_errors_attr.attr.attr,
	&file_hot_io_attr.attr.attr,
	&balloon_target_attr.attr,
	&file_uncooperative_attr.attr,
	&domain_attr.attr,
	&shares_attr.attr,
	&min_attr.attr,
	&max_attr.attr,
	&target_attr.attr,
	&active_estimate_attr.attr,
	&path_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(file);

static void file_kobj_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct kvmmem_file_kobj, kobj));
}

static const struct kobj_type file_ktype = {
	.release	= file_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= file_groups,
};

/**
 * kvmmem_sysfs_file_add() - create backends/<ino>/ for a new regular file
 * @inode: the new inode
 *
 * Return: 0 or a negative errno.
 */
int kvmmem_sysfs_file_add(struct inode *inode)
{
	/* the VM's: charged to the creator's memcg (kernfs's nodes are not) */
	struct kvmmem_file_kobj *fk = kzalloc(sizeof(*fk), GFP_KERNEL_ACCOUNT);
	int err;

	if (!fk)
		return -ENOMEM;
	fk->inode = inode;
	err = kobject_init_and_add(&fk->kobj, &file_ktype, backends_kobj, "%lu",
				   inode->i_ino);
	if (err) {
		kobject_put(&fk->kobj);
		return err;
	}
	KVMMEM_I(inode)->sysfs = fk;
	return 0;
}

/**
 * kvmmem_sysfs_file_del() - remove the directory of an inode being evicted
 * @inode: the inode
 */
void kvmmem_sysfs_file_del(struct inode *inode)
{
	struct kvmmem_file_kobj *fk = KVMMEM_I(inode)->sysfs;

	kobject_del(&fk->kobj);
	kobject_put(&fk->kobj);
	KVMMEM_I(inode)->sysfs = NULL;
}

/**
 * kvmmem_sysfs_init() - create /sys/kernel/mm/kvmmem
 *
 * Return: 0 or a negative errno.
 */
int kvmmem_sysfs_init(void)
{
	struct kobject *mm = kvmmem_mm_kobj();
	int err;

	if (!mm)
		return -ENOENT;
	kvmmem_kobj = kobject_create_and_add("kvmmem", mm);
	if (!kvmmem_kobj)
		return -ENOMEM;
	err = sysfs_create_group(kvmmem_kobj, &kvmmem_attr_group);
	if (err)
		goto fail;
	backends_kobj = kobject_create_and_add("backends", kvmmem_kobj);
	if (!backends_kobj) {
		err = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	kobject_put(kvmmem_kobj);
	return err;
}

/**
 * kvmmem_sysfs_exit() - remove /sys/kernel/mm/kvmmem
 */
void kvmmem_sysfs_exit(void)
{
	kobject_put(backends_kobj);
	kobject_put(kvmmem_kobj);
}
