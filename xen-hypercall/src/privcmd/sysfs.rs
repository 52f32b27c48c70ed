// SPDX-License-Identifier: MIT OR Apache-2.0
//! What Linux tells userspace about the hypervisor in `/sys/hypervisor`
//! (no device or privilege needed).
//!
//! Linux fills these files from the same `xen_version` sub-ops this crate
//! wraps: `type` and `uuid`, `guest_type`, `version/{major,minor,extra}`,
//! `properties/{capabilities,changeset,virtual_start,pagesize,features}`
//! and `compilation/{compiler,compiled_by,compile_date}`. Numbers in
//! `properties` are hexadecimal without a `0x` prefix.

use core::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};

/// Where Linux publishes the hypervisor's description.
pub const SYS_HYPERVISOR: &str = "/sys/hypervisor";

/// The contents of `/sys/hypervisor` on Xen. Optional files (absent on older
/// kernels, or when Xen refuses the sub-op) are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct XenSysfs {
    /// `version/major`, `version/minor`.
    pub version: (u32, u32),
    /// `version/extra` (".7", "-rc", ...).
    pub extra_version: String,
    /// `guest_type`: "PV", "PVH" or "HVM".
    pub guest_type: Option<String>,
    /// `uuid`: the domain handle, as Linux formats it.
    pub uuid: Option<String>,
    /// `properties/capabilities` ("xen-3.0-x86_64 hvm-3.0-x86_32 ...").
    pub capabilities: Option<String>,
    /// `properties/changeset`.
    pub changeset: Option<String>,
    /// `properties/virtual_start`: where Xen's reserved area begins.
    pub virtual_start: Option<u64>,
    /// `properties/pagesize`, in bytes.
    pub page_size: Option<u64>,
    /// `properties/features`: feature submap 0 (`XENFEAT_*` bits).
    pub features: Option<u32>,
    /// `compilation/compiler`.
    pub compiler: Option<String>,
    /// `compilation/compiled_by`.
    pub compiled_by: Option<String>,
    /// `compilation/compile_date`.
    pub compile_date: Option<String>,
}

/// Why [`detect`] found no usable Xen description.
#[derive(Debug)]
#[non_exhaustive]
pub enum DetectError {
    /// `type` is absent: not running on a hypervisor Linux knows, or the
    /// kernel lacks `CONFIG_XEN_SYS_HYPERVISOR`.
    NotXen {
        /// The file that was missing.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// `type` names another hypervisor.
    OtherHypervisor {
        /// What `type` says.
        found: String,
    },
    /// A required file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A file held something other than the number it should.
    Parse {
        /// The file.
        path: PathBuf,
        /// Its (trimmed) contents.
        value: String,
    },
}

impl fmt::Display for DetectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DetectError::NotXen { path, source } => write!(
                f,
                "cannot read {}: {source} (not running on Xen, or the kernel lacks \
                 CONFIG_XEN_SYS_HYPERVISOR)",
                path.display()
            ),
            DetectError::OtherHypervisor { found } => {
                write!(f, "the hypervisor is `{found}`, not Xen")
            }
            DetectError::Read { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            DetectError::Parse { path, value } => {
                write!(f, "{} holds `{value}`, not a number", path.display())
            }
        }
    }
}

impl core::error::Error for DetectError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            DetectError::NotXen { source, .. } | DetectError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Reads `/sys/hypervisor`.
///
/// # Errors
/// [`DetectError`] naming the file that was missing or malformed.
pub fn detect() -> Result<XenSysfs, DetectError> {
    detect_at(Path::new(SYS_HYPERVISOR))
}

