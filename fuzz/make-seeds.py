#!/usr/bin/env python3
# make-seeds.py - writes the committed seed corpora fuzz/corpus/NAME/ for
# every target (run from anywhere; the output is committed, and a run on a
# clean tree must change nothing). What a fuzzer run finds goes to
# build-fuzz/corpus/NAME, never here.
# Each seed is a small, valid starting point in the target's input language
# (see the comment at the top of fuzz/fuzz_NAME.c).
import os
import struct

ROOT = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(ROOT, "..", "tests", "unit", "data", "swtpm-0.7.1")

GETRANDOM8 = bytes.fromhex("80010000000c0000017b0008")
STARTUP_CLEAR = bytes.fromhex("80010000000c000001440000")
PCRREAD1 = bytes.fromhex("8001000000140000017e00000001000b03020000")

# index into fuzz_device.c's known_codes[]
GET_CAPABILITY, INIT, GET_TPMESTABLISHED, SET_LOCALITY = 0, 1, 3, 4
HASH_START, HASH_DATA, HASH_END, CANCEL, STORE_VOLATILE = 5, 6, 7, 8, 9
GET_STATEBLOB, SET_STATEBLOB, STOP, GET_CONFIG, GET_INFO = 11, 12, 13, 14, 17


def write(name, seeds):
    d = os.path.join(ROOT, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    for label, data in seeds.items():
        with open(os.path.join(d, label), "wb") as f:
            f.write(data)


def dev_framed(cmd):
    """op 3: [len-10:1] [body after the 6-byte header prefix]"""
    return bytes([3, len(cmd) - 10]) + cmd[6:]


def dev_ioctl(index, arg=b""):
    return bytes([0, index]) + arg


def dev_read():
    return bytes([4, 0x00, 0x10])      # read 4096


device = {
    "getrandom": dev_framed(GETRANDOM8) + bytes([5]) + dev_read(),
    "pcrread-partial": dev_framed(PCRREAD1) + bytes([4, 4, 0]) + bytes([7]),
    "caps-init-startup": dev_ioctl(GET_CAPABILITY) + dev_ioctl(INIT, struct.pack("<I", 0))
    + dev_framed(STARTUP_CLEAR) + bytes([7]) + dev_framed(GETRANDOM8) + bytes([7]),
    "hash": dev_ioctl(HASH_START) + dev_ioctl(HASH_DATA, struct.pack("<I", 4) + b"abcd")
    + dev_ioctl(HASH_END),
    "stateblob": dev_ioctl(STORE_VOLATILE) + dev_ioctl(GET_STATEBLOB, struct.pack("<III", 0, 1, 0))
    + dev_read() + dev_ioctl(STOP) + dev_ioctl(SET_STATEBLOB, struct.pack("<IIII", 0, 0, 1, 0))
    + bytes([2, 16, 0]) + b"\0" * 16,
    "locality-info": dev_ioctl(SET_LOCALITY, b"\x03") + dev_ioctl(GET_TPMESTABLISHED)
    + dev_ioctl(GET_CONFIG) + dev_ioctl(GET_INFO, struct.pack("<QII", 1, 0, 0)),
    "reopen-busy": dev_framed(GETRANDOM8) + bytes([6]) + dev_framed(GETRANDOM8) + bytes([2, 5, 0]) + b"\x80\x01\0\0\0",
}


def cuse_write(data):
    return bytes([3]) + struct.pack("<H", len(data)) + data


def cuse_ioctl(cmd, in_size, out_size, data=b""):
    return bytes([4]) + struct.pack("<IHHB", cmd, in_size, out_size, 0) + data


def ioc(d, nr, size):
    return d << 30 | size << 16 | ord("P") << 8 | nr


cuse = {
    "write-poll-read": bytes([5, 7, 1]) + cuse_write(GETRANDOM8) + bytes([5, 8, 0])
    + bytes([2, 0, 0x10, 0]),
    "getcap": cuse_ioctl(ioc(2, 0, 8), 0, 8),
    "getcap-wrong-size": cuse_ioctl(ioc(2, 0, 8), 4, 8, b"\0" * 4),
    "init": bytes([7, 3, 1, 4, 0]) + b"\0" * 4,
    "release-open": bytes([1, 0]) + cuse_write(GETRANDOM8),
    "flush-fsync": bytes([6, 25, 8]) + b"\0" * 8 + bytes([6, 20, 8]) + b"\0" * 8,
}


def config_args(*args):
    return b"\0".join(a.encode() for a in args)


config = {
    "basic": config_args("-n", "vtpm0", "--tpmstate", "dir=/var/lib/vtpm0,mode=0600",
                         "--flags", "not-need-init,startup-clear"),
    "logging": config_args("-n", "vtpm0", "--log", "file=/tmp/l,level=20,prefix=x,truncate",
                           "--pid", "fd=5", "-f"),
    "keys": config_args("-n", "v", "--key", "file=/k,format=hex,mode=aes-256-cbc,remove=true",
                        "--migration-key", "pwdfile=/p,kdf=sha512"),
    "privs": config_args("-n", "v", "-r", "nobody", "-R", "/srv/root", "--seccomp", "action=log"),
    "tpm12": config_args("-n", "v", "--tpm12", "-M", "240", "-m", "1", "--locality",
                         "reject-locality-4,allow-set-locality"),
    "print": config_args("--print-info", "3", "--tpm2"),
    "pcap": config_args("-n", "v", "--pcap", "file=/tmp/p,truncate,mode=0600",
                        "--migration", "incoming,release-lock-outgoing"),
    "cdi": config_args("-n", "vtpm-0", "--cdi", "/run/cdi,kind=vtpmd.io/tpm,path=/dev/tpm0",
                       "--cdi", "dir=/etc/cdi,kind=ab/cd"),
    "rm": config_args("-n", "vtpm0", "--resource-manager", "objects=30,sessions=8,abandoned=0",
                      "--cdi", "/run/cdi,pathrm=/dev/tpmrm1"),
}


# vtpm-setup's command line, as fuzz_setup_opts.c takes it (after the
# program's name); the same NUL-separated form as config.
setup_opts = {
    "manufacture": config_args("--tpm2", "--tpmstate", "/var/lib/vtpm0", "--createek",
                               "--create-ek-cert", "--create-platform-cert", "--lock-nvram",
                               "--vmid", "vm0", "--overwrite", "--logfile", "/tmp/setup.log"),
    "spk-banks": config_args("--tpm-state", "dir:///s", "--create-spk", "--ecc",
                             "--rsa-keysize", "3072", "--pcr-banks", "sha1, sha256,sha384",
                             "--not-overwrite"),
    "state-key": config_args("--tpmstate", "/s", "--pwdfile-fd", "3", "--cipher", "aes-256-cbc",
                             "--createek"),
    "own-ca": config_args("--tpmstate", "/s", "--create-ek-cert", "--ca-key", "/ca.key",
                          "--ca-cert", "/ca.pem", "--ca-pwdfile", "/ca.pass", "--days", "-1",
                          "--platform-manufacturer", "ACME", "--platform-model", "m1",
                          "--platform-version", "1.0"),
    "amend": config_args("--tpmstate", "/s", "--ek-cert", "/ek-rsa.der", "--ek-cert",
                         "/ek-ecc.der", "--ek-pub", "/ek.pem", "--ca-dir", "/var/lib/ca"),
    "unsupported": config_args("--tpm12", "--take-ownership", "--config", "/etc/swtpm_setup.conf"),
    "print": config_args("--print-capabilities", "--version", "-h"),
}


cdi_opts = {
    "pool": config_args("pool", "--slots", "8", "--major", "240"),
    "pool-all": config_args("pool", "--slots", "4", "--major", "241", "--first-minor", "100",
                            "--prefix", "keep", "--kind", "example.com/tpm", "--path", "/dev/tpmrm0",
                            "--dir", "/etc/cdi", "--run-dir", "/run/x", "--state-dir", "/var/lib/x",
                            "--persistent", "--runas", "tss", "--setup", "/usr/bin/vtpm-setup",
                            "--setup-arg", "--createek", "--setup-arg", "--create-ek-cert",
                            "--vtpmd", "/usr/bin/vtpmd", "--timeout", "300", "--", "--key",
                            "file=/k,mode=aes-256-cbc"),
    "remove": config_args("pool", "--remove", "--prefix", "slot"),
    "hook": config_args("hook", "create", "--slot", "3", "--major", "240", "--vtpmd",
                        "/usr/bin/vtpmd", "--run-dir", "/run/vtpm-cdi"),
    "poststop": config_args("hook", "poststop", "--slot", "0", "--major", "240", "--vtpmd",
                            "/usr/bin/vtpmd", "--persistent"),
}

oci_state = {
    "creating": b'{"ociVersion":"1.0.2","id":"c52e60edb648","status":"creating","pid":4242,'
    b'"bundle":"/run/containers/c52e60edb648/userdata"}',
    "annotated": b'{"ociVersion":"1.0.2","id":"web","status":"stopped","bundle":"/b",'
    b'"annotations":{"vtpmd.io/state":"web1","io.podman.annotations.autoremove":"TRUE"}}\n',
    "bad-name": b'{"id":"x","annotations":{"vtpmd.io/state":"../web1"}}',
    "not-object": b'["id"]',
}


def readf(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


blob = {
    # mode byte, then the blob (see fuzz_blob.c)
    "swtpm-permall": b"\x00" + readf("tpm2-00.permall"),
    "swtpm-migration": b"\x01" + readf("permall.migration"),
    "file-with-key": b"\x02" + readf("tpm2-00.permall")[:64],
    "roundtrip-file-key": b"\x22\x00" + b"payload" * 8,
    "roundtrip-file-key256-flip": b"\x2a\x11" + b"payload" * 8,
    "roundtrip-migration-both": b"\x27\x00" + b"state" * 10,
    "roundtrip-migration-decrypted": b"\x67\x00" + b"state" * 10,
    "roundtrip-migration-flip": b"\x25\x05" + b"state" * 10,
}

LINEAR = os.path.join(ROOT, "..", "tests", "unit", "data", "swtpm-0.7.1-linear")


def readl(name):
    with open(os.path.join(LINEAR, name), "rb") as f:
        return f.read()


def linear_ctl(changes, device_kib=0):
    """8 control bytes (see fuzz_linear.c): changes = [(slot, remove, len/611)]"""
    b = bytearray(8)
    b[0] = len(changes) | (4 if device_kib else 0)
    b[1:4] = device_kib.to_bytes(3, "little")
    for i, (slot, remove, units) in enumerate(changes):
        b[4 + i] |= slot | (0x10 if remove else 0) | (units & 7) << 5
        b[5 + i] |= units >> 3
    return bytes(b)


def linear_header(slots):
    """swtpm's header: magic, version 1, hdrsize 192, (offset, data, section) per slot"""
    h = struct.pack("<QBBH", 0x737774706d6c696e, 1, 0, 192)
    for i in range(15):
        h += struct.pack("<III", *(slots[i] if i < len(slots) else (0, 0, 0)))
    return h


# what vtpmd lays out: blobs on 4 KiB boundaries, sections tiled
vtpmd_layout = linear_header([(4096, 3000, 8192), (12288, 9000, 9000)])
vtpmd_layout += b"\0" * (12288 + 9000 - len(vtpmd_layout))

linear = {
    "swtpm-tpm2-permall": linear_ctl([(0, False, 3)]) + readl("tpm2.linear"),
    "swtpm-tpm2-both": linear_ctl([(1, False, 15), (0, False, 2)]) + readl("tpm2.linear"),
    "swtpm-aes256-remove": linear_ctl([(1, True, 0)]) + readl("tpm2-aes256.linear"),
    "swtpm-tpm12-device": linear_ctl([(0, False, 2)], device_kib=1024) + readl("tpm12.linear"),
    "vtpmd-layout": linear_ctl([(0, False, 5), (2, False, 1)]) + vtpmd_layout,
    "empty": linear_ctl([(0, False, 1)]),
    "zeros": linear_ctl([(0, False, 1)]) + b"\0" * 300,
}

# fuzz_rm.c: handle picks (0: 0x80FFFFFF, 8: 0x80FFFFFE, 1: physical
# 0x80000000, 2: HMAC session 0x02000000, 3: policy session 0x03000000)
VH0, VH1, PHYS, HMAC0, POLICY0 = 0, 8, 1, 2, 3


def rm_cmd(space, which, pick, extra=b"", mutations=b"\0"):
    """op 3: a real command built by fuzz_rm.c's build()"""
    return bytes([3, space, which, pick]) + extra + mutations


def rm_open(space):
    return bytes([0, space])


def rm_read(space):
    return bytes([4, space, 0x00, 0x10])


def rm_primary(space, unique):
    return rm_cmd(space, 0x10, VH0, bytes([unique]))


rm = {
    "isolation": rm_open(0) + rm_open(1) + rm_primary(0, 1) + rm_cmd(1, 1, VH0)
    + rm_cmd(1, 0x12, VH0, bytes([VH0])) + rm_cmd(1, 3, VH0) + rm_cmd(1, 1, PHYS)
    + rm_cmd(0, 8, PHYS, bytes([64])) + rm_cmd(0, 1, VH0),
    "sessions": rm_open(0) + rm_cmd(0, 0x45, VH0) + rm_cmd(0, 6, POLICY0) + rm_cmd(0, 7, POLICY0)
    + rm_cmd(0, 4, POLICY0) + rm_open(1) + bytes([7, 1, 0]) + bytes([7, 0, 0])
    + rm_cmd(1, 7, POLICY0) + bytes([1, 0]) + rm_open(2) + rm_cmd(0, 5, VH0) + bytes([7, 2, 0]),
    "continuation": rm_open(0) + rm_cmd(0, 5, VH0) + rm_cmd(0, 4, HMAC0) + bytes([1, 0])
    + rm_open(1) + bytes([7, 1, 0]) + rm_cmd(1, 8, HMAC0, bytes([8])),
    "limits": rm_open(0) + b"".join(rm_primary(0, u) for u in range(6))
    + b"".join(rm_cmd(0, 0x45, VH0) for _ in range(8)) + rm_cmd(0, 3, VH1) + rm_primary(0, 9),
    "raw-node-full": b"".join(bytes([6, 0x10, VH0, u]) for u in range(3)) + rm_open(0)
    + rm_primary(0, 1) + bytes([6, 3, PHYS]) + rm_primary(0, 2) + rm_cmd(0, 1, VH0),
    "sequence": rm_open(0) + rm_cmd(0, 9, VH0) + rm_cmd(0, 10, VH0) + rm_cmd(0, 10, VH0)
    + rm_cmd(0, 0x1a, VH0) + rm_cmd(0, 4, VH0),
    "power-cycle": rm_open(0) + rm_primary(0, 1) + rm_cmd(0, 0x45, VH0) + bytes([8])
    + rm_cmd(0, 1, VH0) + rm_cmd(0, 7, POLICY0) + rm_primary(0, 2),
    "malformed": rm_open(0) + rm_primary(0, 1)
    + rm_cmd(0, 0x12, VH0, bytes([POLICY0]), bytes([2, 14, 0, 0xff, 2, 0, 0, 0x80]))
    + bytes([2, 0, 12, 0]) + bytes.fromhex("800100000010000001730000")
    + rm_cmd(0, 1, VH0, b"", bytes([1, 5, 0, 0x20])) + rm_read(0),
}

write("device", device)
write("cuse", cuse)
write("config", config)
write("blob", blob)
write("linear", linear)
write("setup_opts", setup_opts)
write("cdi_opts", cdi_opts)
write("oci_state", oci_state)
write("rm", rm)
