// SPDX-License-Identifier: MIT OR Apache-2.0
//! `Kernel::parse` on hostile images; whatever it accepts must load into a
//! buffer of `pages()` pages without panicking.
//!
//! The first byte picks the image: even, the rest of the input as is
//! (headers, truncations); odd, a valid kernel image built here with the
//! rest of the input as 3-byte patches (offset, little-endian u16, and a
//! byte XORed in), so the fuzzer starts past the ELF header and reaches
//! the notes, features and address checks without a seed corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xen_abi::elfnote::ElfNote;
use xenrs::elf::{Kernel, PAGE_SIZE};

const BASE: u64 = 0xffff_ffff_8000_0000;

fn note(out: &mut Vec<u8>, t: ElfNote, desc: &[u8]) {
    out.extend_from_slice(&4u32.to_le_bytes());
    out.extend_from_slice(&(desc.len() as u32).to_le_bytes());
    out.extend_from_slice(&t.get().to_le_bytes());
    out.extend_from_slice(b"Xen\0");
    out.extend_from_slice(desc);
    out.resize(out.len().next_multiple_of(4), 0);
}

fn phdr(out: &mut Vec<u8>, p_type: u32, off: u64, paddr: u64, filesz: u64, memsz: u64) {
    out.extend_from_slice(&p_type.to_le_bytes());
    out.extend_from_slice(&7u32.to_le_bytes());
    for v in [off, paddr, paddr, filesz, memsz, 4] {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// An ELF64 kernel like the xen-test-kernel images: a note segment and two
/// loads (the second with bss).
fn template() -> Vec<u8> {
    let mut notes = Vec::new();
    note(&mut notes, ElfNote::XEN_VERSION, b"xen-3.0\0");
    note(&mut notes, ElfNote::LOADER, b"generic\0");
    note(&mut notes, ElfNote::GUEST_OS, b"linux\0");
    note(&mut notes, ElfNote::VIRT_BASE, &BASE.to_le_bytes());
    note(&mut notes, ElfNote::PADDR_OFFSET, &BASE.to_le_bytes());
    note(&mut notes, ElfNote::ENTRY, &BASE.to_le_bytes());
    note(
        &mut notes,
        ElfNote::HYPERCALL_PAGE,
        &(BASE + 0x1000).to_le_bytes(),
    );
    note(&mut notes, ElfNote::INIT_P2M, &(1u64 << 40).to_le_bytes());
    note(&mut notes, ElfNote::SUPPORTED_FEATURES, &5u32.to_le_bytes());
    note(&mut notes, ElfNote::MOD_START_PFN, &1u32.to_le_bytes());
    note(
        &mut notes,
        ElfNote::FEATURES,
        b"!writable_page_tables|pae_pgdir_above_4gb\0",
    );
    let notes_off = 64 + 3 * 56;
    let load_off = (notes_off + notes.len()) as u64;
    let mut out = Vec::new();
    out.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    out.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    out.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&BASE.to_le_bytes()); // e_entry
    out.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    out.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    out.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    for v in [64u16, 56, 3, 64, 0, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    let n = notes.len() as u64;
    phdr(&mut out, 4, notes_off as u64, 0, n, n);
    phdr(&mut out, 1, load_off, BASE, 0x40, 0x2000);
    phdr(&mut out, 1, load_off + 0x40, BASE + 0x2000, 0x40, 0x1800);
    out.extend_from_slice(&notes);
    out.extend((0..0x80u8).map(|b| b.wrapping_mul(13)));
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let image = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let mut image = template();
        let len = image.len();
        for patch in rest.chunks_exact(3) {
            let off = usize::from(u16::from_le_bytes([patch[0], patch[1]])) % len;
            image[off] ^= patch[2];
        }
        image
    };
    if let Ok(kernel) = Kernel::parse(&image) {
        if kernel.pages() <= 1024 {
            let mut dest = vec![0u8; (kernel.pages() * PAGE_SIZE) as usize];
            let _ = kernel.load(&image, &mut dest);
        }
    }
});