/// Reads a `/sys/hypervisor`-shaped directory at `root`.
///
/// # Errors
/// As [`detect`].
pub fn detect_at(root: &Path) -> Result<XenSysfs, DetectError> {
    let type_path = root.join("type");
    let kind = match std::fs::read_to_string(&type_path) {
        Ok(s) => s.trim().to_string(),
        Err(source) => {
            return Err(DetectError::NotXen {
                path: type_path,
                source,
            })
        }
    };
    if kind != "xen" {
        return Err(DetectError::OtherHypervisor { found: kind });
    }
    let required = |rel: &str| -> Result<String, DetectError> {
        let path = root.join(rel);
        std::fs::read_to_string(&path)
            .map(|s| s.trim_end_matches('\n').to_string())
            .map_err(|source| DetectError::Read { path, source })
    };
    let optional = |rel: &str| -> Option<String> {
        std::fs::read_to_string(root.join(rel))
            .ok()
            .map(|s| s.trim_end_matches('\n').to_string())
    };
    let parse_err = |rel: &str, value: &str| DetectError::Parse {
        path: root.join(rel),
        value: value.to_string(),
    };
    let decimal = |rel: &str| -> Result<u32, DetectError> {
        let v = required(rel)?;
        v.trim().parse().map_err(|_| parse_err(rel, v.trim()))
    };
    let hex = |rel: &str| -> Result<Option<u64>, DetectError> {
        match optional(rel) {
            None => Ok(None),
            Some(v) => {
                let t = v.trim();
                let digits = t.strip_prefix("0x").unwrap_or(t);
                u64::from_str_radix(digits, 16)
                    .map(Some)
                    .map_err(|_| parse_err(rel, t))
            }
        }
    };
    let features = match hex("properties/features")? {
        None => None,
        Some(v) => Some(u32::try_from(v).map_err(|_| {
            parse_err(
                "properties/features",
                &optional("properties/features").unwrap_or_default(),
            )
        })?),
    };
    Ok(XenSysfs {
        version: (decimal("version/major")?, decimal("version/minor")?),
        extra_version: required("version/extra")?,
        guest_type: optional("guest_type"),
        uuid: optional("uuid"),
        capabilities: optional("properties/capabilities"),
        changeset: optional("properties/changeset"),
        virtual_start: hex("properties/virtual_start")?,
        page_size: hex("properties/pagesize")?,
        features,
        compiler: optional("compilation/compiler"),
        compiled_by: optional("compilation/compiled_by"),
        compile_date: optional("compilation/compile_date"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_root(name: &str) -> PathBuf {
        let root = std::env::temp_dir().join(std::format!(
            "xen-hypercall-sysfs-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&root);
        for d in ["version", "properties", "compilation"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        root
    }

    fn put(root: &Path, rel: &str, v: &str) {
        std::fs::write(root.join(rel), v).unwrap();
    }

    #[test]
    fn parses_what_linux_writes() {
        let root = fake_root("ok");
        put(&root, "type", "xen\n");
        put(&root, "version/major", "4\n");
        put(&root, "version/minor", "17\n");
        put(&root, "version/extra", ".7\n");
        put(&root, "guest_type", "PV\n");
        put(&root, "properties/pagesize", "1000\n");
        put(&root, "properties/features", "000027f3\n");
        put(&root, "properties/virtual_start", "ffff800000000000\n");
        let s = detect_at(&root).unwrap();
        assert_eq!(s.version, (4, 17));
        assert_eq!(s.extra_version, ".7");
        assert_eq!(s.guest_type.as_deref(), Some("PV"));
        assert_eq!(s.page_size, Some(4096));
        assert_eq!(s.features, Some(0x27f3));
        assert_eq!(s.virtual_start, Some(0xffff_8000_0000_0000));
        assert_eq!(s.uuid, None);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn errors_name_the_file() {
        let root = fake_root("bad");
        let e = detect_at(&root).unwrap_err();
        assert!(matches!(e, DetectError::NotXen { .. }));
        assert!(e.to_string().contains("type") && e.to_string().contains("not running on Xen"));
        put(&root, "type", "kvm\n");
        assert!(matches!(
            detect_at(&root),
            Err(DetectError::OtherHypervisor { .. })
        ));
        put(&root, "type", "xen\n");
        put(&root, "version/major", "four\n");
        let e = detect_at(&root).unwrap_err();
        assert!(e.to_string().contains("version/major"), "{e}");
        let _ = std::fs::remove_dir_all(&root);
    }
}
