// SPDX-License-Identifier: MIT OR Apache-2.0
//! A PV guest kernel's ELF image and its Xen notes, parsed and checked
//! before a domain is created.
//!
//! [`Kernel::parse`] reads an x86_64 ELF64 executable (System V gABI) and
//! the `"Xen"` notes of its `PT_NOTE` segments (`xen/include/public/elfnote.h`,
//! [`xen_abi::elfnote::ElfNote`]), and applies the checks of Xen's libelf
//! (`libelf-dominfo.c`: `elf_xen_parse`, `elf_xen_note_check`,
//! `elf_xen_addr_calc_check`) plus a few stricter ones of its own (listed
//! on [`ElfError`]). [`Kernel::load`] then copies the segments into the
//! guest's mapped memory.
//!
//! Everything here works on borrowed bytes: no I/O, no unsafe code, and no
//! allocation larger than the image itself.
//!
//! Not supported, each refused with an error rather than misread: the
//! legacy `__xen_guest` section ([`ElfError::NoXenNotes`]), notes found only
//! in `SHT_NOTE` sections and not in a `PT_NOTE` segment (likewise), and
//! `BSD_SYMTAB = "yes"` ([`ElfError::BadNote`]).
//!
//! ```
//! use xenrs::elf::{ElfError, Kernel};
//!
//! assert_eq!(Kernel::parse(b"MZ not an ELF"), Err(ElfError::NotElf));
//! ```

use core::fmt;

use xen_abi::elfnote::ElfNote;

/// The size of a guest page (x86), in bytes.
pub const PAGE_SIZE: u64 = 4096;

/// The most program headers an image may have.
pub const MAX_PROGRAM_HEADERS: u16 = 64;

const EHDR_SIZE: usize = 64;
const PHDR_SIZE: u16 = 56;
const NOTE_HEADER_SIZE: u64 = 12;

const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const EV_CURRENT: u8 = 1;
const ET_EXEC: u16 = 2;
const EM_X86_64: u16 = 62;
const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
/// `PF_X | PF_W | PF_R`: libelf loads only `PT_LOAD`s with one of them.
const PF_RWX: u32 = 0x7;

/// One loadable segment, already placed at its guest virtual address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Guest virtual address of the segment's first byte (`p_paddr` plus
    /// the kernel's virtual offset).
    pub vaddr: u64,
    /// Offset of the segment's bytes in the image (`p_offset`).
    pub file_offset: u64,
    /// Number of bytes taken from the image (`p_filesz`).
    pub file_size: u64,
    /// Size in memory (`p_memsz`); the bytes past `file_size` are zero.
    pub mem_size: u64,
}

impl Segment {
    /// The guest virtual address just past the segment.
    fn vend(&self) -> Option<u64> {
        self.vaddr.checked_add(self.mem_size)
    }
}

