// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: fs - the kvmmem filesystem
 *
 * ``mount -t kvmmem -o size=8G none /run/kvmmem``.  Every regular file is
 * guest-physical memory: QEMU maps it with memory-backend-file,share=on,
 * and balloon inflation arrives as fallocate(PUNCH_HOLE).  Directories
 * exist so libvirt's memory_backing_dir can point into a mount.  Like
 * ramfs, the dentry tree is pinned in memory and the namespace operations
 * come from libfs; what is ours is the data side (file.c, fault.c, the
 * pmap of each file), the size= budget and the backing store of the
 * mount, and the accounting that makes statfs and st_blocks tell the truth
 * about host memory.
 *
 * Sizes: i_size is the guest memory size; st_blocks counts resident
 * frames.  Shrinking a file frees the frames past the new end of file.
 *
 * The module stays loaded while a mount exists (the filesystem type holds
 * a module reference per superblock); unmounting evicts every inode, which
 * frees every frame.  An unlinked file that is still mapped keeps its frames
 * until the last mapping and descriptor go.
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/kvmmem.h>

#include "alloc.h"
#include "compat.h"
#include "file.h"
#include "fs.h"
#include "frametab.h"
#include "pmap.h"
#include "registry.h"
#include "share.h"
#include "stats.h"
#include "swap.h"
#include "sysfs.h"

/* Default size=: half of RAM, as tmpfs does. */
#define KVMMEM_DEFAULT_SIZE_PERCENT	50
/*
 * Every file costs a sysfs directory, a registry id (of a few tens of
 * thousands for all mounts) and scan work even when empty: a mount's
 * files are counted, 4096 by default, enough for hundreds of VMs.
 */
#define KVMMEM_DEFAULT_NR_INODES	4096

static struct kmem_cache *kvmmem_inode_cachep;
static const struct inode_operations kvmmem_dir_inode_ops;

/*
 * Inode numbers.  A regular file's is its registry id plus one: unique
 * among live files, and the name of its sysfs directory, so two files can
 * never want the same one (get_next_ino() wraps after 2^32 inodes of any
 * kind, system-wide).  Directories number from 2^32 up, apart from files.
 */
#define KVMMEM_DIR_INO_BASE	BIT(32)
static_assert(BITS_PER_LONG == 64);	/* as the hint encoding needs */

/* Give a new regular file its id, inode number, domain and sysfs directory. */
static struct inode *register_file(struct inode *inode)
{
	struct kvmmem_inode_info *info = KVMMEM_I(inode);
	int err = kvmmem_registry_add(inode);

	if (!err) {
		inode->i_ino = info->id + 1;
		err = kvmmem_sysfs_file_add(inode);
		if (err)
			kvmmem_registry_del(inode);
	}
	if (err) {
		make_bad_inode(inode);
		iput(inode);
		return ERR_PTR(err);
	}
	info->domain = kvmmem_domain_per_vm ? KVMMEM_DOMAIN_AUTO | info->id : 0;
	atomic_long_inc(&kvmmem_nr_files);
	return inode;
}

/* One inode more for the mount, if nr_inodes= allows it. */
static bool inode_charge(struct kvmmem_sb_info *sbi)
{
	if (atomic_inc_return(&sbi->nr_inodes) <= sbi->max_inodes)
		return true;
	atomic_dec(&sbi->nr_inodes);
	pr_warn_ratelimited("kvmmem: %s: mount has its nr_inodes=%u files and directories\n",
			    current->comm, sbi->max_inodes);
	return false;
}

