/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtpm/ioctl.h - control interface of a CUSE virtual TPM (/dev/vtpmN).
 *
 * The request numbers and struct layouts are those of swtpm's CUSE mode, so
 * any client written for swtpm (swtpm_ioctl, libvirt, QEMU's old cuse-tpm
 * backend) drives vtpmd unchanged, and vtpmctl drives swtpm. All fields are
 * in native byte order. Every request is a "restricted" ioctl: its size is
 * encoded in the request number.
 */
#ifndef VTPM_IOCTL_H
#define VTPM_IOCTL_H

#include <stdint.h>
#include <sys/ioctl.h>

typedef uint32_t ptm_res;       /* TPM result code of an operation */

/* PTM_GET_CAPABILITY: bitmap of supported requests (no result field). */
typedef uint64_t ptm_cap;

#define PTM_CAP_INIT               (1 << 0)
#define PTM_CAP_SHUTDOWN           (1 << 1)
#define PTM_CAP_GET_TPMESTABLISHED (1 << 2)
#define PTM_CAP_SET_LOCALITY       (1 << 3)
#define PTM_CAP_HASHING            (1 << 4)
#define PTM_CAP_CANCEL_TPM_CMD     (1 << 5)
#define PTM_CAP_STORE_VOLATILE     (1 << 6)
#define PTM_CAP_RESET_TPMESTABLISHED (1 << 7)
#define PTM_CAP_GET_STATEBLOB      (1 << 8)
#define PTM_CAP_SET_STATEBLOB      (1 << 9)
#define PTM_CAP_STOP               (1 << 10)
#define PTM_CAP_GET_CONFIG         (1 << 11)
#define PTM_CAP_SET_DATAFD         (1 << 12)
#define PTM_CAP_SET_BUFFERSIZE     (1 << 13)
#define PTM_CAP_GET_INFO           (1 << 14)
#define PTM_CAP_SEND_COMMAND_HEADER (1 << 15)
#define PTM_CAP_LOCK_STORAGE       (1 << 16)

/* PTM_GET_TPMESTABLISHED */
struct ptm_est {
	union {
		struct {
			ptm_res tpm_result;
			unsigned char bit;      /* TPM established bit */
		} resp;
	} u;
};

/* PTM_RESET_TPMESTABLISHED */
struct ptm_reset_est {
	union {
		struct {
			uint8_t loc;            /* locality to use (3 or 4) */
		} req;
		struct {
			ptm_res tpm_result;
		} resp;
	} u;
};

/* PTM_INIT */
struct ptm_init {
	union {
		struct {
			uint32_t init_flags;
		} req;
		struct {
			ptm_res tpm_result;
		} resp;
	} u;
};

#define PTM_INIT_FLAG_DELETE_VOLATILE (1 << 0) /* drop volatile state */

/* PTM_SET_LOCALITY */
struct ptm_loc {
	union {
		struct {
			uint8_t loc;            /* 0..4 */
		} req;
		struct {
			ptm_res tpm_result;
		} resp;
	} u;
};

/* PTM_HASH_DATA */
struct ptm_hdata {
	union {
		struct {
			uint32_t length;
			uint8_t data[4096];
		} req;
		struct {
			ptm_res tpm_result;
		} resp;
	} u;
};

/* Largest state or info chunk moved by one ioctl (keeps replies < 4 KiB). */
#define PTM_STATE_BLOB_SIZE (3 * 1024)

/* PTM_GET_STATEBLOB */
struct ptm_getstate {
	union {
		struct {
			uint32_t state_flags;   /* PTM_STATE_FLAG_DECRYPTED */
			uint32_t type;          /* PTM_BLOB_TYPE_* */
			uint32_t offset;        /* where this chunk starts */
		} req;
		struct {
			ptm_res tpm_result;
			uint32_t state_flags;   /* PTM_STATE_FLAG_ENCRYPTED */
			uint32_t totlength;     /* size of the whole blob */
			uint32_t length;        /* bytes in data[] */
			uint8_t data[PTM_STATE_BLOB_SIZE];
		} resp;
	} u;
};

#define PTM_BLOB_TYPE_PERMANENT 1
#define PTM_BLOB_TYPE_VOLATILE  2
#define PTM_BLOB_TYPE_SAVESTATE 3

#define PTM_STATE_FLAG_DECRYPTED 1 /* request: strip the state-file key */
#define PTM_STATE_FLAG_ENCRYPTED 2 /* blob is under the state-file key */

