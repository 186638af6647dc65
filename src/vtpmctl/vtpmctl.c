/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtpmctl - control client for a CUSE TPM (vtpmd, swtpm cuse): the commands
 * and output of swtpm_ioctl on include/vtpm/ioctl.h, and "vtpmctl bios" for
 * what swtpm_bios does to a TPM 2.
 *
 * Exit status: 0 success, 1 any failure (as swtpm_ioctl); for bios see
 * ctl_bios.h.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vtpmctl/ctl_args.h"
#include "vtpmctl/ctl_bios.h"
#include "vtpmctl/ctl_dev.h"
#include "vtpmctl/ctl_ops.h"
#include "vtpmctl/ctl_state.h"

static int run(int fd, const struct ctl_args *a)
{
	switch (a->command) {
	case CTL_CAPS:              return ctl_caps(fd);
	case CTL_INIT:              return ctl_init(fd);
	case CTL_STOP:              return ctl_stop(fd);
	case CTL_SHUTDOWN:          return ctl_shutdown(fd);
	case CTL_GET_ESTABLISHED:   return ctl_get_established(fd);
	case CTL_RESET_ESTABLISHED: return ctl_reset_established(fd, a->locality);
	case CTL_STORE_VOLATILE:    return ctl_store_volatile(fd);
	case CTL_CANCEL:            return ctl_cancel(fd);
	case CTL_SET_LOCALITY:      return ctl_set_locality(fd, a->locality);
	case CTL_HASH:              return ctl_hash(fd, a->hash_data);
	case CTL_GET_CONFIG:        return ctl_get_config(fd);
	case CTL_BUFFERSIZE:        return ctl_buffersize(fd, a->buffersize);
	case CTL_INFO:              return ctl_info(fd, a->info_flags);
	case CTL_LOCK_STORAGE:      return ctl_lock_storage(fd, a->retries);
	case CTL_SAVE:
		return ctl_state_save(fd, a->blob_type, a->blob_file,
				      ctl_state_buffersize_from_env());
	case CTL_LOAD:
		return ctl_state_load(fd, a->blob_type, a->blob_file,
				      ctl_state_buffersize_from_env());
	case CTL_NONE:
	case CTL_HELP:
	case CTL_VERSION:
		break;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct ctl_args a;
	int fd, ret;

	if (argc > 1 && strcmp(argv[1], "bios") == 0)
		return ctl_bios_main(argc - 1, argv + 1, argv[0]);
	if (ctl_args_parse(argc, argv, &a) < 0)
		return EXIT_FAILURE;
	if (a.command == CTL_HELP) {
		ctl_usage(argv[0], stdout);
		return EXIT_SUCCESS;
	}
	if (a.command == CTL_VERSION) {
		ctl_version(stdout);
		return EXIT_SUCCESS;
	}
	fd = ctl_dev_open(a.device);
	if (fd < 0)
		return EXIT_FAILURE;
	ret = run(fd, &a);
	close(fd);
	return ret < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