/// A checked x86_64 PV kernel image: its loadable segments and Xen notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kernel {
    /// The `PT_LOAD` segments with a non-zero `p_memsz` (and, like libelf,
    /// at least one of the R/W/X flags), sorted by `vaddr`, non-overlapping.
    pub segments: Vec<Segment>,
    /// Where the kernel's mapping starts (`XEN_ELFNOTE_VIRT_BASE`, 0 if
    /// absent).
    #[doc(alias = "XEN_ELFNOTE_VIRT_BASE")]
    pub virt_base: u64,
    /// The lowest segment address.
    pub virt_kstart: u64,
    /// The end of the highest segment (`vaddr + mem_size`), exclusive.
    pub virt_kend: u64,
    /// The entry point: `XEN_ELFNOTE_ENTRY`, else `e_entry` (taken as a
    /// virtual address, as libelf does).
    #[doc(alias = "XEN_ELFNOTE_ENTRY")]
    pub entry: u64,
    /// The virtual address of the hypercall page the kernel reserves
    /// (`XEN_ELFNOTE_HYPERCALL_PAGE`), page-aligned and inside the kernel.
    #[doc(alias = "XEN_ELFNOTE_HYPERCALL_PAGE")]
    pub hypercall_page: Option<u64>,
    /// `XEN_ELFNOTE_GUEST_OS`.
    #[doc(alias = "XEN_ELFNOTE_GUEST_OS")]
    pub guest_os: Option<String>,
    /// `XEN_ELFNOTE_GUEST_VERSION`.
    #[doc(alias = "XEN_ELFNOTE_GUEST_VERSION")]
    pub guest_version: Option<String>,
    /// `XEN_ELFNOTE_LOADER`.
    #[doc(alias = "XEN_ELFNOTE_LOADER")]
    pub loader: Option<String>,
    /// `XEN_ELFNOTE_XEN_VERSION` (libelf insists on `xen-3.0`, so this is
    /// always `Some` after a successful parse).
    #[doc(alias = "XEN_ELFNOTE_XEN_VERSION")]
    pub xen_version: Option<String>,
    /// Features the kernel requires: the names of `XEN_ELFNOTE_FEATURES`
    /// written with a `!` prefix (stored without it).
    #[doc(alias = "XEN_ELFNOTE_FEATURES")]
    pub features_required: Vec<String>,
    /// Features the kernel supports without requiring them: the other names
    /// of `XEN_ELFNOTE_FEATURES`, known to Xen or not.
    pub features_wanted: Vec<String>,
    /// `XEN_ELFNOTE_SUPPORTED_FEATURES`, a `XENFEAT_*` bitmap (0 if absent).
    #[doc(alias = "XEN_ELFNOTE_SUPPORTED_FEATURES")]
    pub supported_features: u32,
    /// Where the kernel wants the initial p2m list mapped
    /// (`XEN_ELFNOTE_INIT_P2M`), outside the kernel.
    #[doc(alias = "XEN_ELFNOTE_INIT_P2M")]
    pub init_p2m: Option<u64>,
    /// The kernel takes an initrd by frame number, unmapped
    /// (`XEN_ELFNOTE_MOD_START_PFN` non-zero).
    #[doc(alias = "XEN_ELFNOTE_MOD_START_PFN")]
    pub mod_start_pfn: bool,
}

