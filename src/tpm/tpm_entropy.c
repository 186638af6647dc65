/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpm_entropy.c - where libtpms' randomness comes from: the kernel.
 *
 * libtpms asks OpenSSL's RAND_bytes() for the entropy that seeds the TPM's
 * own DRBG (48 bytes at a Startup). Left alone, OpenSSL 3 answers the
 * first call by reading its configuration, loading the default provider,
 * fetching every cipher it offers and instantiating a chain of AES-256
 * CTR-DRBGs seeded from getrandom(): about 8 million instructions, two
 * thirds of a daemon's start-up, for bytes the kernel gives directly.
 * So RAND_bytes() (and RAND_priv_bytes()) in this process read
 * getrandom(2), which is also fork-safe with no reseeding to get right.
 * The rest of OpenSSL still loads its configuration and providers when
 * first used (an RSA key, a state key). A kernel in FIPS mode keeps
 * OpenSSL's DRBG: there the approved DRBG is the rule, not the kernel.
 */
/* RAND_METHOD is OpenSSL 3.0's one way to replace the default RAND
 * without a provider of our own; it is deprecated, not gone. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "tpm/tpm_internal.h"

static int kernel_bytes(unsigned char *buf, int num)
{
	size_t done = 0, want;
	ssize_t n;

	if (num < 0)
		return 0;
	want = (size_t)num;
	while (done < want) {
		n = getrandom(buf + done, want - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		done += (size_t)n;
	}
	return 1;
}

static int kernel_status(void)
{
	return 1;
}

static const RAND_METHOD kernel_rand = {
	.bytes = kernel_bytes,
	.pseudorand = kernel_bytes,
	.status = kernel_status,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int installed;

/* /proc/sys/crypto/fips_enabled says 1 (absent: no FIPS mode). */
static bool kernel_in_fips_mode(void)
{
	char c = '0';
	int fd = open("/proc/sys/crypto/fips_enabled", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

static void install(void)
{
	installed = kernel_in_fips_mode() || RAND_set_rand_method(&kernel_rand) == 1;
}

int tpm_entropy_from_kernel(void)
{
	pthread_once(&once, install);
	return installed ? 0 : -EIO;
}

bool tpm_entropy_is_kernel(void)
{
	return RAND_get_rand_method() == &kernel_rand;
}
