/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_IOCTL_H
#define KVMMEM_IOCTL_H

#include <linux/fs.h>

long kvmmem_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* KVMMEM_IOCTL_H */