static struct inode *kvmmem_get_inode(struct super_block *sb,
				      struct kvmmem_idmap *idmap,
				      const struct inode *dir, umode_t mode)
{
	struct inode *inode;

	if (!inode_charge(KVMMEM_SB(sb)))
		return ERR_PTR(-ENOSPC);
	inode = new_inode(sb);
	if (!inode) {
		atomic_dec(&KVMMEM_SB(sb)->nr_inodes);
		return ERR_PTR(-ENOMEM);
	}
	inode->i_ino = KVMMEM_DIR_INO_BASE + get_next_ino();
	inode_init_owner(idmap, inode, dir, mode);
	kvmmem_inode_init_times(inode);
	if (S_ISDIR(mode)) {
		inode->i_op = &kvmmem_dir_inode_ops;
		inode->i_fop = &simple_dir_operations;
		inc_nlink(inode);
		return inode;
	}
	inode->i_op = &kvmmem_file_inode_ops;
	inode->i_fop = &kvmmem_file_ops;
	return register_file(inode);
}

static int kvmmem_make_node(struct kvmmem_idmap *idmap, struct inode *dir,
			    struct dentry *dentry, umode_t mode)
{
	struct inode *inode = kvmmem_get_inode(dir->i_sb, idmap, dir, mode);

	if (IS_ERR(inode))
		return PTR_ERR(inode);
	d_instantiate(dentry, inode);
	dget(dentry);	/* pinned: the dcache is the directory tree */
	kvmmem_inode_touch(dir);
	return 0;
}

static int kvmmem_create(struct kvmmem_idmap *idmap, struct inode *dir,
			 struct dentry *dentry, umode_t mode, bool excl)
{
	return kvmmem_make_node(idmap, dir, dentry, mode);
}

static int kvmmem_mkdir(struct kvmmem_idmap *idmap, struct inode *dir,
			struct dentry *dentry, umode_t mode)
{
	int err = kvmmem_make_node(idmap, dir, dentry, mode | S_IFDIR);

	if (!err)
		inc_nlink(dir);
	return err;
}

static const struct inode_operations kvmmem_dir_inode_ops = {
	.create		= kvmmem_create,
	.lookup		= simple_lookup,
	.unlink		= simple_unlink,
	.mkdir		= kvmmem_mkdir,
	.rmdir		= simple_rmdir,
	.rename		= simple_rename,
	.setattr	= kvmmem_setattr,
};

static struct inode *kvmmem_alloc_inode(struct super_block *sb)
{
	struct kvmmem_inode_info *info;

	info = alloc_inode_sb(sb, kvmmem_inode_cachep, GFP_KERNEL);
	if (!info)
		return NULL;
	kvmmem_pmap_init(&info->pmap);
	kvmmem_alloc_init_file(&info->vfs_inode);
	kvmmem_balloon_init(&info->balloon);
	memset(&info->scan, 0, sizeof(info->scan));
	info->sysfs = NULL;
	info->id = 0;
	info->domain = 0;
	kvmmem_paging_init_vm(&info->paging);
	kvmmem_hotio_init(&info->hotio);
	return &info->vfs_inode;
}

static void kvmmem_free_inode(struct inode *inode)
{
	kmem_cache_free(kvmmem_inode_cachep, KVMMEM_I(inode));
}

static void kvmmem_evict_inode(struct inode *inode)
{
	if (S_ISREG(inode->i_mode) && KVMMEM_I(inode)->sysfs) {
		kvmmem_sysfs_file_del(inode);
		kvmmem_registry_del(inode);
		kvmmem_alloc_release(inode);
		kvmmem_pmap_destroy(inode);
		kvmmem_hotio_destroy(inode);
		atomic_long_dec(&kvmmem_nr_files);
	}
	atomic_dec(&KVMMEM_SB(inode->i_sb)->nr_inodes);
	clear_inode(inode);
}

static int kvmmem_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct kvmmem_sb_info *sbi = KVMMEM_SB(dentry->d_sb);
	struct kvmmem_budget *budget = &sbi->budget;
	unsigned long used = atomic_long_read(&budget->used_pages);

	buf->f_type = KVMMEM_SUPER_MAGIC;
	buf->f_bsize = PAGE_SIZE;
	buf->f_namelen = NAME_MAX;
	buf->f_blocks = budget->max_pages;
	buf->f_bfree = budget->max_pages - min(used, budget->max_pages);
	buf->f_bavail = buf->f_bfree;
	buf->f_files = sbi->max_inodes;
	buf->f_ffree = sbi->max_inodes -
		       min_t(u32, atomic_read(&sbi->nr_inodes), sbi->max_inodes);
	return 0;
}

