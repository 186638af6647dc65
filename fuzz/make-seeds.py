#!/usr/bin/env python3
# make-seeds.py - writes the committed seed corpora fuzz/corpus/NAME/ (run
# from the repository root; the output is committed, this documents it).
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
write("rm", rm)
