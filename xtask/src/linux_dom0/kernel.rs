// SPDX-License-Identifier: MIT OR Apache-2.0
//! Debian's Linux kernel as dom0: the newest installed one, the ELF
//! `vmlinux` inside its bzImage (Xen loads it directly instead of
//! decompressing it itself under TCG), and its Xen modules in load order.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{process, workspace};

/// The Xen modules dom0 needs (their dependencies are added from
/// `modules.dep`).
const MODULES: &[&str] = &[
    "xen-evtchn",
    "xen-gntdev",
    "xen-gntalloc",
    "xen-privcmd",
    "xenfs",
];

/// An installed kernel, ready to boot as dom0.
#[derive(Debug)]
pub(crate) struct Kernel {
    /// `uname -r` of it (`/lib/modules/<version>`).
    pub(crate) version: String,
    /// The ELF kernel, extracted once under the target dir.
    pub(crate) vmlinux: PathBuf,
    /// The modules to load, dependencies first, relative to
    /// `/lib/modules/<version>`.
    pub(crate) modules: Vec<String>,
}

impl Kernel {
    /// The newest installed kernel with modules.
    pub(crate) fn find() -> Result<Kernel, String> {
        let mut found: Vec<String> = std::fs::read_dir("/lib/modules")
            .map_err(|e| {
                format!("/lib/modules: {e} (cargo xtask setup installs linux-image-amd64)")
            })?
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|v| Path::new(&format!("/boot/vmlinuz-{v}")).exists())
            .collect();
        found.sort();
        let version = found.pop().ok_or(
            "no /boot/vmlinuz-* with modules (cargo xtask setup installs linux-image-amd64)",
        )?;
        let vmlinux = workspace::scratch("dom0")?.join(format!("vmlinux-{version}"));
        if !vmlinux.exists() {
            extract_vmlinux(Path::new(&format!("/boot/vmlinuz-{version}")), &vmlinux)?;
        }
        let modules = module_order(&version)?;
        Ok(Kernel {
            version,
            vmlinux,
            modules,
        })
    }
}

/// Extracts the ELF `vmlinux` from a bzImage: the x86 boot protocol's setup
/// header gives the compressed payload's offset (from the end of the setup
/// sectors) and length; its magic says how it is compressed.
fn extract_vmlinux(bzimage: &Path, out: &Path) -> Result<(), String> {
    let data = std::fs::read(bzimage).map_err(|e| format!("{}: {e}", bzimage.display()))?;
    let u32_at = |o: usize| -> Option<u32> {
        Some(u32::from_le_bytes(data.get(o..o + 4)?.try_into().ok()?))
    };
    if data.get(0x202..0x206) != Some(b"HdrS") {
        return Err(format!("{} is not a bzImage", bzimage.display()));
    }
    let setup_sects = usize::from(*data.get(0x1f1).ok_or("truncated bzImage")?).max(4);
    let (off, len) = (
        u32_at(0x248).ok_or("truncated bzImage")? as usize,
        u32_at(0x24c).ok_or("truncated bzImage")? as usize,
    );
    let start = (setup_sects + 1) * 512 + off;
    let payload = data
        .get(start..start + len)
        .ok_or("bzImage payload out of range")?;
    let tool: &[&str] = match payload {
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => &["xz", "-dc", "--single-stream"],
        [0x28, 0xb5, 0x2f, 0xfd, ..] => &["zstd", "-dcq"],
        [0x1f, 0x8b, ..] => &["gzip", "-dc"],
        _ => return Err("bzImage payload: unknown compression".into()),
    };
    let tmp = out.with_extension("payload");
    std::fs::write(&tmp, payload).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let elf = process::output_bytes(Command::new(tool[0]).args(&tool[1..]).arg(&tmp))?;
    let _ = std::fs::remove_file(&tmp);
    if elf.get(..4) != Some(b"\x7fELF") {
        return Err("the decompressed bzImage payload is not an ELF".into());
    }
    std::fs::write(out, elf).map_err(|e| format!("{}: {e}", out.display()))
}

/// [`MODULES`] and their dependencies, dependencies first.
fn module_order(kver: &str) -> Result<Vec<String>, String> {
    let dep_path = format!("/lib/modules/{kver}/modules.dep");
    let deps = std::fs::read_to_string(&dep_path).map_err(|e| format!("{dep_path}: {e}"))?;
    let lookup = |name: &str| -> Option<(String, Vec<String>)> {
        deps.lines().find_map(|l| {
            let (m, d) = l.split_once(':')?;
            let file = m.rsplit('/').next()?;
            let stem = file.split(".ko").next()?;
            (stem == name).then(|| {
                (
                    m.to_string(),
                    d.split_whitespace().map(String::from).collect(),
                )
            })
        })
    };
    let mut order: Vec<String> = Vec::new();
    for name in MODULES {
        let (m, d) = lookup(name).ok_or(format!("module {name} is not in {dep_path}"))?;
        // modules.dep lists every (transitive) dependency, deepest last.
        for dep in d.iter().rev().chain(std::iter::once(&m)) {
            if !order.contains(dep) {
                order.push(dep.clone());
            }
        }
    }
    Ok(order)
}
