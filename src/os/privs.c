/* SPDX-License-Identifier: BSD-3-Clause */
/* privs.c - --runas, --chroot, and giving up every privilege once (libcap-ng
 * does the capability calls; verify() reads the result back from the kernel). */
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cap-ng.h>

#include "os/log.h"
#include "os/privs.h"

/* A whole number that fits uid_t, and is not (uid_t)-1 ("no change"). */
static bool parse_uid(const char *s, uid_t *out)
{
	unsigned long long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
		if (v >= (uid_t)-1)
			return false;
	}
	*out = (uid_t)v;
	return true;
}

static int load_groups(const char *name, gid_t gid, struct privs_user *u)
{
	int n = 16;

	for (;;) {
		gid_t *g = calloc((size_t)n, sizeof(*g));
		int want = n;

		if (!g)
			return -ENOMEM;
		if (getgrouplist(name, gid, g, &want) >= 0) {
			u->groups = g;
			u->ngroups = (size_t)want;
			return 0;
		}
		free(g);
		if (want <= n)          /* no progress: give up rather than loop */
			return -EINVAL;
		n = want;
	}
}

int privs_lookup_user(const char *spec, struct privs_user *u,
		      char *err, size_t errlen)
{
	struct passwd *pw;
	uid_t uid = 0;
	bool numeric;
	int ret;

	memset(u, 0, sizeof(*u));
	numeric = parse_uid(spec, &uid);
	pw = getpwnam(spec);
	if (!pw && numeric)
		pw = getpwuid(uid);
	if (!pw && !numeric) {
		snprintf(err, errlen, "--runas: no such user '%s'", spec);
		return -ENOENT;
	}
	u->name = strdup(spec);
	if (!u->name)
		return -ENOMEM;
	if (pw) {
		u->uid = pw->pw_uid;
		u->gid = pw->pw_gid;
		ret = load_groups(pw->pw_name, pw->pw_gid, u);
	} else {
		/* A bare uid: nothing says which groups it has, so only its own. */
		u->uid = uid;
		u->gid = (gid_t)uid;
		u->groups = malloc(sizeof(*u->groups));
		ret = u->groups ? 0 : -ENOMEM;
		if (u->groups) {
			u->groups[0] = u->gid;
			u->ngroups = 1;
		}
	}
	if (ret < 0) {
		snprintf(err, errlen, "--runas: cannot list the groups of '%s': %s",
			 spec, strerror(-ret));
		privs_user_free(u);
	}
	return ret;
}

void privs_user_free(struct privs_user *u)
{
	free(u->name);
	free(u->groups);
	memset(u, 0, sizeof(*u));
}

/*
 * glibc loads libgcc_s the first time a thread is cancelled, and the FUSE
 * loop cancels its workers when it ends: by then a chroot may hide the
 * library and the seccomp filter should see no library being mapped. Once
 * loaded (and never unloaded) glibc finds it by name without any I/O.
 */
void privs_preload_libs(void)
{
	(void)dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NODELETE);
}

int privs_chroot(const char *dir)
{
	privs_preload_libs();
	if (chroot(dir) < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	return 0;
}

int privs_enter_user(const struct privs_user *u)
{
	if (setgroups(u->ngroups, u->groups) < 0 || setegid(u->gid) < 0 ||
	    seteuid(u->uid) < 0)
		return -errno;
	return 0;
}

int privs_leave_user(void)
{
	if (seteuid(0) < 0 || setegid(0) < 0)
		return -errno;
	return 0;
}

static int fail(const char *step)
{
	int err = errno ? errno : EPERM;

	log_error("privileges: %s: %s", step, strerror(err));
	return -err;
}

/* What privs_drop() promises, read back with plain syscalls (no /proc:
 * there may be none in a chroot). */
static int verify(const struct privs_user *u)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	uid_t want_uid = u ? u->uid : 0, r, e, s;
	gid_t gr, ge, gs;
	int cap, i, in_bounding;

	errno = 0;
	if (getresuid(&r, &e, &s) < 0 || r != want_uid || e != want_uid ||
	    s != want_uid)
		return fail("uid did not change");
	if (u && (getresgid(&gr, &ge, &gs) < 0 || gr != u->gid ||
		  ge != u->gid || gs != u->gid))
		return fail("gid did not change");
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return fail("capget");
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		if (data[i].effective || data[i].permitted || data[i].inheritable) {
			errno = 0;
			return fail("capabilities left after the drop");
		}
	}
	/* PR_CAPBSET_READ fails with EINVAL past the kernel's last capability. */
	for (cap = 0; (in_bounding = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) >= 0;
	     cap++) {
		if (in_bounding ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1) {
			errno = 0;
			return fail("bounding or ambient capability left");
		}
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return fail("no_new_privs is not set");
	if (want_uid != 0 && setuid(0) == 0) {
		errno = 0;
		return fail("uid 0 could be regained");
	}
	return 0;
}

/* capng_change_id()'s negative results, each the step that failed. */
static const char *change_id_step(int rc)
{
	switch (rc) {
	case -2: case -7: return "PR_SET_KEEPCAPS";
	case -3: return "keeping CAP_SETUID/SETGID/SETPCAP for the change";
	case -4: return "setresgid";
	case -6: return "setresuid";
	case -8: return "clearing the bounding set";
	case -9: return "clearing the capability sets";
	default: return "capng_change_id";
	}
}

int privs_drop(const struct privs_user *u)
{
	int rc;

	errno = 0;
	/* What libcap-ng will apply: no capability in any set (effective,
	 * permitted, inheritable, bounding, ambient). */
	capng_clear(CAPNG_SELECT_ALL);
	if (u) {
		if (setgroups(u->ngroups, u->groups) < 0)
			return fail("setgroups");
		/* In the order the kernel requires: the bounding set while
		 * CAP_SETPCAP is still held, then gid, uid, and the empty sets
		 * last (the supplementary groups are ours, set above). */
		rc = capng_change_id((int)u->uid, (int)u->gid,
				     CAPNG_CLEAR_BOUNDING | CAPNG_CLEAR_AMBIENT);
		if (rc < 0)
			return fail(change_id_step(rc));
	} else if (capng_apply(CAPNG_SELECT_ALL) < 0) {
		/* bounding set first (it needs CAP_SETPCAP), then the rest */
		return fail("clearing the capability sets");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail("PR_SET_NO_NEW_PRIVS");
	return verify(u);
}
