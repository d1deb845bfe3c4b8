/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_SHIM_SLAB_H
#define KVMMEM_SHIM_SLAB_H

#include <linux/types.h>

#define kvcalloc(n, size, gfp)	calloc(n, size)
#define kvfree(p)		free(p)

#endif