static int kvmmem_show_options(struct seq_file *m, struct dentry *root)
{
	struct kvmmem_sb_info *sbi = KVMMEM_SB(root->d_sb);

	seq_printf(m, ",size=%luk", sbi->budget.max_pages << (PAGE_SHIFT - 10));
	seq_printf(m, ",nr_inodes=%u", sbi->max_inodes);
	seq_printf(m, ",mode=%o", sbi->root_mode & 07777);
	if (!uid_eq(sbi->root_uid, GLOBAL_ROOT_UID))
		seq_printf(m, ",uid=%u",
			   from_kuid_munged(&init_user_ns, sbi->root_uid));
	if (!gid_eq(sbi->root_gid, GLOBAL_ROOT_GID))
		seq_printf(m, ",gid=%u",
			   from_kgid_munged(&init_user_ns, sbi->root_gid));
	if (sbi->swap_path) {
		seq_puts(m, ",swapfile=");
		seq_escape(m, sbi->swap_path, ", \t\n\\");
	}
	return 0;
}

static const struct super_operations kvmmem_super_ops = {
	.alloc_inode	= kvmmem_alloc_inode,
	.free_inode	= kvmmem_free_inode,
	.evict_inode	= kvmmem_evict_inode,
	.drop_inode	= generic_delete_inode,
	.statfs		= kvmmem_statfs,
	.show_options	= kvmmem_show_options,
};

enum kvmmem_param {
	OPT_SIZE, OPT_NR_INODES, OPT_MODE, OPT_UID, OPT_GID, OPT_SWAPFILE
};

static const struct fs_parameter_spec kvmmem_fs_parameters[] = {
	fsparam_string("size", OPT_SIZE),
	fsparam_u32("nr_inodes", OPT_NR_INODES),
	fsparam_u32oct("mode", OPT_MODE),
	fsparam_u32("uid", OPT_UID),
	fsparam_u32("gid", OPT_GID),
	fsparam_string("swapfile", OPT_SWAPFILE),
	{}
};

/* size=N[kKmMgGtT] in bytes, or size=N% of RAM; at least one page. */
static int parse_size(struct fs_context *fc, const char *str,
		      unsigned long *pages)
{
	unsigned long long bytes;
	char *end;

	bytes = memparse(str, &end);
	if (*end == '%' && end != str && !end[1]) {
		if (bytes > 100)
			return invalfc(fc, "size=%s: more than 100%% of RAM", str);
		bytes = div_u64(bytes * totalram_pages(), 100) << PAGE_SHIFT;
	} else if (*end || end == str) {
		return invalfc(fc, "size=%s: not a size (use e.g. 4G, 512M or 50%%)",
			       str);
	}
	*pages = DIV_ROUND_UP_ULL(bytes, PAGE_SIZE);
	if (!*pages)
		return invalfc(fc, "size=%s: must be at least one page", str);
	if (*pages > totalram_pages())
		return invalfc(fc, "size=%s: larger than host RAM (%luk)", str,
			       totalram_pages() << (PAGE_SHIFT - 10));
	return 0;
}

