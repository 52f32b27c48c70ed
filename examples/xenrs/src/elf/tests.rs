// SPDX-License-Identifier: MIT OR Apache-2.0
//! Kernel images built in memory by a small ELF64 writer: the good image,
//! one broken variant per error, and a deterministic corruption run.

use super::*;

const BASE: u64 = 0xffff_ffff_8000_0000;

/// One `PT_LOAD`: physical address, file bytes, memory size.
#[derive(Clone)]
struct Load {
    paddr: u64,
    data: Vec<u8>,
    memsz: u64,
}

/// What the writer puts in an image.
#[derive(Clone)]
struct Spec {
    class: u8,
    data: u8,
    e_type: u16,
    machine: u16,
    entry: u64,
    loads: Vec<Load>,
    /// (name, type, desc) of each note in the one `PT_NOTE`.
    notes: Vec<(&'static [u8], u32, Vec<u8>)>,
}

fn num(t: ElfNote, v: u64) -> (&'static [u8], u32, Vec<u8>) {
    (b"Xen\0", t.get(), v.to_le_bytes().to_vec())
}

fn string(t: ElfNote, s: &str) -> (&'static [u8], u32, Vec<u8>) {
    let mut d = s.as_bytes().to_vec();
    d.push(0);
    (b"Xen\0", t.get(), d)
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(7) ^ seed).collect()
}

/// The shape of the real `xen-test-kernel` images (see `readelf -n`).
fn good() -> Spec {
    Spec {
        class: 2,
        data: 1,
        e_type: 2,
        machine: 62,
        entry: BASE,
        loads: vec![
            Load {
                paddr: BASE,
                data: pattern(0x2000, 1),
                memsz: 0x2000,
            },
            Load {
                paddr: BASE + 0x2000,
                data: pattern(0x100, 2),
                memsz: 0x1800,
            },
        ],
        notes: vec![
            string(ElfNote::GUEST_OS, "xen-rs-test-kernel"),
            string(ElfNote::GUEST_VERSION, "0.1"),
            string(ElfNote::XEN_VERSION, "xen-3.0"),
            num(ElfNote::VIRT_BASE, BASE),
            num(ElfNote::PADDR_OFFSET, BASE),
            num(ElfNote::ENTRY, BASE),
            num(ElfNote::HYPERCALL_PAGE, BASE + 0x1000),
            string(ElfNote::LOADER, "generic"),
            string(ElfNote::PAE_MODE, "yes"),
            string(ElfNote::FEATURES, "!writable_page_tables"),
        ],
    }
}

fn put(out: &mut [u8], off: usize, bytes: &[u8]) {
    out[off..off + bytes.len()].copy_from_slice(bytes);
}

fn note_bytes(notes: &[(&[u8], u32, Vec<u8>)]) -> Vec<u8> {
    let mut v = Vec::new();
    for (name, t, desc) in notes {
        v.extend_from_slice(&(name.len() as u32).to_le_bytes());
        v.extend_from_slice(&(desc.len() as u32).to_le_bytes());
        v.extend_from_slice(&t.to_le_bytes());
        v.extend_from_slice(name);
        v.resize(v.len().next_multiple_of(4), 0);
        v.extend_from_slice(desc);
        v.resize(v.len().next_multiple_of(4), 0);
    }
    v
}

