// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: sysfs - /sys/kernel/mm/kvmmem
 *
 * Global counters sit at the top, named like KSM's where the meaning is the
 * same.  backends/<ino>/ has one directory per regular file of every mount,
 * with its size, resident frames and path inside the mount.
 *
 * A file's directory is removed in evict_inode, before the inode is freed;
 * kobject_del() waits for readers already inside a show method, so a show
 * never sees a freed inode.
 */
#include <linux/dcache.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "fs.h"
#include "stats.h"
#include "sysfs.h"

struct kvmmem_file_kobj {
	struct kobject kobj;
	struct inode *inode;
};

static struct kobject *kvmmem_kobj;
static struct kobject *backends_kobj;

static ssize_t pages_allocated_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&kvmmem_pages_allocated));
}

static struct kobj_attribute pages_allocated_attr = __ATTR_RO(pages_allocated);

static ssize_t files_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&kvmmem_nr_files));
}

static struct kobj_attribute files_attr = __ATTR_RO(files);

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

static struct attribute *kvmmem_attrs[] = {
	&pages_allocated_attr.attr,
	&files_attr.attr,
	&faults_attr.attr.attr,
	&pages_freed_by_punch_attr.attr.attr,
	&pages_freed_by_truncate_attr.attr.attr,
	&alloc_failures_attr.attr.attr,
	NULL,
};

static const struct attribute_group kvmmem_attr_group = {
	.attrs = kvmmem_attrs,
};

static struct inode *attr_inode(struct kobject *kobj)
{
	return container_of(kobj, struct kvmmem_file_kobj, kobj)->inode;
}

static ssize_t size_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%lld\n", i_size_read(attr_inode(kobj)));
}

static struct kobj_attribute size_attr = __ATTR_RO(size);

static ssize_t resident_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct inode *inode = attr_inode(kobj);

	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&KVMMEM_I(inode)->pmap.resident));
}

static struct kobj_attribute resident_attr = __ATTR_RO(resident);

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

static struct kobj_attribute path_attr = __ATTR_RO(path);

static struct attribute *file_attrs[] = {
	&size_attr.attr,
	&resident_attr.attr,
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
	struct kvmmem_file_kobj *fk = kzalloc(sizeof(*fk), GFP_KERNEL);
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
