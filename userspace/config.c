// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmemd.conf parsing (config.h).  A line is blank, a comment, a section
 * header "[defaults]" or "[vm NAME]", or "key = value" inside a section.
 */
#define _GNU_SOURCE

#include "config.h"
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHARES_MAX	0xffffffffLL
#define DOMAIN_MAX	0x7fffffffLL

struct parser {
	const char *file;
	int line;
	char *err;
	size_t errlen;
};

static int error(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%d: ", p->file, p->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int parse_number(const char *s, long long min, long long max,
			long long *out)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int copy_path(struct parser *p, char *dst, const char *value,
		     const char *key)
{
	if (value[0] != '/')
		return error(p, "%s must be an absolute path", key);
	if (strlen(value) >= CONFIG_PATH_MAX)
		return error(p, "%s is longer than %d bytes", key,
			     CONFIG_PATH_MAX - 1);
	strcpy(dst, value);
	return 0;
}

static int set_default(struct parser *p, struct config *cfg, const char *key,
		       const char *value)
{
	long long v;

	if (!strcmp(key, "qmp_dir"))
		return copy_path(p, cfg->qmp_dir, value, key);
	if (!strcmp(key, "record"))
		return copy_path(p, cfg->record, value, key);
	if (!strcmp(key, "metrics")) {
		if (value[0] == '/')
			return copy_path(p, cfg->metrics, value, key);
		if (!strchr(value, ':') || strlen(value) >= CONFIG_PATH_MAX)
			return error(p, "metrics wants ADDRESS:PORT or an absolute path");
		strcpy(cfg->metrics, value);
		return 0;
	}
	if (!strcmp(key, "qmp_timeout_ms")) {
		if (parse_number(value, 100, 600000, &v))
			return error(p, "qmp_timeout_ms wants 100..600000");
		cfg->qmp_timeout_ms = (int)v;
		return 0;
	}
	if (!strcmp(key, "trusted_uids")) {
		char *copy = strdup(value), *tok, *save = NULL;
		int ret = 0;

		if (!copy)
			return error(p, "out of memory");
		cfg->nr_trusted = 0;
		for (tok = strtok_r(copy, " \t,", &save); tok && !ret;
		     tok = strtok_r(NULL, " \t,", &save)) {
			if (cfg->nr_trusted == CONFIG_MAX_UIDS)
				ret = error(p, "trusted_uids: at most %d", CONFIG_MAX_UIDS);
			else if (parse_number(tok, 0, 0xfffffffeLL, &v))
				ret = error(p, "trusted_uids wants numeric uids");
			else
				cfg->trusted[cfg->nr_trusted++] = (unsigned int)v;
		}
		free(copy);
		if (!ret && !cfg->nr_trusted)
			ret = error(p, "trusted_uids is empty");
		return ret;
	}
	if (!strcmp(key, "guest_stats_s")) {
		if (parse_number(value, 0, 3600, &v))
			return error(p, "guest_stats_s wants 0..3600 (0: off)");
		cfg->guest_stats_s = (int)v;
		return 0;
	}
	if (!strcmp(key, "guest_reserve")) {
		unsigned long long bytes;

		if (parse_bytes(value, 1ULL << 62, &bytes))
			return error(p, "guest_reserve wants bytes, with K, M, G or T");
		cfg->guest_reserve = (long long)bytes;
		return 0;
	}
	if (!strcmp(key, "scan_ms")) {
		if (parse_number(value, 100, 600000, &v))
			return error(p, "scan_ms wants 100..600000");
		cfg->scan_ms = (int)v;
		return 0;
	}
	return error(p, "unknown key '%s' in [defaults] (qmp_dir, qmp_timeout_ms, scan_ms, metrics, trusted_uids, guest_stats_s, guest_reserve, record)",
		     key);
}

static int set_vm(struct parser *p, struct vm_config *vm, const char *key,
		  const char *value)
{
	if (!strcmp(key, "qmp"))
		return copy_path(p, vm->qmp, value, key);
	if (!strcmp(key, "shares")) {
		if (parse_number(value, 1, SHARES_MAX, &vm->shares))
			return error(p, "shares wants 1..%lld", SHARES_MAX);
		return 0;
	}
	if (!strcmp(key, "domain")) {
		if (parse_number(value, 0, DOMAIN_MAX, &vm->domain))
			return error(p, "domain wants 0..%lld", DOMAIN_MAX);
		return 0;
	}
	if (!strcmp(key, "min") || !strcmp(key, "max")) {
		unsigned long long v;

		if (parse_bytes(value, 1ULL << 62, &v))
			return error(p, "%s wants bytes, with K, M, G or T", key);
		*(key[1] == 'i' ? &vm->min : &vm->max) = (long long)v;
		return 0;
	}
	return error(p, "unknown key '%s' in [vm %s] (shares, min, max, domain, qmp)",
		     key, vm->name);
}