/// Why an image is not a kernel this builder can load.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ElfError {
    /// The image does not start with the ELF magic, or its `EI_VERSION` is
    /// not 1.
    NotElf,
    /// The image is not ELF64 (`EI_CLASS`).
    Not64Bit,
    /// The image is not little-endian (`EI_DATA`).
    NotLittleEndian,
    /// The image is not for x86_64 (`e_machine`).
    NotX86_64,
    /// The image is not an executable (`e_type` is not `ET_EXEC`).
    NotExecutable,
    /// A structure runs past the end of the image or its container.
    Truncated {
        /// What was cut short.
        what: &'static str,
    },
    /// `e_phentsize` is not the size of an ELF64 program header (56).
    BadProgramHeaderSize {
        /// The size the header gave.
        size: u16,
    },
    /// More than [`MAX_PROGRAM_HEADERS`] program headers.
    TooManySegments {
        /// The count the header gave.
        count: u16,
    },
    /// A segment's file range is not inside the image (also from
    /// [`Kernel::load`] when given a shorter image than the one parsed).
    SegmentOutsideFile {
        /// Program header index (for [`Kernel::load`], the index in
        /// [`Kernel::segments`]).
        index: usize,
    },
    /// A segment has more file bytes than memory bytes.
    FileSizeExceedsMemSize {
        /// Program header index.
        index: usize,
    },
    /// No `PT_LOAD` segment with a non-zero size: nothing to load.
    NoLoadableSegments,
    /// A Xen note that cannot be read.
    BadNote {
        /// The note type (`XEN_ELFNOTE_*`).
        note: u32,
        /// What is wrong with it.
        why: &'static str,
    },
    /// No `"Xen"` note in any `PT_NOTE` segment: not a Xen PV kernel (the
    /// legacy `__xen_guest` section is not supported).
    NoXenNotes,
    /// A note libelf requires is absent (its `XEN_ELFNOTE_*` name without
    /// the prefix).
    MissingNote(&'static str),
    /// `XEN_ELFNOTE_XEN_VERSION` is not `xen-3.0`.
    UnsupportedXenVersion(String),
    /// Neither `LOADER = "generic"` nor `GUEST_OS = "linux"` (libelf's
    /// rule; both compared by prefix, as libelf does).
    UnsupportedLoader {
        /// `XEN_ELFNOTE_LOADER`, if present.
        loader: Option<String>,
        /// `XEN_ELFNOTE_GUEST_OS`, if present.
        guest_os: Option<String>,
    },
    /// The kernel requires (`!name` in `XEN_ELFNOTE_FEATURES`) a feature
    /// this builder cannot give it, or one libelf does not know.
    UnsupportedFeature(String),
    /// An address computation left the 64-bit address space (a segment,
    /// the kernel's end or its page-aligned end).
    AddressOverflow,
    /// The image's values disagree: the message names the rule broken.
    Contradiction(&'static str),
    /// [`Kernel::load`]: a segment does not fit the destination.
    DestinationTooSmall {
        /// The index in [`Kernel::segments`].
        index: usize,
    },
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotElf => f.write_str("not an ELF image"),
            Self::Not64Bit => f.write_str("not a 64-bit ELF image"),
            Self::NotLittleEndian => f.write_str("not a little-endian ELF image"),
            Self::NotX86_64 => f.write_str("not an x86_64 ELF image"),
            Self::NotExecutable => f.write_str("not an ELF executable (ET_EXEC)"),
            Self::Truncated { what } => write!(f, "ELF image truncated: {what}"),
            Self::BadProgramHeaderSize { size } => {
                write!(f, "program header size {size}, expected {PHDR_SIZE}")
            }
            Self::TooManySegments { count } => write!(
                f,
                "{count} program headers, at most {MAX_PROGRAM_HEADERS} supported"
            ),
            Self::SegmentOutsideFile { index } => {
                write!(f, "segment {index} lies outside the image")
            }
            Self::FileSizeExceedsMemSize { index } => {
                write!(f, "segment {index} has p_filesz > p_memsz")
            }
            Self::NoLoadableSegments => f.write_str("no loadable segment"),
            Self::BadNote { note, why } => match ElfNote::new(*note).name() {
                Some(name) => write!(f, "bad {name} note: {why}"),
                None => write!(f, "bad Xen note {note:#x}: {why}"),
            },
            Self::NoXenNotes => f.write_str("no Xen ELF notes: not a Xen PV kernel"),
            Self::MissingNote(name) => write!(f, "missing XEN_ELFNOTE_{name}"),
            Self::UnsupportedXenVersion(v) => {
                write!(f, "kernel built for Xen {v:?}, only xen-3.0 is supported")
            }
            Self::UnsupportedLoader { loader, guest_os } => write!(
                f,
                "only generic-loader or Linux kernels are supported \
                 (LOADER {loader:?}, GUEST_OS {guest_os:?})"
            ),
            Self::UnsupportedFeature(name) => {
                write!(f, "kernel requires unsupported feature {name:?}")
            }
            Self::AddressOverflow => f.write_str("kernel address range overflows"),
            Self::Contradiction(why) => write!(f, "inconsistent kernel image: {why}"),
            Self::DestinationTooSmall { index } => {
                write!(f, "segment {index} does not fit the destination")
            }
        }
    }
}

impl std::error::Error for ElfError {}

