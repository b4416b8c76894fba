#!/usr/bin/env python3
"""hvt_mkelf.py -- writes small valid and deliberately broken ELF64 guest
images, for the fuzz corpus of tender/common/elf.c (tests/fuzz/corpus/elf)
and for the tender's refusal tests (tests/platform/hvt_bad_image.sh).

    hvt_mkelf.py DIR            write every case into DIR as NAME.elf
    hvt_mkelf.py DIR NAME...    write only the named cases

Each image is built from scratch here (no compiler): a text segment at
1 MiB, a data+bss segment, and a PT_NOTE holding the Tibra manifest
(struct tb_mft_note, include/tibra/plat.h).  Valid cases are named ok_*,
broken ones bad_*; the tests rely on that prefix.  The x86_64 code does
`hlt` forever and is never run: only loading is exercised.
"""
import os
import re
import struct
import sys

EM_X86_64, EM_AARCH64 = 62, 183
PT_LOAD, PT_NOTE, PT_INTERP, PT_TLS = 1, 4, 3, 7
PF_X, PF_W, PF_R = 1, 2, 4
BASE = 0x100000
# TB_ABI_VERSION, read from include/tibra/plat.h (the one definition).
ABI = int(re.search(r"#define TB_ABI_VERSION (\d+)",
                    open(os.path.join(os.path.dirname(os.path.abspath(
                        __file__)), "../../include/tibra/plat.h")).read()
                    ).group(1))
NOTE_TYPE = 0x5442
NAME_MAX, ENTRIES_MAX = 32, 16


def manifest(entries, abi=ABI, count=None, descsz=None, reserved=0,
             raw_name=None):
    """The note bytes: header, "Tibra\\0" padded to 8, struct tb_mft."""
    desc = struct.pack("<II", abi, len(entries) if count is None else count)
    for i in range(ENTRIES_MAX):
        if i < len(entries):
            name, typ = entries[i]
            nb = name.encode() if raw_name is None or i else raw_name
            nb = nb.ljust(NAME_MAX, b"\0")[:NAME_MAX]
            desc += nb + struct.pack("<II", typ, reserved)
        else:
            desc += b"\0" * (NAME_MAX + 8)
    size = len(desc) if descsz is None else descsz
    return struct.pack("<III", 6, size, NOTE_TYPE) + b"Tibra\0\0\0" + desc


def image(machine=EM_X86_64, mft=None, text_flags=PF_R | PF_X,
          data_flags=PF_R | PF_W, data_vaddr=BASE + 0x1000, bss=0x2000,
          entry=BASE, e_type=2, extra_phdrs=(), phentsize=56, klass=2,
          data=1, note_align=4, with_note=True, code=None):
    """Returns ELF bytes; keyword arguments bend one field at a time."""
    if mft is None:
        mft = manifest([("service0", 1), ("storage", 2)])
    if code is None:
        code = b"\xf4\xeb\xfd" if machine == EM_X86_64 else \
            struct.pack("<I", 0xd503207f) + struct.pack("<I", 0x17ffffff)
    text_off = 0x1000
    data_off = 0x2000
    note_off = 0x3000
    data_bytes = b"\x2a" * 64
    phdrs = [
        (PT_LOAD, text_flags, text_off, BASE, len(code), len(code), 0x1000),
        (PT_LOAD, data_flags, data_off, data_vaddr, len(data_bytes),
         len(data_bytes) + bss, 0x1000),
    ]
    if with_note:
        phdrs.append((PT_NOTE, PF_R, note_off, 0, len(mft), len(mft),
                      note_align))
    phdrs += list(extra_phdrs)
    eh = b"\x7fELF" + bytes([klass, data, 1, 0]) + b"\0" * 8
    eh += struct.pack("<HHIQQQIHHHHHH", e_type, machine, 1, entry, 64, 0, 0,
                      64, phentsize, len(phdrs), 64, 0, 0)
    ph = b"".join(struct.pack("<IIQQQQQQ", t, f, off, va, va, fs, ms, al)
                  for (t, f, off, va, fs, ms, al) in phdrs)
    out = bytearray(note_off + len(mft))
    out[0:len(eh)] = eh
    out[64:64 + len(ph)] = ph
    out[text_off:text_off + len(code)] = code
    out[data_off:data_off + len(data_bytes)] = data_bytes
    out[note_off:note_off + len(mft)] = mft
    return bytes(out)


