// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: fault - mapping guest RAM into QEMU, and through it into KVM
 *
 * Mappings are MAP_SHARED only: guest RAM is the file, and a private COW
 * copy in one process would silently diverge from what KVM and the other
 * mappers see.  Nothing is installed at mmap time; each page arrives on its
 * first touch.
 *
 * The fault hands its page back in vmf->page, locked: the core installs an
 * ordinary refcounted PTE (so KVM's hva_to_pfn and get_user_pages work on
 * it) and unlocks the page afterwards, which is what lets pmap removal wait
 * for a fault that is half-way through (see pmap.c).  Special PTEs
 * (vmf_insert_pfn and friends) are avoided because KVM cannot follow them.
 *
 * A read fault on a hole or on a zero entry maps the zero frame and
 * allocates nothing (pmap.c).
 *
 * page_mkwrite is wired so that every first write to a page comes to us;
 * this is where copy-on-write of shared frames breaks: the gfn gets a
 * private copy, the read-only PTE of the shared frame is zapped, and the
 * fault is retried to map the copy.  A write fault with no PTE at all gets
 * the private copy from the fault handler directly.  For a private frame
 * page_mkwrite only re-checks, under the page lock, that the page still
 * belongs to the file: if it was removed meanwhile, the PTE is being
 * zapped and the access is retried.  It must return the page locked:
 * returning 0 for a page with no ->mapping makes the core retry forever.
 *
 * Taking pages away from a VM always goes through unmap_mapping_pages(),
 * which fires the MMU notifier: that is how KVM learns of it, with no
 * private KVM symbol.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "compat.h"
#include "fault.h"
#include "pmap.h"
#include "sample.h"
#include "stats.h"

static vm_fault_t errno_to_fault(int err)
{
	return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
}

static vm_fault_t kvmmem_fault(struct vm_fault *vmf)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	struct page *page;
	int err;

	kvmmem_count(KVMMEM_EV_FAULTS, 1);
	kvmmem_sample_touch(inode, vmf->pgoff);
	do {
		if (!write) {
			err = kvmmem_pmap_map_zero(vmf->vma, vmf->address,
						   inode, vmf->pgoff);
			if (err != -ENOENT)
				return err ? errno_to_fault(err) : VM_FAULT_NOPAGE;
		}
		page = kvmmem_pmap_lock_page(inode, vmf->pgoff,
					     KVMMEM_PMAP_EOF |
					     (write ? KVMMEM_PMAP_WRITE : 0));
		/* -ENOENT: the frame went since map_zero looked; look again */
	} while (page == ERR_PTR(-ENOENT));
	if (IS_ERR(page))
		return errno_to_fault(PTR_ERR(page));
	vmf->page = page;
	return VM_FAULT_LOCKED;
}

static vm_fault_t kvmmem_page_mkwrite(struct vm_fault *vmf)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	int err = kvmmem_pmap_mkwrite(inode, vmf->pgoff, vmf->page);

	if (!err)
		return VM_FAULT_LOCKED;
	if (err == -EAGAIN)
		return VM_FAULT_NOPAGE;
	return errno_to_fault(err);
}

static const struct vm_operations_struct kvmmem_vm_ops = {
	.fault = kvmmem_fault,
	.page_mkwrite = kvmmem_page_mkwrite,
};

/**
 * kvmmem_fault_mmap() - the mmap file operation of a kvmmem file
 * @file: the file being mapped
 * @vma: the new mapping
 *
 * Return: 0, or -EINVAL for a private mapping.
 */
int kvmmem_fault_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_MAYSHARE)) {
		pr_warn_ratelimited("kvmmem: %s: MAP_PRIVATE of guest RAM refused, use MAP_SHARED (share=on in QEMU)\n",
				    current->comm);
		return -EINVAL;
	}
	file_accessed(file);
	kvmmem_vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP |
			    VM_DONTCOPY);
	vma->vm_ops = &kvmmem_vm_ops;
	return 0;
}