static int valid_name(const char *s)
{
	if (!*s || strlen(s) >= CONFIG_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return 0;
	return 1;
}

/* A "[...]" line; returns the VM it opens, or NULL for [defaults]. */
static int section(struct parser *p, struct config *cfg, char *s,
		   struct vm_config **vm)
{
	char *end = strchr(s, ']');
	struct vm_config *more;

	if (!end || trim(end + 1)[0])
		return error(p, "a section header is [defaults] or [vm NAME]");
	*end = '\0';
	s = trim(s + 1);
	if (!strcmp(s, "defaults")) {
		*vm = NULL;
		return 0;
	}
	if (strncmp(s, "vm", 2) || !isspace((unsigned char)s[2]))
		return error(p, "unknown section [%s] (defaults, vm NAME)", s);
	s = trim(s + 2);
	if (!valid_name(s))
		return error(p, "a VM name is 1..%d letters, digits, '.', '_' or '-'",
			     CONFIG_NAME_MAX - 1);
	if (config_find(cfg, s))
		return error(p, "[vm %s] again", s);
	more = realloc(cfg->vms, (cfg->nr_vms + 1) * sizeof(*more));
	if (!more)
		return error(p, "out of memory");
	cfg->vms = more;
	*vm = &cfg->vms[cfg->nr_vms++];
	memset(*vm, 0, sizeof(**vm));
	strcpy((*vm)->name, s);
	(*vm)->shares = (*vm)->min = (*vm)->max = (*vm)->domain = -1;
	return 0;
}

int config_parse(const char *file, const char *text, struct config *cfg,
		 char *err, size_t errlen)
{
	struct parser p = { file, 0, err, errlen };
	struct vm_config *vm = NULL;
	bool in_section = false;
	const char *next;
	char line[1024];
	int ret = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->qmp_timeout_ms = 5000;
	cfg->scan_ms = 2000;
	cfg->guest_stats_s = 2;
	cfg->guest_reserve = 64LL << 20;
	cfg->trusted[0] = 0;	/* root */
	cfg->nr_trusted = 1;
	for (; *text && !ret; text = next) {
		size_t len = strcspn(text, "\n");
		char *s, *eq;

		next = text + len + (text[len] == '\n');
		p.line++;
		if (len >= sizeof(line)) {
			ret = error(&p, "line longer than %zu bytes", sizeof(line) - 1);
			break;
		}
		memcpy(line, text, len);
		line[len] = '\0';
		line[strcspn(line, "#")] = '\0';
		s = trim(line);
		if (!*s)
			continue;
		if (*s == '[') {
			ret = section(&p, cfg, s, &vm);
			in_section = true;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			ret = error(&p, "expected key = value");
			continue;
		}
		*eq = '\0';
		if (!in_section)
			ret = error(&p, "key = value before any section");
		else if (vm)
			ret = set_vm(&p, vm, trim(s), trim(eq + 1));
		else
			ret = set_default(&p, cfg, trim(s), trim(eq + 1));
	}
	for (size_t i = 0; !ret && i < cfg->nr_vms; i++) {
		vm = &cfg->vms[i];
		if (vm->min >= 0 && vm->max >= 0 && vm->min > vm->max) {
			p.line = 0;
			ret = error(&p, "[vm %s]: min is above max", vm->name);
		}
	}
	if (ret)
		config_free(cfg);
	return ret;
}

int config_load(const char *file, struct config *cfg, char *err,
		size_t errlen)
{
	FILE *f = fopen(file, "re");
	char *text = NULL;
	size_t cap = 0, len = 0, got;
	int ret;

	if (!f) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	do {
		if (len + 4096 + 1 > cap) {
			char *more = realloc(text, cap = 2 * cap + 8192);

			if (!more) {
				free(text);
				fclose(f);
				snprintf(err, errlen, "%s: out of memory", file);
				return -1;
			}
			text = more;
		}
		got = fread(text + len, 1, 4096, f);
		len += got;
	} while (got && len < (1u << 20));
	fclose(f);
	text[len] = '\0';
	if (len >= (1u << 20)) {
		free(text);
		snprintf(err, errlen, "%s: larger than 1 MiB", file);
		return -1;
	}
	ret = config_parse(file, text, cfg, err, errlen);
	free(text);
	return ret;
}

void config_free(struct config *cfg)
{
	free(cfg->vms);
	cfg->vms = NULL;
	cfg->nr_vms = 0;
}

const struct vm_config *config_find(const struct config *cfg,
				    const char *name)
{
	for (size_t i = 0; i < cfg->nr_vms; i++)
		if (!strcmp(cfg->vms[i].name, name))
			return &cfg->vms[i];
	return NULL;
}
