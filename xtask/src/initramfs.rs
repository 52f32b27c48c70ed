// SPDX-License-Identifier: MIT OR Apache-2.0
//! Building an initramfs: a fresh root directory filled with files and
//! dynamically linked programs (with every library `ldd` names), an
//! executable `/init`, packed as an uncompressed newc cpio (the kernel
//! unpacks it with no decompression under TCG).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process;

/// An image being filled.
#[derive(Debug)]
pub(crate) struct Tree {
    dir: PathBuf,
    root: PathBuf,
    /// Libraries the programs link, copied when packing.
    libs: BTreeSet<PathBuf>,
}

impl Tree {
    /// Starts an empty image in `dir/root` (`dir/initramfs.cpio` when packed).
    pub(crate) fn new(dir: &Path) -> Result<Self, String> {
        let root = dir.join("root");
        if root.exists() {
            std::fs::remove_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        }
        mkdirs(&root)?;
        Ok(Tree {
            dir: dir.to_path_buf(),
            root,
            libs: BTreeSet::new(),
        })
    }

    /// Where `dest` (absolute, in the image) lies on the host.
    fn host_path(&self, dest: &Path) -> PathBuf {
        self.root.join(dest.strip_prefix("/").unwrap_or(dest))
    }

    /// Copies `src` (following symlinks) to `dest`.
    pub(crate) fn file(&mut self, src: &Path, dest: &Path) -> Result<(), String> {
        let to = self.host_path(dest);
        if let Some(parent) = to.parent() {
            mkdirs(parent)?;
        }
        std::fs::copy(src, &to)
            .map_err(|e| format!("copy {} -> {}: {e}", src.display(), to.display()))?;
        Ok(())
    }

    /// Copies a program and every library it needs.
    pub(crate) fn program(&mut self, src: &Path, dest: &Path) -> Result<(), String> {
        self.file(src, dest)?;
        self.libs.extend(libraries(src)?);
        Ok(())
    }

    /// [`Tree::program`] without debug info (most of a test binary; the
    /// console needs none of it).
    pub(crate) fn stripped_program(&mut self, src: &Path, dest: &Path) -> Result<(), String> {
        let to = self.host_path(dest);
        if let Some(parent) = to.parent() {
            mkdirs(parent)?;
        }
        let stripped = Command::new("strip")
            .arg("--strip-debug")
            .arg("-o")
            .arg(&to)
            .arg(src)
            .status()
            .is_ok_and(|s| s.success());
        if !stripped {
            self.file(src, dest)?;
        }
        self.libs.extend(libraries(src)?);
        Ok(())
    }

    /// Adds a library (copied at its host path when packing).
    pub(crate) fn library(&mut self, path: PathBuf) {
        self.libs.insert(path);
    }

    /// Hard-links `link` to the image's `dest`.
    pub(crate) fn hard_link(&mut self, dest: &Path, link: &Path) -> Result<(), String> {
        let (to, link) = (self.host_path(dest), self.host_path(link));
        std::fs::hard_link(&to, &link).map_err(|e| format!("link {}: {e}", link.display()))
    }

    /// Writes an executable script to `dest`.
    pub(crate) fn script(&mut self, dest: &Path, text: &str) -> Result<(), String> {
        let to = self.host_path(dest);
        if let Some(parent) = to.parent() {
            mkdirs(parent)?;
        }
        std::fs::write(&to, text).map_err(|e| format!("{}: {e}", to.display()))?;
        process::run(Command::new("chmod").arg("755").arg(&to))
    }

    /// Copies the libraries, writes `init` as `/init` and packs the image.
    pub(crate) fn pack(mut self, init: &str) -> Result<PathBuf, String> {
        for l in std::mem::take(&mut self.libs) {
            self.file(&l, &l)?;
        }
        self.script(Path::new("/init"), init)?;
        let cpio = self.dir.join("initramfs.cpio");
        process::run(
            Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 > '{}'",
                    cpio.display()
                ))
                .current_dir(&self.root),
        )
        .map_err(|e| format!("{e} (cargo xtask setup installs cpio)"))?;
        Ok(cpio)
    }
}

fn mkdirs(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// The shared libraries `ldd` names for `bin` (the loader included).
fn libraries(bin: &Path) -> Result<Vec<PathBuf>, String> {
    let ldd = Command::new("ldd")
        .arg(bin)
        .output()
        .map_err(|e| format!("ldd: {e}"))?;
    let out = String::from_utf8_lossy(&ldd.stdout);
    if out.contains("not a dynamic executable")
        || String::from_utf8_lossy(&ldd.stderr).contains("not a dynamic executable")
    {
        return Ok(Vec::new()); // static: a kernel, busybox
    }
    if !ldd.status.success() {
        return Err(format!(
            "ldd {}: {}",
            bin.display(),
            String::from_utf8_lossy(&ldd.stderr)
        ));
    }
    Ok(out
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let path = match l.split_once("=>") {
                Some((_, r)) => r.split_whitespace().next()?,
                None => l.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect())
}

/// The `DT_NEEDED` names of an ELF file.
pub(crate) fn needed(elf: &Path) -> Result<Vec<String>, String> {
    let out = process::output(Command::new("readelf").arg("-dW").arg(elf))?;
    Ok(out
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| Some(l.split_once('[')?.1.split_once(']')?.0.to_string()))
        .collect())
}
