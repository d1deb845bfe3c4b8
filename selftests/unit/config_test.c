// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmemd.conf parsing (userspace/config.c): what a valid file gives, and
 * that every kind of mistake is refused with its line and reason, leaving
 * nothing half-parsed behind.
 */
#include <string.h>

#include "check.h"
#include "config.h"

static bool test_valid(void)
{
	static const char text[] =
		"# a comment\n"
		"[defaults]\n"
		"qmp_dir = /run/qmp   # trailing comment\n"
		"qmp_timeout_ms = 2500\n"
		"trusted_uids = 0, 64055\n"
		"\n"
		"[vm web-1]\n"
		"shares = 2000\n"
		"min = 512M\n"
		"max = 4G\n"
		"domain = 0\n"
		"[ vm  db.2 ]\n"
		"  qmp = /run/db.sock  \r\n";
	const struct vm_config *web, *db;
	struct config cfg;
	char err[256] = "";

	CHECK(config_parse("t.conf", text, &cfg, err, sizeof(err)) == 0);
	CHECK(!strcmp(cfg.qmp_dir, "/run/qmp"));
	CHECK_EQ(cfg.qmp_timeout_ms, 2500);
	CHECK_EQ(cfg.scan_ms, 2000);
	CHECK_EQ(cfg.guest_stats_s, 2);
	CHECK_EQ(cfg.guest_reserve, 64LL << 20);
	CHECK(cfg.nr_trusted == 2 && cfg.trusted[0] == 0 && cfg.trusted[1] == 64055);
	CHECK_EQ(cfg.nr_vms, 2);
	web = config_find(&cfg, "web-1");
	db = config_find(&cfg, "db.2");
	CHECK(web && db && !config_find(&cfg, "web"));
	CHECK_EQ(web->shares, 2000);
	CHECK_EQ(web->min, 512ULL << 20);
	CHECK_EQ(web->max, 4ULL << 30);
	CHECK_EQ(web->domain, 0);
	CHECK(!web->qmp[0]);
	CHECK(!strcmp(db->qmp, "/run/db.sock"));
	CHECK(db->shares == -1 && db->min == -1 && db->max == -1 && db->domain == -1);
	config_free(&cfg);
	return true;
}

static bool refused(const char *text, const char *want)
{
	struct config cfg;
	char err[256] = "";

	if (config_parse("t.conf", text, &cfg, err, sizeof(err)) != -1 ||
	    !strstr(err, want) || cfg.vms || cfg.nr_vms) {
		tap_diag("%s: got '%s', wanted '%s'", text, err, want);
		return false;
	}
	return true;
}

static bool test_errors(void)
{
	struct config cfg;
	char err[256];

	CHECK(refused("shares = 1\n", "t.conf:1: key = value before any section"));
	CHECK(refused("[vm a]\nshares = 0\n", "t.conf:2: shares wants"));
	CHECK(refused("[vm a]\nshares = 4294967296\n", "t.conf:2: shares wants"));
	CHECK(refused("[vm a]\nshares = 12x\n", "t.conf:2: shares wants"));
	CHECK(refused("[vm a]\nmin = 1Q\n", "t.conf:2: min wants bytes"));
	CHECK(refused("[vm a]\nmax = 99999999999999999999\n", "t.conf:2: max wants"));
	CHECK(refused("[vm a]\nmax = 9000000T\n", "t.conf:2: max wants"));
	CHECK(refused("[vm a]\ndomain = 2147483648\n", "t.conf:2: domain wants"));
	CHECK(refused("[vm a]\nqmp = x.sock\n", "t.conf:2: qmp must be an absolute"));
	CHECK(refused("[vm a]\ncolour = blue\n", "t.conf:2: unknown key 'colour'"));
	CHECK(refused("[vm a]\nshares\n", "t.conf:2: expected key = value"));
	CHECK(refused("[vm a]\n[vm a]\n", "t.conf:2: [vm a] again"));
	CHECK(refused("[vm a/b]\n", "t.conf:1: a VM name"));
	CHECK(refused("[vm]\n", "t.conf:1: unknown section"));
	CHECK(refused("[vms a]\n", "t.conf:1: unknown section"));
	CHECK(refused("[vm a] x\n", "t.conf:1: a section header"));
	CHECK(refused("[defaults]\nscan_ms = 5\n", "t.conf:2: scan_ms wants"));
	CHECK(refused("[defaults]\nfoo = 1\n", "t.conf:2: unknown key 'foo'"));
	CHECK(refused("[defaults]\nguest_stats_s = 3601\n", "t.conf:2: guest_stats_s wants"));
	CHECK(!config_parse("t.conf", "[defaults]\nguest_stats_s = 0\nguest_reserve = 1G\n",
			    &cfg, err, sizeof(err)));
	CHECK(cfg.guest_stats_s == 0 && cfg.guest_reserve == 1LL << 30);
	config_free(&cfg);
	CHECK(refused("[defaults]\nguest_reserve = 5Q\n", "t.conf:2: guest_reserve wants"));
	CHECK(refused("[vm a]\nmin = 2G\nmax = 1G\n", "min is above max"));
	CHECK(refused("[defaults]\ntrusted_uids = root\n", "t.conf:2: trusted_uids wants"));
	CHECK(refused("[defaults]\ntrusted_uids = ,\n", "t.conf:2: trusted_uids is empty"));
	CHECK(refused("[defaults]\ntrusted_uids = 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
		      "t.conf:2: trusted_uids: at most"));
	return true;
}

int main(void)
{
	tap_plan(2);
	tap_result(test_valid(), "a valid file: defaults, VMs, sizes, comments");
	tap_result(test_errors(), "mistakes: refused with line and reason, nothing kept");
	return tap_exit();
}
