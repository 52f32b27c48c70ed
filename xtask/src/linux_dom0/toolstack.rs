// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Xen toolstack in dom0's image: Debian 12's 4.17 tools from this
//! machine, the xenstore-* utilities, and (for images that boot Xen 4.20)
//! Debian 13's 4.20 toolstack with its own glibc, since 4.17's tools cannot
//! create domains there ("domctl operation failed").

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::debian;
use crate::initramfs::{self, Tree};
use crate::process;
use crate::xen::{Arch, XenVersion};

/// Debian 12's Xen 4.17 tools (`xen-utils-4.17`), used on Xen 4.17.
pub(crate) const XEN_TOOLS: &str = "/usr/lib/xen-4.17/bin";

/// The tools dom0 runs, from the toolstack matching the hypervisor
/// (`vchan-socket-proxy`, on libxenvchan, is the C peer of the vchan
/// scenario).
const TOOLS: [&str; 6] = [
    "xenstored",
    "oxenstored",
    "xen-init-dom0",
    "xenconsoled",
    "xl",
    "vchan-socket-proxy",
];

/// Where the 4.20 toolstack lies in dom0: `bin/<tool>` runs each tool
/// through trixie's own loader.
pub(crate) const TOOLS_420: &str = "/xen-4.20";

/// Debian 13 packages of the 4.20 toolstack (the dependency closure of
/// [`TOOLS`]; every `DT_NEEDED` is checked to resolve).
const TOOLS_420_PACKAGES: &[&str] = &[
    "xen-utils-4.20",
    "libxenmisc4.20",
    "libxencall1",
    "libxendevicemodel1",
    "libxenevtchn1",
    "libxenforeignmemory1",
    "libxengnttab1",
    "libxenstore4",
    "libxentoollog1",
    "libxenhypfs1",
    "libxentoolcore1",
    "libyajl2",
    "libc6",
    "libgcc-s1",
    "libext2fs2t64",
    "libcom-err2",
    "liblzma5",
    "libuuid1",
    "libzstd1",
    "zlib1g",
    "libncurses6",
    "libtinfo6",
];

/// Debian's xenstore-utils: one program, hard-linked as `xenstore-read`,
/// `xenstore-write`, ..., that takes its mode from its name.
const XENSTORE_UTILS: &str = "/usr/bin/xenstore";

/// Puts the toolstack into `tree`: the 4.17 tools, xenstore-utils, the
/// oxenstored config, libgcc_s (xl aborts without it: glibc loads it for
/// thread cancellation), and the 4.20 toolstack if `xen` has 4.20.
pub(crate) fn install(tree: &mut Tree, xen: &[XenVersion]) -> Result<(), String> {
    for tool in TOOLS {
        let p = Path::new(XEN_TOOLS).join(tool);
        if !p.exists() {
            return Err(format!(
                "{} is missing (cargo xtask setup installs xen-utils-4.17)",
                p.display()
            ));
        }
        tree.program(&p, &p)?;
    }
    install_xenstore_utils(tree)?;
    if xen.contains(&XenVersion::V4_20) {
        install_tools_420(tree)?;
    }
    let conf = Path::new("/etc/xen/oxenstored.conf");
    tree.file(conf, conf)
        .map_err(|e| format!("{e} (xen-utils-4.17 installs it)"))?;
    if let Some(l) = gcc_s() {
        tree.library(l);
    }
    Ok(())
}

/// Installs [`XENSTORE_UTILS`] and, as hard links again, every
/// `xenstore-*` name linked to it on the host.
fn install_xenstore_utils(tree: &mut Tree) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let src = Path::new(XENSTORE_UTILS);
    let meta = std::fs::metadata(src).map_err(|e| {
        format!("{XENSTORE_UTILS}: {e} (cargo xtask setup installs xenstore-utils)")
    })?;
    tree.program(src, src)?;
    let dir = src.parent().unwrap_or(Path::new("/"));
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in entries.flatten() {
        let name = e.file_name();
        // symlink_metadata: a symlink (xenstore-control, a wrapper) is not a link to it.
        let same = std::fs::symlink_metadata(e.path())
            .is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino());
        if same && name.to_string_lossy().starts_with("xenstore-") {
            tree.hard_link(src, &dir.join(&name))?;
        }
    }
    Ok(())
}

/// Puts Debian 13's 4.20 toolstack under [`TOOLS_420`]: the tools, every
/// library they need (found by `DT_NEEDED`, all from the same unpacked
/// packages), trixie's loader, and `bin/<tool>` wrappers that run each
/// tool through that loader.
fn install_tools_420(tree: &mut Tree) -> Result<(), String> {
    let sysroot = debian::fetch(&debian::Fetch {
        suite: XenVersion::V4_20.debian_suite(),
        arch: Arch::X86_64,
        name: "xen-tools-4.20",
        packages: TOOLS_420_PACKAGES,
    })?;
    let libdir = sysroot.join("usr/lib/x86_64-linux-gnu");
    let dest = Path::new(TOOLS_420);
    let mut todo: Vec<PathBuf> = Vec::new();
    for tool in TOOLS {
        let bin = sysroot.join("usr/lib/xen-4.20/bin").join(tool);
        tree.file(&bin, &dest.join("libexec").join(tool))?;
        tree.script(
            &dest.join("bin").join(tool),
            &format!(
                "#!/bin/sh\nexec {TOOLS_420}/lib/ld-linux-x86-64.so.2 --library-path {TOOLS_420}/lib \
                 {TOOLS_420}/libexec/{tool} \"$@\"\n"
            ),
        )?;
        todo.push(bin);
    }
    // oxenstored 4.20 loads its libxenctrl glue as a plugin from this
    // fixed path.
    let plugins = Path::new("/usr/lib/xen-4.20/ocaml/xsd_glue/xenctrl_plugin");
    let plugin_dir = sysroot.join(plugins.strip_prefix("/").unwrap_or(plugins));
    for e in std::fs::read_dir(&plugin_dir)
        .map_err(|e| format!("{}: {e}", plugin_dir.display()))?
        .flatten()
    {
        tree.file(&e.path(), &plugins.join(e.file_name()))?;
        todo.push(e.path());
    }
    // Thread cancellation in glibc dlopens libgcc_s (xl needs it).
    let mut copied: BTreeSet<String> = ["ld-linux-x86-64.so.2", "libgcc_s.so.1"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    for so in &copied {
        tree.file(&libdir.join(so), &dest.join("lib").join(so))?;
    }
    while let Some(elf) = todo.pop() {
        for so in initramfs::needed(&elf)? {
            if !copied.insert(so.clone()) {
                continue;
            }
            let src = libdir.join(&so);
            if !src.exists() {
                return Err(format!(
                    "{so}, needed by {}, is in none of the 4.20 toolstack's packages (TOOLS_420_PACKAGES)",
                    elf.display()
                ));
            }
            tree.file(&src, &dest.join("lib").join(&so))?;
            todo.push(src);
        }
    }
    Ok(())
}

/// `libgcc_s.so.1`, wherever the host's loader finds it.
fn gcc_s() -> Option<PathBuf> {
    let out = process::output(Command::new("ldconfig").arg("-p")).ok()?;
    out.lines()
        .filter(|l| l.contains("libgcc_s.so.1") && l.contains("x86-64"))
        .find_map(|l| l.split("=>").nth(1).map(|p| PathBuf::from(p.trim())))
}