static int kvmmem_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct kvmmem_sb_info *ctx = fc->fs_private;
	struct fs_parse_result result;
	int opt;

	opt = fs_parse(fc, kvmmem_fs_parameters, param, &result);
	if (opt < 0)
		return opt;
	switch (opt) {
	case OPT_SIZE:
		return parse_size(fc, param->string, &ctx->budget.max_pages);
	case OPT_NR_INODES:
		/* the root directory is one */
		if (!result.uint_32)
			return invalfc(fc, "nr_inodes=0: the root needs one");
		ctx->max_inodes = result.uint_32;
		return 0;
	case OPT_MODE:
		if (result.uint_32 & ~07777)
			return invalfc(fc, "mode=%o: not a permission mode",
				       result.uint_32);
		ctx->root_mode = result.uint_32;
		return 0;
	case OPT_UID:
		ctx->root_uid = make_kuid(current_user_ns(), result.uint_32);
		if (!uid_valid(ctx->root_uid))
			return invalfc(fc, "uid=%u: not mapped in this namespace",
				       result.uint_32);
		return 0;
	case OPT_GID:
		ctx->root_gid = make_kgid(current_user_ns(), result.uint_32);
		if (!gid_valid(ctx->root_gid))
			return invalfc(fc, "gid=%u: not mapped in this namespace",
				       result.uint_32);
		return 0;
	case OPT_SWAPFILE:
		if (param->string[0] != '/')
			return invalfc(fc, "swapfile=%s: not an absolute path",
				       param->string);
		kfree(ctx->swap_path);
		ctx->swap_path = param->string;
		param->string = NULL;
		return 0;
	}
	return -EINVAL;
}

static int kvmmem_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct kvmmem_sb_info *sbi = fc->fs_private;
	struct inode *root;

	fc->fs_private = NULL;	/* the superblock owns it from here */
	sb->s_fs_info = sbi;
	/* a gfn must fit in a hint (frametab.h): 2^39 pages, 2 PiB */
	sb->s_maxbytes = min_t(loff_t, MAX_LFS_FILESIZE,
			       (loff_t)1 << (KVMMEM_HINT_GFN_BITS + PAGE_SHIFT));
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_magic = KVMMEM_SUPER_MAGIC;
	sb->s_op = &kvmmem_super_ops;
	sb->s_time_gran = 1;
	get_random_bytes(&sbi->content_key, sizeof(sbi->content_key));
	if (sbi->swap_path) {
		const char *why = NULL;
		struct kvmmem_swap *swap = kvmmem_swap_open(sbi->swap_path, &why);

		if (IS_ERR(swap)) {
			errorf(fc, "swapfile=%s: %s", sbi->swap_path, why);
			return PTR_ERR(swap);
		}
		sbi->swap = swap;
	}

	root = kvmmem_get_inode(sb, KVMMEM_NOP_IDMAP, NULL,
				S_IFDIR | sbi->root_mode);
	if (IS_ERR(root))
		return PTR_ERR(root);
	root->i_uid = sbi->root_uid;
	root->i_gid = sbi->root_gid;
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		return -ENOMEM;
	atomic_long_add(sbi->budget.max_pages, &kvmmem_mounted_pages);
	return 0;
}

static int kvmmem_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, kvmmem_fill_super);
}

/*
 * Remount may change size=, but not below what the mount holds or has
 * reserved now.  (A reservation racing with the remount may end up above
 * the new size; reservations only ever shrink from there.)
 */
static int kvmmem_reconfigure(struct fs_context *fc)
{
	struct kvmmem_sb_info *ctx = fc->fs_private;
	struct kvmmem_sb_info *sbi = KVMMEM_SB(fc->root->d_sb);
	struct kvmmem_budget *budget = &sbi->budget;
	u64 reserved = kvmmem_alloc_mount_reserved(budget);

	if (ctx->budget.max_pages < atomic_long_read(&budget->used_pages))
		return invalfc(fc, "size=%luk: below the %luk in use",
			       ctx->budget.max_pages << (PAGE_SHIFT - 10),
			       atomic_long_read(&budget->used_pages) <<
			       (PAGE_SHIFT - 10));
	if (ctx->max_inodes < atomic_read(&sbi->nr_inodes))
		return invalfc(fc, "nr_inodes=%u: below the %d in use",
			       ctx->max_inodes, atomic_read(&sbi->nr_inodes));
	if (ctx->swap_path &&
	    (!sbi->swap_path || strcmp(ctx->swap_path, sbi->swap_path)))
		return invalfc(fc, "swapfile=%s: set at mount, cannot change",
			       ctx->swap_path);
	if (ctx->budget.max_pages < reserved)
		return invalfc(fc, "size=%luk: below the %lluk reserved by its files",
			       ctx->budget.max_pages << (PAGE_SHIFT - 10),
			       reserved << (PAGE_SHIFT - 10));
	atomic_long_add(ctx->budget.max_pages - budget->max_pages,
			&kvmmem_mounted_pages);
	budget->max_pages = ctx->budget.max_pages;
	sbi->max_inodes = ctx->max_inodes;
	return 0;
}