def patched(buf, off, fmt, val):
    b = bytearray(buf)
    struct.pack_into(fmt, b, off, val)
    return bytes(b)


PH1 = 64 + 56  # second program header (the data segment)


def cases():
    ok = image()
    c = {
        "ok_x86_64": ok,
        "ok_aarch64": image(machine=EM_AARCH64),
        "ok_nodevices": image(mft=manifest([])),
        "ok_nobss": image(bss=0),
        "ok_fullmanifest": image(mft=manifest(
            [("dev%d" % i, 1 + i % 2) for i in range(ENTRIES_MAX)])),
        "bad_magic": b"\x7fELG" + ok[4:],
        "bad_empty": b"",
        "bad_truncated_ehdr": ok[:40],
        "bad_truncated_phdrs": ok[:64 + 60],
        "bad_truncated_segment": ok[:0x1001],
        "bad_elf32": image(klass=1),
        "bad_bigendian": image(data=2),
        "bad_pie": image(e_type=3),
        "bad_machine": image(machine=40),
        "bad_phentsize": image(phentsize=32),
        "bad_phnum_zero": patched(ok, 56, "<H", 0),
        "bad_phnum_huge": patched(ok, 56, "<H", 0xffff),
        "bad_phoff_overflow": patched(ok, 32, "<Q", 0xffffffffffffffc0),
        "bad_entry_outside": image(entry=0x40000000),
        "bad_entry_in_data": image(entry=BASE + 0x1000),
        "bad_segment_below_min": image(data_vaddr=0x1000),
        "bad_segment_outside_mem": image(data_vaddr=0x7fff0000),
        "bad_segment_wraps": image(data_vaddr=0xfffffffffffff000),
        "bad_overlap": image(data_vaddr=BASE),
        "bad_filesz_gt_memsz": patched(ok, PH1 + 40, "<Q", 1),
        "bad_offset_outside": patched(ok, PH1 + 8, "<Q", 0x10000000),
        "bad_offset_overflow": patched(ok, PH1 + 8, "<Q", 0xfffffffffffffff0),
        "bad_align": patched(ok, PH1 + 48, "<Q", 0x1234),
        "bad_wx": image(text_flags=PF_R | PF_W | PF_X),
        "bad_interp": image(extra_phdrs=[(PT_INTERP, PF_R, 0x3000, 0, 8, 8,
                                          1)]),
        "bad_tls": image(extra_phdrs=[(PT_TLS, PF_R, 0x2000, BASE + 0x1000,
                                       8, 8, 8)]),
        "bad_no_manifest": image(with_note=False),
        "bad_abi_version": image(mft=manifest([("service0", 1)], abi=ABI + 1)),
        "bad_mft_count": image(mft=manifest([("a", 1)], count=17)),
        "bad_mft_descsz": image(mft=manifest([("a", 1)], descsz=100)),
        "bad_mft_unterminated": image(mft=manifest(
            [("x", 1)], raw_name=b"n" * NAME_MAX)),
        "bad_mft_empty_name": image(mft=manifest([("", 1)])),
        "bad_mft_bad_char": image(mft=manifest([("net\x1b[31m", 1)])),
        "bad_mft_type": image(mft=manifest([("net0", 7)])),
        "bad_mft_reserved": image(mft=manifest([("net0", 1)], reserved=1)),
        "bad_mft_duplicate": image(mft=manifest([("net0", 1),
                                                 ("net0", 2)])),
        "bad_note_overrun": patched(ok, 64 + 2 * 56 + 32, "<Q", 0x1000000),
        "bad_note_descsz_overrun": image(mft=manifest([("a", 1)],
                                                      descsz=0x10000)),
        "bad_two_manifests": image(extra_phdrs=[
            (PT_NOTE, PF_R, 0x3000, 0, len(manifest([("service0", 1),
                                                     ("storage", 2)])),
             0, 4)]),
    }
    return c


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    allc = cases()
    names = sys.argv[2:] or sorted(allc)
    for n in names:
        with open("%s/%s.elf" % (out, n), "wb") as f:
            f.write(allc[n])


if __name__ == "__main__":
    main()