/// Writes `spec` as an ELF64 image: header, program headers (the note
/// segment first), the notes, then each load's bytes.
fn build(spec: &Spec) -> Vec<u8> {
    let phnum = spec.loads.len() + 1;
    let notes = note_bytes(&spec.notes);
    let notes_off = 64 + 56 * phnum;
    let mut data_off = (notes_off + notes.len()).next_multiple_of(16);
    let mut out = vec![0u8; data_off];
    put(&mut out, 0, b"\x7fELF");
    out[4] = spec.class;
    out[5] = spec.data;
    out[6] = 1;
    put(&mut out, 16, &spec.e_type.to_le_bytes());
    put(&mut out, 18, &spec.machine.to_le_bytes());
    put(&mut out, 20, &1u32.to_le_bytes());
    put(&mut out, 24, &spec.entry.to_le_bytes());
    put(&mut out, 32, &64u64.to_le_bytes());
    put(&mut out, 52, &64u16.to_le_bytes());
    put(&mut out, 54, &56u16.to_le_bytes());
    put(&mut out, 56, &(phnum as u16).to_le_bytes());
    let mut phdr = |i: usize, t: u32, off: u64, paddr: u64, filesz: u64, memsz: u64| {
        let p = 64 + 56 * i;
        put(&mut out, p, &t.to_le_bytes());
        put(&mut out, p + 4, &7u32.to_le_bytes());
        put(&mut out, p + 8, &off.to_le_bytes());
        put(&mut out, p + 16, &paddr.to_le_bytes());
        put(&mut out, p + 24, &paddr.to_le_bytes());
        put(&mut out, p + 32, &filesz.to_le_bytes());
        put(&mut out, p + 40, &memsz.to_le_bytes());
        put(&mut out, p + 48, &4u64.to_le_bytes());
    };
    let n = notes.len() as u64;
    phdr(0, PT_NOTE, notes_off as u64, 0, n, n);
    for (i, l) in spec.loads.iter().enumerate() {
        let len = l.data.len() as u64;
        phdr(i + 1, PT_LOAD, data_off as u64, l.paddr, len, l.memsz);
        data_off += l.data.len();
    }
    put(&mut out, notes_off, &notes);
    for l in &spec.loads {
        out.extend_from_slice(&l.data);
    }
    out
}

fn parse(spec: &Spec) -> Result<Kernel, ElfError> {
    Kernel::parse(&build(spec))
}

fn with_note(mut spec: Spec, t: ElfNote, note: (&'static [u8], u32, Vec<u8>)) -> Spec {
    spec.notes.retain(|n| n.1 != t.get());
    spec.notes.push(note);
    spec
}

fn contradiction(spec: &Spec) -> &'static str {
    match parse(spec) {
        Err(ElfError::Contradiction(why)) => why,
        other => panic!("expected a contradiction, got {other:?}"),
    }
}

#[test]
fn good_image_parses() {
    let spec = good();
    let image = build(&spec);
    let k = Kernel::parse(&image).unwrap();
    let data0 = 64 + 56 * 3 + note_bytes(&spec.notes).len();
    let data0 = data0.next_multiple_of(16) as u64;
    assert_eq!(
        k,
        Kernel {
            segments: vec![
                Segment {
                    vaddr: BASE,
                    file_offset: data0,
                    file_size: 0x2000,
                    mem_size: 0x2000
                },
                Segment {
                    vaddr: BASE + 0x2000,
                    file_offset: data0 + 0x2000,
                    file_size: 0x100,
                    mem_size: 0x1800
                },
            ],
            virt_base: BASE,
            virt_kstart: BASE,
            virt_kend: BASE + 0x3800,
            entry: BASE,
            hypercall_page: Some(BASE + 0x1000),
            guest_os: Some("xen-rs-test-kernel".into()),
            guest_version: Some("0.1".into()),
            loader: Some("generic".into()),
            xen_version: Some("xen-3.0".into()),
            features_required: vec!["writable_page_tables".into()],
            features_wanted: vec![],
            supported_features: 0,
            init_p2m: None,
            mod_start_pfn: false,
        }
    );
    assert_eq!(k.pages(), 4);
}

#[test]
fn real_test_kernel_layout() {
    // The real image: one RWX PT_LOAD at 0xffffffff80000000 holding the
    // note segment too, paddr == vaddr, PADDR_OFFSET == VIRT_BASE.
    let mut spec = good();
    spec.loads = vec![Load {
        paddr: BASE,
        data: pattern(0x3000, 3),
        memsz: 0x16_6128,
    }];
    let k = parse(&spec).unwrap();
    assert_eq!(k.virt_kstart, BASE);
    assert_eq!(k.entry, BASE);
    assert_eq!(k.hypercall_page, Some(BASE + 0x1000));
    assert_eq!(k.virt_kend, BASE + 0x16_6128);
    assert_eq!(k.pages(), 0x167);
}

