// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem: memory overcommit for KVM hosts in the manner of VMware ESX
 * (Waldspurger, "Memory Resource Management in VMware ESX Server",
 * OSDI 2002).  Guest RAM is served from the kvmmem filesystem; see
 * Documentation/design.rst.
 */
#include <linux/module.h>

#include "fs.h"
#include "paging.h"
#include "pmap.h"
#include "sample.h"
#include "scan.h"
#include "share.h"
#include "sysfs.h"

/*
 * The machinery first, the interfaces that reach it last (sysfs knobs,
 * then the filesystem, whose files need the sysfs root for their
 * directories); on the way out, the interfaces go first.  Otherwise a
 * knob written in between re-arms work that runs after the module is gone
 * (a write to sample_period_ms after the sampling work was cancelled).
 */
static int __init kvmmem_init(void)
{
	int err;

	err = kvmmem_pmap_setup();
	if (err)
		return err;
	err = kvmmem_share_init();
	if (err)
		goto fail_share;
	err = kvmmem_scan_init();
	if (err)
		goto fail_scan;
	kvmmem_sample_init();
	err = kvmmem_paging_init();
	if (err)
		goto fail_paging;
	err = kvmmem_sysfs_init();
	if (err)
		goto fail_sysfs;
	err = kvmmem_fs_init();
	if (err)
		goto fail_fs;
	return 0;
fail_fs:
	kvmmem_sysfs_exit();
fail_sysfs:
	kvmmem_paging_exit();
fail_paging:
	kvmmem_sample_exit();
	kvmmem_scan_exit();
fail_scan:
	kvmmem_share_exit();
fail_share:
	kvmmem_pmap_teardown();
	return err;
}

static void __exit kvmmem_exit(void)
{
	kvmmem_fs_exit();
	kvmmem_sysfs_exit();
	kvmmem_paging_exit();
	kvmmem_sample_exit();
	kvmmem_scan_exit();
	kvmmem_share_exit();
	kvmmem_pmap_teardown();
}

module_init(kvmmem_init);
module_exit(kvmmem_exit);

MODULE_DESCRIPTION("Guest RAM for KVM with ESX-style memory overcommit");
MODULE_AUTHOR("kvmmem developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS_FS("kvmmem");