/// The required features a plain PV domU builder honours.
///
/// `!name` in `XEN_ELFNOTE_FEATURES` means *required*: libelf's
/// `elf_xen_parse_features` sets the bit in both `f_supported` and
/// `f_required`, and fails on an unknown required name. libxenguest
/// (`xc_dom_parse_image`) then only checks that every required feature is
/// also supported (true by construction) and makes it active; it does not
/// ask Xen. So `!writable_page_tables`, which our test kernels and old
/// Linux kernels carry, boots under `xl`: for a PV guest Xen emulates
/// writes to its page tables, so the builder accepts it.
/// `pae_pgdir_above_4gb` needs nothing of a 64-bit builder. The others need
/// a different builder (`auto_translated_physmap`, `hvm_callback_vector`,
/// `dom0`), are gone from Xen (`supervisor_mode_kernel`) or are not offered
/// to PV guests (`writable_descriptor_tables`). A required name libelf
/// does not know (its `elf_xen_feature_names`) is refused as well, as
/// libelf refuses it.
const HONOURED_FEATURES: [&str; 2] = ["writable_page_tables", "pae_pgdir_above_4gb"];

/// Reads `N` bytes at `off`.
fn bytes_at<const N: usize>(b: &[u8], off: u64) -> Option<[u8; N]> {
    let start = usize::try_from(off).ok()?;
    let end = start.checked_add(N)?;
    b.get(start..end)?.try_into().ok()
}

fn u16_at(b: &[u8], off: u64) -> Option<u16> {
    bytes_at(b, off).map(u16::from_le_bytes)
}

fn u32_at(b: &[u8], off: u64) -> Option<u32> {
    bytes_at(b, off).map(u32::from_le_bytes)
}

fn u64_at(b: &[u8], off: u64) -> Option<u64> {
    bytes_at(b, off).map(u64::from_le_bytes)
}

/// The bytes `off..off + len` of `b`, if they are all there.
fn range(b: &[u8], off: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(off).ok()?;
    let end = usize::try_from(off.checked_add(len)?).ok()?;
    b.get(start..end)
}

/// A program header's fields that matter here.
#[derive(Clone, Copy)]
struct Phdr {
    p_type: u32,
    p_flags: u32,
    p_offset: u64,
    p_paddr: u64,
    p_filesz: u64,
    p_memsz: u64,
}

impl Phdr {
    fn read(b: &[u8], off: u64) -> Option<Self> {
        Some(Self {
            p_type: u32_at(b, off)?,
            p_flags: u32_at(b, off.checked_add(4)?)?,
            p_offset: u64_at(b, off.checked_add(8)?)?,
            p_paddr: u64_at(b, off.checked_add(24)?)?,
            p_filesz: u64_at(b, off.checked_add(32)?)?,
            p_memsz: u64_at(b, off.checked_add(40)?)?,
        })
    }
}

/// The Xen notes seen so far; later notes of a type replace earlier ones,
/// as in libelf.
#[derive(Default)]
struct Notes {
    count: usize,
    entry: Option<u64>,
    hypercall_page: Option<u64>,
    virt_base: Option<u64>,
    paddr_offset: Option<u64>,
    init_p2m: Option<u64>,
    mod_start_pfn: bool,
    supported_features: u32,
    guest_os: Option<String>,
    guest_version: Option<String>,
    loader: Option<String>,
    xen_version: Option<String>,
    features: Option<String>,
}