#[test]
fn linux_style_translation() {
    // Linux: paddrs from 16 MiB, VIRT_BASE set, PADDR_OFFSET 0, no ENTRY
    // note: e_entry is already virtual.
    let mut spec = good();
    for l in &mut spec.loads {
        l.paddr = l.paddr - BASE + 0x100_0000;
    }
    spec.notes.retain(|n| {
        n.1 != ElfNote::PADDR_OFFSET.get()
            && n.1 != ElfNote::ENTRY.get()
            && n.1 != ElfNote::HYPERCALL_PAGE.get()
    });
    spec.entry = BASE + 0x100_0010;
    let k = parse(&spec).unwrap();
    assert_eq!(k.virt_kstart, BASE + 0x100_0000);
    assert_eq!(k.entry, BASE + 0x100_0010);
    assert_eq!(k.pages(), 0x1004);
    assert_eq!(k.hypercall_page, None);
}

#[test]
fn optional_notes() {
    let spec = with_note(good(), ElfNote::INIT_P2M, num(ElfNote::INIT_P2M, 1 << 40));
    let spec = with_note(spec, ElfNote::MOD_START_PFN, {
        (
            b"Xen\0",
            ElfNote::MOD_START_PFN.get(),
            1u32.to_le_bytes().to_vec(),
        )
    });
    let spec = with_note(spec, ElfNote::SUPPORTED_FEATURES, {
        let v = 0x8000_0005u64;
        num(ElfNote::SUPPORTED_FEATURES, v)
    });
    let spec = with_note(
        spec,
        ElfNote::FEATURES,
        string(
            ElfNote::FEATURES,
            "writable_descriptor_tables|!pae_pgdir_above_4gb||some_future_thing",
        ),
    );
    let k = parse(&spec).unwrap();
    assert_eq!(k.init_p2m, Some(1 << 40));
    assert!(k.mod_start_pfn);
    assert_eq!(k.supported_features, 0x8000_0005);
    assert_eq!(k.features_required, ["pae_pgdir_above_4gb"]);
    assert_eq!(
        k.features_wanted,
        ["writable_descriptor_tables", "some_future_thing"]
    );
    // INIT_P2M inside the kernel.
    let spec = with_note(good(), ElfNote::INIT_P2M, num(ElfNote::INIT_P2M, BASE));
    assert_eq!(contradiction(&spec), "INIT_P2M inside the kernel");
}

#[test]
fn foreign_and_unknown_notes_are_ignored() {
    let mut spec = good();
    spec.notes.insert(0, (b"GNU\0", 3, vec![1, 2, 3, 4, 5]));
    spec.notes.push((b"Xen\0", 0x1234, vec![9; 3]));
    spec.notes.push((b"Xen\0", ElfNote::INFO.get(), vec![1]));
    assert!(parse(&spec).is_ok());
}

#[test]
fn load_places_bytes_and_zero_fills() {
    let spec = good();
    let image = build(&spec);
    let k = Kernel::parse(&image).unwrap();
    let mut dest = vec![0xaau8; (k.pages() * PAGE_SIZE) as usize];
    k.load(&image, &mut dest).unwrap();
    assert_eq!(&dest[..0x2000], &spec.loads[0].data[..]);
    assert_eq!(&dest[0x2000..0x2100], &spec.loads[1].data[..]);
    assert!(dest[0x2100..0x3800].iter().all(|&b| b == 0));
    // Past the kernel: untouched.
    assert!(dest[0x3800..].iter().all(|&b| b == 0xaa));

    let mut small = vec![0u8; 0x3000];
    assert_eq!(
        k.load(&image, &mut small),
        Err(ElfError::DestinationTooSmall { index: 1 })
    );
    assert_eq!(
        k.load(&image[..image.len() - 1], &mut dest),
        Err(ElfError::SegmentOutsideFile { index: 1 })
    );
    let mut edited = k.clone();
    edited.segments[0].file_size = 0x3000;
    assert_eq!(
        edited.load(&image, &mut dest),
        Err(ElfError::SegmentOutsideFile { index: 0 })
    );
    edited.segments[0].file_size = 0x2001;
    assert_eq!(
        edited.load(&image, &mut dest),
        Err(ElfError::FileSizeExceedsMemSize { index: 0 })
    );
    edited.segments[0].vaddr = 0;
    assert_eq!(
        edited.load(&image, &mut dest),
        Err(ElfError::DestinationTooSmall { index: 0 })
    );
}

