/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_oci_state.c - the container state a hook reads on its stdin. The
 * input is that stdin. Whatever it holds, the reader (through a file
 * descriptor, as the hook gets it) and the parser agree, and either give
 * an id and a state name that are safe file names or say why in one line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_argv.h"
#include "vtpm-cdi/oci_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_state parsed, read_back;
	char err[512], err2[512];
	int fd, a, b;

	err[0] = err2[0] = '\0';
	a = oci_state_parse((const char *)data, size, &parsed, err, sizeof(err));
	if (a < 0) {
		fuzz_check_one_line(err);
	} else if (!oci_id_valid(parsed.id) ||
		   (parsed.state_name[0] && !oci_id_valid(parsed.state_name)) ||
		   strchr(parsed.id, '/') || strchr(parsed.state_name, '/')) {
		abort();
	}
	fd = memfd_create("state", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return 0;
	}
	b = oci_state_read(fd, &read_back, err2, sizeof(err2));
	close(fd);
	if (a != b)
		abort();
	if (b < 0)
		fuzz_check_one_line(err2);
	else if (strcmp(parsed.id, read_back.id) || strcmp(parsed.state_name, read_back.state_name))
		abort();
	return 0;
}