impl Notes {
    /// Walks the notes in `seg` (the bytes of one `PT_NOTE` segment).
    fn parse_segment(&mut self, seg: &[u8]) -> Result<(), ElfError> {
        let end = seg.len() as u64;
        let mut pos: u64 = 0;
        // Each step advances by at least a note header: bounded by the
        // segment length.
        while end.saturating_sub(pos) >= NOTE_HEADER_SIZE {
            let truncated = ElfError::Truncated { what: "ELF note" };
            let namesz = u32_at(seg, pos).ok_or(truncated.clone())?;
            let descsz = u32_at(seg, pos + 4).ok_or(truncated.clone())?;
            let n_type = u32_at(seg, pos + 8).ok_or(truncated.clone())?;
            let name_off = pos + NOTE_HEADER_SIZE;
            let desc_off = name_off + align4(u64::from(namesz));
            let next = desc_off + align4(u64::from(descsz));
            let name = range(seg, name_off, u64::from(namesz)).ok_or(truncated.clone())?;
            let desc = range(seg, desc_off, u64::from(descsz)).ok_or(truncated)?;
            if is_xen_name(name) {
                self.count += 1;
                self.parse_note(ElfNote::new(n_type), desc)?;
            }
            pos = next;
        }
        Ok(())
    }

    fn parse_note(&mut self, note: ElfNote, desc: &[u8]) -> Result<(), ElfError> {
        match note {
            ElfNote::ENTRY => self.entry = Some(numeric(note, desc)?),
            ElfNote::HYPERCALL_PAGE => self.hypercall_page = Some(numeric(note, desc)?),
            ElfNote::VIRT_BASE => self.virt_base = Some(numeric(note, desc)?),
            ElfNote::PADDR_OFFSET => self.paddr_offset = Some(numeric(note, desc)?),
            ElfNote::INIT_P2M => self.init_p2m = Some(numeric(note, desc)?),
            ElfNote::MOD_START_PFN => self.mod_start_pfn = numeric(note, desc)? != 0,
            ElfNote::SUPPORTED_FEATURES => {
                // The first 32-bit submap (XENFEAT_NR_SUBMAPS is 1): the
                // low half of an 8-byte value.
                self.supported_features |= numeric(note, desc)? as u32;
            }
            ElfNote::HV_START_LOW | ElfNote::SUSPEND_CANCEL | ElfNote::PHYS32_ENTRY => {
                // Checked for shape, not used by a 64-bit PV builder.
                numeric(note, desc)?;
            }
            ElfNote::GUEST_OS => self.guest_os = Some(string(note, desc)?),
            ElfNote::GUEST_VERSION => self.guest_version = Some(string(note, desc)?),
            ElfNote::LOADER => self.loader = Some(string(note, desc)?),
            ElfNote::XEN_VERSION => self.xen_version = Some(string(note, desc)?),
            ElfNote::FEATURES => self.features = Some(string(note, desc)?),
            ElfNote::PAE_MODE => {
                // Only meaningful for 32-bit kernels: libelf records it and
                // the x86_64 builder ignores it, so any string is accepted.
                string(note, desc)?;
            }
            ElfNote::BSD_SYMTAB => {
                let load_symtab = string(note, desc)? == "yes";
                if load_symtab {
                    return Err(ElfError::BadNote {
                        note: note.get(),
                        why: "loading the BSD symbol table is not supported",
                    });
                }
            }
            // INFO, L1_MFN_VALID, PHYS32_RELOC and unknown types: ignored,
            // as libelf does.
            _ => {}
        }
        Ok(())
    }
}

fn align4(n: u64) -> u64 {
    // `n` comes from a u32, so this cannot overflow.
    (n + 3) & !3
}

/// A note name is `"Xen"` up to its NUL (libelf compares with `strcmp`).
fn is_xen_name(name: &[u8]) -> bool {
    name.split(|&c| c == 0).next() == Some(b"Xen") && name.contains(&0)
}

/// A numeric note: 4 or 8 bytes, little-endian.
fn numeric(note: ElfNote, desc: &[u8]) -> Result<u64, ElfError> {
    match desc.len() {
        4 => u32_at(desc, 0).map(u64::from),
        8 => u64_at(desc, 0),
        _ => None,
    }
    .ok_or(ElfError::BadNote {
        note: note.get(),
        why: "a numeric note must be 4 or 8 bytes",
    })
}

