/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_FAULT_H
#define KVMMEM_FAULT_H

#include <linux/fs.h>
#include <linux/mm_types.h>

int kvmmem_fault_mmap(struct file *file, struct vm_area_struct *vma);

#endif /* KVMMEM_FAULT_H */