static void kvmmem_free_fc(struct fs_context *fc)
{
	struct kvmmem_sb_info *ctx = fc->fs_private;

	if (ctx)
		kfree(ctx->swap_path);
	kfree(ctx);
}

static const struct fs_context_operations kvmmem_context_ops = {
	.free		= kvmmem_free_fc,
	.parse_param	= kvmmem_parse_param,
	.get_tree	= kvmmem_get_tree,
	.reconfigure	= kvmmem_reconfigure,
};

static int kvmmem_init_fs_context(struct fs_context *fc)
{
	struct kvmmem_sb_info *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	kvmmem_budget_init(&ctx->budget, fc->root ?
			   KVMMEM_SB(fc->root->d_sb)->budget.max_pages :
			   totalram_pages() * KVMMEM_DEFAULT_SIZE_PERCENT / 100);
	ctx->max_inodes = fc->root ? KVMMEM_SB(fc->root->d_sb)->max_inodes :
			  KVMMEM_DEFAULT_NR_INODES;
	/* guest RAM: no way in for other local users unless mode= says so */
	ctx->root_mode = 0770;
	ctx->root_uid = current_fsuid();
	ctx->root_gid = current_fsgid();
	fc->fs_private = ctx;
	fc->ops = &kvmmem_context_ops;
	return 0;
}

static void kvmmem_kill_sb(struct super_block *sb)
{
	struct kvmmem_sb_info *sbi = KVMMEM_SB(sb);
	bool counted = sb->s_root;	/* fill_super got to the end */

	kvmmem_registry_drain(sbi);
	kill_litter_super(sb);
	kvmmem_budget_drain(&sbi->budget);
	/* every file is gone, and every slot with it */
	kvmmem_swap_close(sbi->swap);
	kfree(sbi->swap_path);
	if (counted)
		atomic_long_sub(sbi->budget.max_pages, &kvmmem_mounted_pages);
	/* A registry lookup may still be looking at it (registry.c). */
	kfree_rcu(sbi, rcu);
}

static struct file_system_type kvmmem_fs_type = {
	.owner			= THIS_MODULE,
	.name			= KVMMEM_FS_NAME,
	.init_fs_context	= kvmmem_init_fs_context,
	.parameters		= kvmmem_fs_parameters,
	.kill_sb		= kvmmem_kill_sb,
};

static void kvmmem_inode_init_once(void *object)
{
	struct kvmmem_inode_info *info = object;

	inode_init_once(&info->vfs_inode);
}

/**
 * kvmmem_fs_init() - create the inode cache and register the filesystem
 *
 * Return: 0 or a negative errno.
 */
int kvmmem_fs_init(void)
{
	int err;

	kvmmem_inode_cachep = kmem_cache_create("kvmmem_inode_cache",
						sizeof(struct kvmmem_inode_info),
						0, SLAB_RECLAIM_ACCOUNT |
						SLAB_ACCOUNT,
						kvmmem_inode_init_once);
	if (!kvmmem_inode_cachep)
		return -ENOMEM;
	err = register_filesystem(&kvmmem_fs_type);
	if (err)
		kmem_cache_destroy(kvmmem_inode_cachep);
	return err;
}

/**
 * kvmmem_fs_exit() - unregister the filesystem and free the inode cache
 */
void kvmmem_fs_exit(void)
{
	unregister_filesystem(&kvmmem_fs_type);
	rcu_barrier();	/* inodes are freed after an RCU grace period */
	kmem_cache_destroy(kvmmem_inode_cachep);
}