/// A string note: NUL-terminated, UTF-8 up to the NUL.
fn string(note: ElfNote, desc: &[u8]) -> Result<String, ElfError> {
    let bad = |why| ElfError::BadNote {
        note: note.get(),
        why,
    };
    let nul = desc
        .iter()
        .position(|&c| c == 0)
        .ok_or(bad("string not NUL-terminated"))?;
    let s = desc.get(..nul).ok_or(bad("string not NUL-terminated"))?;
    core::str::from_utf8(s)
        .map(str::to_owned)
        .map_err(|_| bad("string is not UTF-8"))
}

/// Splits `XEN_ELFNOTE_FEATURES` into (required, wanted) and checks the
/// required ones against [`HONOURED_FEATURES`].
fn parse_features(features: &str) -> Result<(Vec<String>, Vec<String>), ElfError> {
    let mut required = Vec::new();
    let mut wanted = Vec::new();
    for name in features.split('|').filter(|n| !n.is_empty()) {
        match name.strip_prefix('!') {
            Some(req) => {
                if !HONOURED_FEATURES.contains(&req) {
                    return Err(ElfError::UnsupportedFeature(req.to_owned()));
                }
                required.push(req.to_owned());
            }
            None => wanted.push(name.to_owned()),
        }
    }
    Ok((required, wanted))
}

/// Checks the ELF header; returns the program header table's offset and
/// count.
fn check_header(image: &[u8]) -> Result<(u64, u16), ElfError> {
    if image.get(..4) != Some(b"\x7fELF") {
        return Err(ElfError::NotElf);
    }
    let ident = image
        .get(..16)
        .ok_or(ElfError::Truncated { what: "ELF header" })?;
    if ident.get(6) != Some(&EV_CURRENT) {
        return Err(ElfError::NotElf);
    }
    if ident.get(4) != Some(&ELFCLASS64) {
        return Err(ElfError::Not64Bit);
    }
    if ident.get(5) != Some(&ELFDATA2LSB) {
        return Err(ElfError::NotLittleEndian);
    }
    if image.len() < EHDR_SIZE {
        return Err(ElfError::Truncated { what: "ELF header" });
    }
    let field = |v: Option<u16>| v.ok_or(ElfError::Truncated { what: "ELF header" });
    if field(u16_at(image, 16))? != ET_EXEC {
        return Err(ElfError::NotExecutable);
    }
    if field(u16_at(image, 18))? != EM_X86_64 {
        return Err(ElfError::NotX86_64);
    }
    let phoff = u64_at(image, 32).ok_or(ElfError::Truncated { what: "ELF header" })?;
    let phentsize = field(u16_at(image, 54))?;
    let phnum = field(u16_at(image, 56))?;
    if phnum > MAX_PROGRAM_HEADERS {
        return Err(ElfError::TooManySegments { count: phnum });
    }
    if phnum > 0 && phentsize != PHDR_SIZE {
        return Err(ElfError::BadProgramHeaderSize { size: phentsize });
    }
    let table = u64::from(PHDR_SIZE) * u64::from(phnum);
    if range(image, phoff, table).is_none() {
        return Err(ElfError::Truncated {
            what: "program headers",
        });
    }
    Ok((phoff, phnum))
}

