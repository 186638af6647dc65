/* SPDX-License-Identifier: BSD-3-Clause */
/* landlock.c - one ruleset, through the raw system calls (no library). */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/landlock.h"
#include "os/log.h"

/* Rights of later ABIs than the headers this may be built with know. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE  (1ULL << 14)       /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)       /* ABI 5 */
#endif

/* Every file system right the kernel's ABI knows: each one not handled
 * would stay allowed everywhere. */
static uint64_t handled_rights(int abi)
{
	uint64_t r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;   /* ABI 1: bits 0-12 */

	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return r;
}

/* Within the state directory: what store_file.c and store_lock.c do. */
#define STATE_RIGHTS (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
		      LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
		      LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REFER | \
		      LANDLOCK_ACCESS_FS_TRUNCATE)

int landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

static int allow_beneath(int ruleset, const char *path, uint64_t rights, uint64_t handled)
{
	struct landlock_path_beneath_attr rule = { .allowed_access = rights & handled };
	int ret = 0;

	rule.parent_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rule.parent_fd < 0)
		return -errno;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0)
		ret = -errno;
	close(rule.parent_fd);
	return ret;
}

int landlock_confine(const struct landlock_paths *p)
{
	struct landlock_ruleset_attr attr;
	int abi, ruleset, ret;
	const char *where = p->state_dir ? p->state_dir : "the state file it holds";
	long why;

	why = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (why < 0) {
		/* ENOSYS: not built in; EOPNOTSUPP: built, not enabled (lsm=) */
		log_error("Landlock is not available (%s): the file system is not confined to %s",
			  errno == EOPNOTSUPP ? "not enabled in this kernel" : strerror(errno),
			  where);
		return 0;
	}
	abi = (int)why;
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled_rights(abi);
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0) {
		ret = -errno;
		log_error("Landlock: cannot make a ruleset: %s", strerror(-ret));
		return ret;
	}
	ret = p->state_dir ? allow_beneath(ruleset, p->state_dir, STATE_RIGHTS,
					   attr.handled_access_fs) : 0;
	if (ret < 0)
		log_error("Landlock: the state directory %s: %s", p->state_dir, strerror(-ret));
	/* No way to reach the pid file's directory (a user without search
	 * permission on its path): then it could not remove the file anyway. */
	if (ret == 0 && p->remove_dir &&
	    allow_beneath(ruleset, p->remove_dir, LANDLOCK_ACCESS_FS_REMOVE_FILE,
			  attr.handled_access_fs) < 0)
		log_info("Landlock: %s is out of reach: the pid file will stay", p->remove_dir);
	if (ret == 0 && p->read_anywhere &&
	    (ret = allow_beneath(ruleset, "/", LANDLOCK_ACCESS_FS_READ_FILE |
				 LANDLOCK_ACCESS_FS_READ_DIR, attr.handled_access_fs)) < 0)
		log_error("Landlock: reading /: %s", strerror(-ret));
	if (ret == 0 && p->report_dir &&
	    (ret = allow_beneath(ruleset, p->report_dir, LANDLOCK_ACCESS_FS_MAKE_REG |
				 LANDLOCK_ACCESS_FS_WRITE_FILE, attr.handled_access_fs)) < 0)
		log_error("Landlock: the report directory %s: %s", p->report_dir, strerror(-ret));
	if (ret == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		ret = -errno;
	if (ret == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
		ret = -errno;
		log_error("Landlock: cannot restrict the process: %s", strerror(-ret));
	}
	close(ruleset);
	if (ret < 0)
		return ret;
	log_info("Landlock (ABI %d): the file system is confined to %s", abi, where);
	return abi;
}