/* PTM_SET_STATEBLOB; a chunk shorter than PTM_STATE_BLOB_SIZE is the last. */
struct ptm_setstate {
	union {
		struct {
			uint32_t state_flags;   /* PTM_STATE_FLAG_ENCRYPTED */
			uint32_t type;          /* PTM_BLOB_TYPE_* */
			uint32_t length;        /* bytes in data[] */
			uint8_t data[PTM_STATE_BLOB_SIZE];
		} req;
		struct {
			ptm_res tpm_result;
		} resp;
	} u;
};

/* PTM_GET_CONFIG */
struct ptm_getconfig {
	union {
		struct {
			ptm_res tpm_result;
			uint32_t flags;         /* PTM_CONFIG_FLAG_* */
		} resp;
	} u;
};

#define PTM_CONFIG_FLAG_FILE_KEY      0x1
#define PTM_CONFIG_FLAG_MIGRATION_KEY 0x2

/* PTM_SET_BUFFERSIZE; buffersize 0 only queries. */
struct ptm_setbuffersize {
	union {
		struct {
			uint32_t buffersize;
		} req;
		struct {
			ptm_res tpm_result;
			uint32_t buffersize;    /* size now in effect */
			uint32_t minsize;
			uint32_t maxsize;
		} resp;
	} u;
};

#define PTM_GETINFO_SIZE (3 * 1024)

/* PTM_GET_INFO: a JSON document, fetched in chunks by offset. */
struct ptm_getinfo {
	union {
		struct {
			uint64_t flags;         /* SWTPM_INFO_* */
			uint32_t offset;
			uint32_t pad;
		} req;
		struct {
			ptm_res tpm_result;
			uint32_t totlength;     /* includes the terminating NUL */
			uint32_t length;
			char buffer[PTM_GETINFO_SIZE];
		} resp;
	} u;
};

#define SWTPM_INFO_TPMSPECIFICATION   (1 << 0)
#define SWTPM_INFO_TPMATTRIBUTES      (1 << 1)
#define SWTPM_INFO_TPMFEATURES        (1 << 2)
#define SWTPM_INFO_RUNTIME_ALGORITHMS (1 << 3)
#define SWTPM_INFO_RUNTIME_COMMANDS   (1 << 4)
#define SWTPM_INFO_ACTIVE_PROFILE     (1 << 5)
#define SWTPM_INFO_AVAILABLE_PROFILES (1 << 6)
#define SWTPM_INFO_RUNTIME_ATTRIBUTES (1 << 7)

/* PTM_LOCK_STORAGE: retries are 10 ms apart. */
struct ptm_lockstorage {
	union {
		struct {
			uint32_t retries;
		} req;
		struct {
			ptm_res tpm_result;
		} resp;
	} u;
};

/* Request codes; most are above INT_MAX, so compare them as unsigned. */
#define PTM_GET_CAPABILITY        _IOR('P', 0, ptm_cap)
#define PTM_INIT                  _IOWR('P', 1, struct ptm_init)
#define PTM_SHUTDOWN              _IOR('P', 2, ptm_res)
#define PTM_GET_TPMESTABLISHED    _IOR('P', 3, struct ptm_est)
#define PTM_SET_LOCALITY          _IOWR('P', 4, struct ptm_loc)
#define PTM_HASH_START            _IOR('P', 5, ptm_res)
#define PTM_HASH_DATA             _IOWR('P', 6, struct ptm_hdata)
#define PTM_HASH_END              _IOR('P', 7, ptm_res)
#define PTM_CANCEL_TPM_CMD        _IOR('P', 8, ptm_res)
#define PTM_STORE_VOLATILE        _IOR('P', 9, ptm_res)
#define PTM_RESET_TPMESTABLISHED  _IOWR('P', 10, struct ptm_reset_est)
#define PTM_GET_STATEBLOB         _IOWR('P', 11, struct ptm_getstate)
#define PTM_SET_STATEBLOB         _IOWR('P', 12, struct ptm_setstate)
#define PTM_STOP                  _IOR('P', 13, ptm_res)
#define PTM_GET_CONFIG            _IOR('P', 14, struct ptm_getconfig)
#define PTM_SET_DATAFD            _IOR('P', 15, ptm_res)
#define PTM_SET_BUFFERSIZE        _IOWR('P', 16, struct ptm_setbuffersize)
#define PTM_GET_INFO              _IOWR('P', 17, struct ptm_getinfo)
#define PTM_LOCK_STORAGE          _IOWR('P', 18, struct ptm_lockstorage)

#endif /* VTPM_IOCTL_H */