impl Kernel {
    /// Parses and checks a PV kernel image.
    ///
    /// # Errors
    ///
    /// An [`ElfError`] for the first rule the image breaks: the ELF64
    /// header and program headers, the Xen notes (libelf's
    /// `elf_xen_note_check`), the feature list, then the addresses
    /// (libelf's `elf_xen_addr_calc_check`, plus: the entry point must lie
    /// inside the kernel's end, not on it; the hypercall page must be a
    /// page inside the kernel; segments must not overlap, must lie in the
    /// image and must not need more file bytes than memory bytes).
    pub fn parse(image: &[u8]) -> Result<Kernel, ElfError> {
        let (phoff, phnum) = check_header(image)?;
        let e_entry = u64_at(image, 24).ok_or(ElfError::Truncated { what: "ELF header" })?;

        let mut notes = Notes::default();
        let mut loads: Vec<(usize, Phdr)> = Vec::new();
        for index in 0..phnum {
            let off = phoff + u64::from(index) * u64::from(PHDR_SIZE);
            let index = usize::from(index);
            let ph = Phdr::read(image, off).ok_or(ElfError::Truncated {
                what: "program headers",
            })?;
            match ph.p_type {
                PT_NOTE => {
                    // libelf skips note segments with a zero offset (some
                    // binutils write them that way).
                    if ph.p_offset == 0 {
                        continue;
                    }
                    let seg = range(image, ph.p_offset, ph.p_filesz)
                        .ok_or(ElfError::SegmentOutsideFile { index })?;
                    notes.parse_segment(seg)?;
                }
                PT_LOAD if ph.p_memsz > 0 && ph.p_flags & PF_RWX != 0 => {
                    if ph.p_filesz > ph.p_memsz {
                        return Err(ElfError::FileSizeExceedsMemSize { index });
                    }
                    if range(image, ph.p_offset, ph.p_filesz).is_none() {
                        return Err(ElfError::SegmentOutsideFile { index });
                    }
                    loads.push((index, ph));
                }
                _ => {}
            }
        }
        if notes.count == 0 {
            return Err(ElfError::NoXenNotes);
        }
        Self::check_notes(&notes)?;
        let features = notes.features.as_deref().unwrap_or("");
        let (features_required, features_wanted) = parse_features(features)?;
        if loads.is_empty() {
            return Err(ElfError::NoLoadableSegments);
        }

        // Addresses, as elf_xen_addr_calc_check computes them.
        if notes.paddr_offset.is_some() && notes.virt_base.is_none() {
            return Err(ElfError::Contradiction(
                "PADDR_OFFSET set without VIRT_BASE",
            ));
        }
        let virt_base = notes.virt_base.unwrap_or(0);
        let paddr_offset = notes.paddr_offset.unwrap_or(0);
        // C unsigned arithmetic: a kernel may place its paddrs above
        // VIRT_BASE, the offset then wraps and adding it wraps back.
        let virt_offset = virt_base.wrapping_sub(paddr_offset);
        let mut segments = Vec::with_capacity(loads.len());
        for (_, ph) in &loads {
            let seg = Segment {
                vaddr: ph.p_paddr.wrapping_add(virt_offset),
                file_offset: ph.p_offset,
                file_size: ph.p_filesz,
                mem_size: ph.p_memsz,
            };
            seg.vend().ok_or(ElfError::AddressOverflow)?;
            segments.push(seg);
        }
        segments.sort_by_key(|s| s.vaddr);
        let mut virt_kend: u64 = 0;
        for pair in segments.windows(2) {
            if let [a, b] = pair {
                if a.vend().ok_or(ElfError::AddressOverflow)? > b.vaddr {
                    return Err(ElfError::Contradiction("segments overlap"));
                }
            }
        }
        for s in &segments {
            virt_kend = virt_kend.max(s.vend().ok_or(ElfError::AddressOverflow)?);
        }
        let virt_kstart = segments
            .first()
            .map(|s| s.vaddr)
            .ok_or(ElfError::NoLoadableSegments)?;
        // The builder maps whole pages up to the page-aligned end.
        virt_kend
            .checked_add(PAGE_SIZE - 1)
            .ok_or(ElfError::AddressOverflow)?;

        if virt_base > virt_kstart {
            return Err(ElfError::Contradiction("kernel starts below VIRT_BASE"));
        }
        let entry = notes.entry.unwrap_or(e_entry);
        if !(virt_kstart..virt_kend).contains(&entry) {
            return Err(ElfError::Contradiction("entry point outside the kernel"));
        }
        if let Some(page) = notes.hypercall_page {
            if page % PAGE_SIZE != 0 {
                return Err(ElfError::Contradiction("hypercall page not page-aligned"));
            }
            let inside = page >= virt_kstart
                && page
                    .checked_add(PAGE_SIZE)
                    .is_some_and(|end| end <= virt_kend);
            if !inside {
                return Err(ElfError::Contradiction("hypercall page outside the kernel"));
            }
        }
        if let Some(p2m) = notes.init_p2m {
            if (virt_kstart..virt_kend).contains(&p2m) {
                return Err(ElfError::Contradiction("INIT_P2M inside the kernel"));
            }
        }

        Ok(Kernel {
            segments,
            virt_base,
            virt_kstart,
            virt_kend,
            entry,
            hypercall_page: notes.hypercall_page,
            guest_os: notes.guest_os,
            guest_version: notes.guest_version,
            loader: notes.loader,
            xen_version: notes.xen_version,
            features_required,
            features_wanted,
            supported_features: notes.supported_features,
            init_p2m: notes.init_p2m,
            mod_start_pfn: notes.mod_start_pfn,
        })
    }