#[test]
fn header_errors() {
    let image = build(&good());
    assert_eq!(
        Kernel::parse(&image[..40]),
        Err(ElfError::Truncated { what: "ELF header" })
    );
    assert_eq!(Kernel::parse(&image[..2]), Err(ElfError::NotElf));
    assert_eq!(Kernel::parse(&[]), Err(ElfError::NotElf));
    assert_eq!(
        Kernel::parse(&image[..10]),
        Err(ElfError::Truncated { what: "ELF header" })
    );
    assert_eq!(Kernel::parse(b"MZ not an ELF"), Err(ElfError::NotElf));
    assert_eq!(
        Kernel::parse(&image[..64 + 56]),
        Err(ElfError::Truncated {
            what: "program headers"
        })
    );
    let mut bad = image.clone();
    bad[1] = b'F';
    assert_eq!(Kernel::parse(&bad), Err(ElfError::NotElf));

    let mut s = good();
    s.class = 1;
    assert_eq!(parse(&s), Err(ElfError::Not64Bit));
    let mut s = good();
    s.data = 2;
    assert_eq!(parse(&s), Err(ElfError::NotLittleEndian));
    let mut s = good();
    s.machine = 3;
    assert_eq!(parse(&s), Err(ElfError::NotX86_64));
    let mut s = good();
    s.e_type = 3;
    assert_eq!(parse(&s), Err(ElfError::NotExecutable));

    let mut bad = image.clone();
    bad[54] = 32;
    assert_eq!(
        Kernel::parse(&bad),
        Err(ElfError::BadProgramHeaderSize { size: 32 })
    );
    let mut bad = image.clone();
    bad[56..58].copy_from_slice(&65u16.to_le_bytes());
    assert_eq!(
        Kernel::parse(&bad),
        Err(ElfError::TooManySegments { count: 65 })
    );
    let mut bad = image;
    bad[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(
        Kernel::parse(&bad),
        Err(ElfError::Truncated {
            what: "program headers"
        })
    );
}

#[test]
fn note_errors() {
    let mut s = good();
    s.notes.clear();
    assert_eq!(parse(&s), Err(ElfError::NoXenNotes));
    let mut s = good();
    s.notes = vec![(
        b"Xenon\0",
        ElfNote::VIRT_BASE.get(),
        BASE.to_le_bytes().to_vec(),
    )];
    assert_eq!(parse(&s), Err(ElfError::NoXenNotes));

    let s = with_note(
        good(),
        ElfNote::VIRT_BASE,
        (b"Xen\0", ElfNote::VIRT_BASE.get(), vec![0; 6]),
    );
    assert_eq!(
        parse(&s),
        Err(ElfError::BadNote {
            note: 3,
            why: "a numeric note must be 4 or 8 bytes"
        })
    );
    let s = with_note(
        good(),
        ElfNote::LOADER,
        (b"Xen\0", ElfNote::LOADER.get(), b"generic".to_vec()),
    );
    assert_eq!(
        parse(&s),
        Err(ElfError::BadNote {
            note: 8,
            why: "string not NUL-terminated"
        })
    );
    let s = with_note(
        good(),
        ElfNote::GUEST_OS,
        (b"Xen\0", ElfNote::GUEST_OS.get(), vec![0xff, 0xfe, 0]),
    );
    assert_eq!(
        parse(&s),
        Err(ElfError::BadNote {
            note: 6,
            why: "string is not UTF-8"
        })
    );
    let s = with_note(
        good(),
        ElfNote::BSD_SYMTAB,
        string(ElfNote::BSD_SYMTAB, "yes"),
    );
    assert!(matches!(parse(&s), Err(ElfError::BadNote { note: 11, .. })));

    let s = with_note(
        good(),
        ElfNote::XEN_VERSION,
        string(ElfNote::XEN_VERSION, "xen-2.0"),
    );
    assert_eq!(
        parse(&s),
        Err(ElfError::UnsupportedXenVersion("xen-2.0".into()))
    );
    let mut s = good();
    s.notes.retain(|n| n.1 != ElfNote::XEN_VERSION.get());
    assert_eq!(parse(&s), Err(ElfError::MissingNote("XEN_VERSION")));

    let s = with_note(good(), ElfNote::LOADER, string(ElfNote::LOADER, "bsd"));
    assert_eq!(
        parse(&s),
        Err(ElfError::UnsupportedLoader {
            loader: Some("bsd".into()),
            guest_os: Some("xen-rs-test-kernel".into())
        })
    );
    let s = with_note(s, ElfNote::GUEST_OS, string(ElfNote::GUEST_OS, "linux"));
    assert!(parse(&s).is_ok());

    // A note whose descriptor runs past its segment.
    let image = build(&good());
    let mut bad = image.clone();
    let first_note = 64 + 56 * 3;
    bad[first_note + 4..first_note + 8].copy_from_slice(&0x1_0000u32.to_le_bytes());
    assert_eq!(
        Kernel::parse(&bad),
        Err(ElfError::Truncated { what: "ELF note" })
    );
    // The note segment itself past the image.
    let mut bad = image;
    bad[64 + 32..64 + 40].copy_from_slice(&0x10_0000u64.to_le_bytes());
    assert_eq!(
        Kernel::parse(&bad),
        Err(ElfError::SegmentOutsideFile { index: 0 })
    );
}

#[test]
fn feature_errors() {
    for f in [
        "!no_such_feature",
        "!mmu_pt_update_preserve_ad",
        "!auto_translated_physmap",
        "writable_page_tables|!dom0",
        "!",
    ] {
        let s = with_note(good(), ElfNote::FEATURES, string(ElfNote::FEATURES, f));
        let name = f.rsplit('!').next().unwrap();
        assert_eq!(
            parse(&s),
            Err(ElfError::UnsupportedFeature(name.into())),
            "{f}"
        );
    }
}

#[test]
fn address_errors() {
    let s = with_note(good(), ElfNote::ENTRY, num(ElfNote::ENTRY, BASE + 0x3800));
    assert_eq!(contradiction(&s), "entry point outside the kernel");
    let s = with_note(good(), ElfNote::ENTRY, num(ElfNote::ENTRY, BASE - 1));
    assert_eq!(contradiction(&s), "entry point outside the kernel");

    let s = with_note(
        good(),
        ElfNote::HYPERCALL_PAGE,
        num(ElfNote::HYPERCALL_PAGE, BASE + 0x1008),
    );
    assert_eq!(contradiction(&s), "hypercall page not page-aligned");
    let s = with_note(
        good(),
        ElfNote::HYPERCALL_PAGE,
        num(ElfNote::HYPERCALL_PAGE, BASE + 0x3000),
    );
    assert_eq!(contradiction(&s), "hypercall page outside the kernel");

    let s = with_note(
        good(),
        ElfNote::VIRT_BASE,
        num(ElfNote::VIRT_BASE, BASE + 0x1000),
    );
    let s = with_note(
        s,
        ElfNote::PADDR_OFFSET,
        num(ElfNote::PADDR_OFFSET, BASE + 0x1000),
    );
    assert_eq!(contradiction(&s), "kernel starts below VIRT_BASE");

    let mut s = good();
    s.notes.retain(|n| n.1 != ElfNote::VIRT_BASE.get());
    assert_eq!(contradiction(&s), "PADDR_OFFSET set without VIRT_BASE");

    let mut s = good();
    s.loads[1].paddr = BASE + 0x1000;
    assert_eq!(contradiction(&s), "segments overlap");

    let mut s = good();
    s.loads[1].paddr = u64::MAX - 0x100;
    assert_eq!(parse(&s), Err(ElfError::AddressOverflow));
    // The end fits, its page-aligned end does not.
    let mut s = good();
    s.loads[1].paddr = u64::MAX - 0x1800;
    assert_eq!(parse(&s), Err(ElfError::AddressOverflow));

    let mut s = good();
    s.loads[1].memsz = 0x80;
    assert_eq!(
        parse(&s),
        Err(ElfError::FileSizeExceedsMemSize { index: 2 })
    );

    let mut s = good();
    s.loads.clear();
    assert_eq!(parse(&s), Err(ElfError::NoLoadableSegments));
    let mut s = good();
    for l in &mut s.loads {
        l.data.clear();
        l.memsz = 0;
    }
    assert_eq!(parse(&s), Err(ElfError::NoLoadableSegments));

    // A load segment past the end of the file.
    let mut image = build(&good());
    let p = 64 + 56 * 2;
    image[p + 32..p + 40].copy_from_slice(&0x10_0000u64.to_le_bytes());
    image[p + 40..p + 48].copy_from_slice(&0x10_0000u64.to_le_bytes());
    assert_eq!(
        Kernel::parse(&image),
        Err(ElfError::SegmentOutsideFile { index: 2 })
    );
}

#[test]
fn errors_display() {
    let e = ElfError::BadNote { note: 1, why: "x" };
    assert_eq!(e.to_string(), "bad XEN_ELFNOTE_ENTRY note: x");
    let e: Box<dyn std::error::Error> = Box::new(ElfError::NoXenNotes);
    assert!(e.to_string().contains("Xen"));
}

/// xorshift64: a fixed sequence, no dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn corrupted_images_never_panic() {
    let good = build(&good());
    let mut rng = XorShift(0x5eed_1234_abcd_0001);
    let mut oks = 0;
    for _ in 0..2000 {
        let mut image = good.clone();
        match rng.below(4) {
            0 => {
                let len = rng.below(image.len() + 1);
                image.truncate(len);
            }
            1 => {
                // Headers and notes are where the interesting bytes are.
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(64 + 56 * 3 + 300);
                    image[i] ^= 1 << rng.below(8);
                }
            }
            2 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(image.len());
                    image[i] = rng.next() as u8;
                }
            }
            _ => {
                // A whole field of extreme values.
                let i = rng.below(64 + 56 * 3 + 300 - 8);
                let v = [0u64, u64::MAX, 1 << 63, rng.next()][rng.below(4)];
                image[i..i + 8].copy_from_slice(&v.to_le_bytes());
            }
        }
        if let Ok(k) = Kernel::parse(&image) {
            oks += 1;
            if k.pages() <= 4096 {
                let mut dest = vec![0u8; (k.pages() * PAGE_SIZE) as usize];
                let _ = k.load(&image, &mut dest);
            }
        }
    }
    // The run exercises both outcomes.
    assert!(oks > 0 && oks < 2000, "{oks}");
}

/// A built test kernel, when one is at hand:
/// `XENRS_ELF_KERNEL=path/to/xen-test-kernel-xs-domu cargo test -p xenrs --lib -- --ignored`.
#[test]
#[ignore = "needs a built kernel in XENRS_ELF_KERNEL"]
fn built_kernel_from_env() {
    let path = std::env::var("XENRS_ELF_KERNEL").expect("XENRS_ELF_KERNEL");
    let image = std::fs::read(path).unwrap();
    let k = Kernel::parse(&image).unwrap();
    assert_eq!(k.virt_base, BASE);
    assert_eq!(k.virt_kstart, BASE);
    assert_eq!(k.entry, BASE);
    assert_eq!(k.hypercall_page, Some(BASE + 0x1000));
    assert_eq!(k.features_required, ["writable_page_tables"]);
    let mut dest = vec![0u8; (k.pages() * PAGE_SIZE) as usize];
    k.load(&image, &mut dest).unwrap();
}