    /// libelf's `elf_xen_note_check` for a PV kernel.
    fn check_notes(notes: &Notes) -> Result<(), ElfError> {
        let generic = notes
            .loader
            .as_deref()
            .is_some_and(|l| l.starts_with("generic"));
        let linux = notes
            .guest_os
            .as_deref()
            .is_some_and(|os| os.starts_with("linux"));
        if !generic && !linux {
            return Err(ElfError::UnsupportedLoader {
                loader: notes.loader.clone(),
                guest_os: notes.guest_os.clone(),
            });
        }
        match notes.xen_version.as_deref() {
            None => Err(ElfError::MissingNote("XEN_VERSION")),
            Some(v) if v.starts_with("xen-3.0") => Ok(()),
            Some(v) => Err(ElfError::UnsupportedXenVersion(v.to_owned())),
        }
    }

    /// Number of 4 KiB pages from `virt_base` to the page-aligned
    /// `virt_kend`.
    pub fn pages(&self) -> u64 {
        let end = self.virt_kend.saturating_add(PAGE_SIZE - 1) / PAGE_SIZE;
        end.saturating_sub(self.virt_base / PAGE_SIZE)
    }

    /// Copies each segment's file bytes into `dest`, which maps guest
    /// virtual `virt_base..virt_base + dest.len()`, and zero-fills the rest
    /// of each segment (`mem_size` beyond `file_size`). Bytes of `dest`
    /// outside the segments are left as they are.
    ///
    /// # Errors
    ///
    /// [`ElfError::SegmentOutsideFile`] if `image` is shorter than the one
    /// parsed, [`ElfError::DestinationTooSmall`] if a segment does not fit
    /// `dest`, [`ElfError::FileSizeExceedsMemSize`] for a segment edited
    /// after parsing. `dest` may then be partly written.
    pub fn load(&self, image: &[u8], dest: &mut [u8]) -> Result<(), ElfError> {
        for (index, seg) in self.segments.iter().enumerate() {
            let src = range(image, seg.file_offset, seg.file_size)
                .ok_or(ElfError::SegmentOutsideFile { index })?;
            let too_small = ElfError::DestinationTooSmall { index };
            let start = seg
                .vaddr
                .checked_sub(self.virt_base)
                .ok_or(too_small.clone())?;
            let start = usize::try_from(start).map_err(|_| too_small.clone())?;
            let len = usize::try_from(seg.mem_size).map_err(|_| too_small.clone())?;
            let end = start.checked_add(len).ok_or(too_small.clone())?;
            let dst = dest.get_mut(start..end).ok_or(too_small)?;
            let (head, tail) = if src.len() <= dst.len() {
                dst.split_at_mut(src.len())
            } else {
                return Err(ElfError::FileSizeExceedsMemSize { index });
            };
            head.copy_from_slice(src);
            tail.fill(0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
