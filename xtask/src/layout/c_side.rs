// SPDX-License-Identifier: MIT OR Apache-2.0
//! The C side: bindgen over the installed Xen headers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process;
pub(crate) use crate::xen::Arch;

/// Xen's interface version the crate mirrors (`__XEN_LATEST_INTERFACE_VERSION__` of 4.17).
pub(crate) const INTERFACE_VERSION: &str = "0x00040e00";

/// Where libxen-dev installs the public headers.
pub(crate) const XEN_INCLUDE: &str = "/usr/include/xen";

/// What the proof needs of an architecture beyond [`crate::xen::Arch`].
impl Arch {
    /// The xen-abi arch module this architecture's own structs live in.
    pub(crate) fn rust_arch_module(self) -> &'static str {
        match self {
            Arch::X86_64 => "arch::x86",
            Arch::Aarch64 => "arch::arm",
        }
    }

    /// The headers whose structs xen-abi must mirror (relative to `xen/`).
    pub(crate) fn headers(self) -> Vec<&'static str> {
        let mut h = vec![
            "xen.h",
            "errno.h",
            "version.h",
            "features.h",
            "sched.h",
            "event_channel.h",
            "grant_table.h",
            "memory.h",
            "vcpu.h",
            "callback.h",
            "physdev.h",
            "hvm/params.h",
            "hvm/hvm_op.h",
            "elfnote.h",
            "io/xs_wire.h",
            "io/console.h",
            "io/ring.h",
            "io/blkif.h",
            "io/netif.h",
            "io/libxenvchan.h",
        ];
        match self {
            Arch::X86_64 => h.extend([
                "arch-x86/xen.h",
                "arch-x86/xen-x86_64.h",
                "arch-x86/hvm/start_info.h",
            ]),
            Arch::Aarch64 => h.push("arch-arm.h"),
        }
        h
    }
}

/// One C struct or union as bindgen saw it.
#[derive(Debug, Clone)]
pub(crate) struct CRecord {
    pub(crate) is_union: bool,
    pub(crate) size: Option<usize>,
    pub(crate) align: Option<usize>,
    /// Fields in declaration order: name (bindgen's `__bindgen_anon_N` for
    /// anonymous members) and offset when bindgen emitted one.
    pub(crate) fields: Vec<(String, Option<usize>)>,
}

/// What the headers define for one architecture.
#[derive(Debug)]
pub(crate) struct CSide {
    /// Every struct/union bindgen emitted, by C name.
    pub(crate) records: BTreeMap<String, CRecord>,
    /// The named structs/unions defined in the listed headers (what xen-abi
    /// must mirror).
    pub(crate) header_records: BTreeSet<String>,
    /// Constants bindgen evaluated (macros and enumerators), by C name.
    pub(crate) consts: BTreeSet<String>,
}

/// A scratch include directory holding only `xen -> /usr/include/xen`, so
/// that clang's freestanding headers (not glibc's) provide `<stdint.h>`.
pub(crate) fn include_dir(scratch: &Path) -> Result<PathBuf, String> {
    let dir = scratch.join("include");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // `io/libxenvchan.h` includes <sys/types.h> (a hosted header) for
    // nothing it uses: an empty stand-in keeps the build freestanding.
    let sys = dir.join("sys");
    std::fs::create_dir_all(&sys).map_err(|e| format!("{}: {e}", sys.display()))?;
    let types = sys.join("types.h");
    if !types.exists() {
        std::fs::write(&types, "/* empty: see xtask/src/layout/c_side.rs */\n")
            .map_err(|e| format!("{}: {e}", types.display()))?;
    }
    let link = dir.join("xen");
    if !link.exists() {
        std::os::unix::fs::symlink(XEN_INCLUDE, &link)
            .map_err(|e| format!("{}: {e}", link.display()))?;
    }
    Ok(dir)
}

/// clang's resource directory (its freestanding `stdint.h` lives there).
pub(crate) fn clang_resource_dir() -> Result<String, String> {
    Ok(
        process::output(Command::new("clang").arg("-print-resource-dir"))?
            .trim()
            .to_string(),
    )
}

/// The clang arguments every C-side step uses for `arch`.
///
/// With `tools`, `__XEN_TOOLS__` is defined, which also forces the latest
/// interface version (so it is not passed then).
pub(crate) fn clang_args(arch: Arch, include: &Path, tools: bool) -> Result<Vec<String>, String> {
    let version = if tools {
        "-D__XEN_TOOLS__".to_string()
    } else {
        format!("-D__XEN_INTERFACE_VERSION__={INTERFACE_VERSION}")
    };
    Ok(vec![
        format!("--target={}", arch.clang_target()),
        "-ffreestanding".into(),
        "-nostdinc".into(),
        "-isystem".into(),
        format!("{}/include", clang_resource_dir()?),
        format!("-I{}", include.display()),
        version,
    ])
}

/// The `#include` lines for `arch`'s headers.
pub(crate) fn include_lines(arch: Arch) -> String {
    let mut s = String::from("#include <stdint.h>\n");
    for h in arch.headers() {
        s.push_str(&format!("#include <xen/{h}>\n"));
    }
    s
}

impl CSide {
    /// Looks a C struct up by its tag. bindgen names a struct declared inside
    /// another one `outer_inner`; such a struct is found by its own tag too.
    pub(crate) fn resolve(&self, c_name: &str) -> Option<(&str, &CRecord)> {
        if let Some((k, r)) = self.records.get_key_value(c_name) {
            return Some((k.as_str(), r));
        }
        let suffix = format!("_{c_name}");
        let mut nested = self.records.iter().filter(|(k, _)| {
            k.strip_suffix(&suffix)
                .is_some_and(|outer| self.records.contains_key(outer))
        });
        match (nested.next(), nested.next()) {
            (Some((k, r)), None) => Some((k.as_str(), r)),
            _ => None,
        }
    }
}

/// Runs bindgen for `arch` and returns the generated Rust source.
pub(crate) fn bindgen_source(arch: Arch, include: &Path, tools: bool) -> Result<String, String> {
    let args = clang_args(arch, include, tools)?;
    let mut b = bindgen::Builder::default()
        .header_contents("xen_abi_layout.h", &include_lines(arch))
        .clang_args(args)
        .layout_tests(true)
        .derive_debug(false)
        .derive_copy(false)
        .prepend_enum_name(false)
        .generate_comments(false)
        .allowlist_recursively(false);
    if std::env::var_os("XTASK_BINDGEN_ALL").is_none() {
        for h in arch.headers() {
            // clang reports a header under the last name it was included by,
            // which may climb more than one level (`io/../grant_table.h`,
            // `arch-x86/hvm/../../xen.h`).
            b = b.allowlist_file(format!(".*/xen/(([^/]+/)*\\.\\./)*{}", regex::escape(h)));
        }
    }
    let bindings = b
        .generate()
        .map_err(|e| format!("bindgen ({}): {e}", arch.name()))?;
    Ok(bindings.to_string())
}

/// Rust keywords bindgen escapes with a trailing underscore.
fn unescape_field(name: &str) -> String {
    const KW: &[&str] = &[
        "type", "in", "ref", "match", "mod", "fn", "use", "impl", "loop", "move", "priv", "box",
        "self", "super", "where", "async", "await", "dyn", "abstract", "final", "override",
        "macro", "yield", "try", "virtual", "unsized", "become", "do", "typeof", "crate", "extern",
        "mut", "pub", "static", "struct", "trait", "enum", "let", "const", "as", "break",
        "continue", "else", "false", "true", "for", "if", "return", "while", "unsafe",
    ];
    match name.strip_suffix('_') {
        Some(stem) if KW.contains(&stem) => stem.to_string(),
        _ => name.to_string(),
    }
}

/// Whether a bindgen record name is one xen-abi is expected to mirror.
fn is_mirrorable(name: &str) -> bool {
    !(name.contains("__bindgen_ty_")
        || name.starts_with("__Bindgen")
        || name.starts_with("__Incomplete")
        || name.starts_with("__guest_handle_")
        || name.ends_with("_front_ring")
        || name.ends_with("_back_ring"))
}

/// Parses bindgen's output into records and constants.
pub(crate) fn parse(source: &str) -> Result<CSide, String> {
    let file = syn::parse_file(source).map_err(|e| format!("parsing bindgen output: {e}"))?;
    let mut records: BTreeMap<String, CRecord> = BTreeMap::new();
    let mut consts = BTreeSet::new();
    let mut layout_consts = Vec::new();
    for item in &file.items {
        match item {
            syn::Item::Struct(s) => {
                let fields: Vec<(String, Option<usize>)> = s
                    .fields
                    .iter()
                    .filter_map(|f| {
                        f.ident
                            .as_ref()
                            .map(|i| (unescape_field(&i.to_string()), None))
                    })
                    .collect();
                // Without derive(Copy), bindgen writes a C union as a struct of
                // `__BindgenUnionField`s plus a `bindgen_union_field` storage field.
                let is_union = fields.iter().any(|(f, _)| f == "bindgen_union_field");
                records.insert(
                    s.ident.to_string(),
                    CRecord {
                        is_union,
                        size: None,
                        align: None,
                        fields,
                    },
                );
            }
            syn::Item::Union(u) => {
                let fields = u
                    .fields
                    .named
                    .iter()
                    .filter_map(|f| {
                        f.ident
                            .as_ref()
                            .map(|i| (unescape_field(&i.to_string()), None))
                    })
                    .collect();
                records.insert(
                    u.ident.to_string(),
                    CRecord {
                        is_union: true,
                        size: None,
                        align: None,
                        fields,
                    },
                );
            }
            syn::Item::Const(c) if c.ident == "_" => {
                layout_consts.push(quote::ToTokens::to_token_stream(&c.expr).to_string());
            }
            syn::Item::Const(c) => {
                consts.insert(c.ident.to_string());
            }
            _ => {}
        }
    }
    // bindgen's layout checks read, once tokenised:
    //   ["Size of foo"] [:: std :: mem :: size_of :: < foo > () - 24usize] ;
    //   ["Offset of field: foo::bar"] [:: std :: mem :: offset_of ! (foo , bar) - 8usize] ;
    let re = regex::Regex::new(
        r#"\[\s*"(Size|Alignment) of ([A-Za-z0-9_]+)"\s*\]\s*\[[^\]]*?-\s*(\d+)usize\s*\]|\[\s*"Offset of field: ([A-Za-z0-9_]+)::([A-Za-z0-9_]+)"\s*\]\s*\[[^\]]*?-\s*(\d+)usize\s*\]"#,
    )
    .map_err(|e| e.to_string())?;
    for text in &layout_consts {
        for cap in re.captures_iter(text) {
            if let Some(kind) = cap.get(1) {
                let name = &cap[2];
                let n: usize = cap[3].parse().map_err(|e| format!("{e}"))?;
                if let Some(r) = records.get_mut(name) {
                    if kind.as_str() == "Size" {
                        r.size = Some(n);
                    } else {
                        r.align = Some(n);
                    }
                }
            } else {
                let name = &cap[4];
                let field = unescape_field(&cap[5]);
                let n: usize = cap[6].parse().map_err(|e| format!("{e}"))?;
                if let Some(r) = records.get_mut(name) {
                    if let Some(f) = r.fields.iter_mut().find(|(f, _)| *f == field) {
                        f.1 = Some(n);
                    }
                }
            }
        }
    }
    let header_records = records
        .keys()
        .filter(|n| is_mirrorable(n))
        .cloned()
        .collect();
    Ok(CSide {
        records,
        header_records,
        consts,
    })
}

/// Runs bindgen for `arch` and parses the result.
///
/// The headers are read twice: as a guest sees them (what xen-abi must mirror,
/// the "not mirrored" list) and with `__XEN_TOOLS__` (toolstack-only items,
/// which xen-abi may mirror too and which are then checked just the same).
pub(crate) fn load(arch: Arch, scratch: &Path, keep: bool) -> Result<CSide, String> {
    let include = include_dir(scratch)?;
    let guest_src = bindgen_source(arch, &include, false)?;
    let tools_src = bindgen_source(arch, &include, true)?;
    if keep {
        for (kind, src) in [("guest", &guest_src), ("tools", &tools_src)] {
            let p = scratch.join(format!("bindgen-{}-{kind}.rs", arch.name()));
            std::fs::write(&p, src).map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    let guest = parse(&guest_src)?;
    let tools = parse(&tools_src)?;
    Ok(CSide {
        records: tools.records,
        header_records: guest.header_records,
        consts: tools.consts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
        #[repr(C)]
        pub struct outer { pub type_: u32, pub __bindgen_anon_1: outer__bindgen_ty_1, pub in_: u16 }
        #[repr(C)]
        pub struct outer_inner { pub x: u64 }
        #[repr(C)]
        pub union outer__bindgen_ty_1 { pub a: u32 }
        #[repr(C)]
        pub struct __guest_handle_u8 { pub p: *mut u8 }
        pub const XEN_EPERM: u32 = 1;
        const _: () = {
            ["Size of outer"][::std::mem::size_of::<outer>() - 12usize];
            ["Alignment of outer"][::std::mem::align_of::<outer>() - 4usize];
            ["Offset of field: outer::type_"][::std::mem::offset_of!(outer, type_) - 0usize];
            ["Offset of field: outer::__bindgen_anon_1"][::std::mem::offset_of!(outer, __bindgen_anon_1) - 4usize];
            ["Offset of field: outer::in_"][::std::mem::offset_of!(outer, in_) - 8usize];
        };
    "#;

    #[test]
    fn parses_bindgen_layout_tests() {
        let c = parse(SAMPLE).unwrap();
        let o = &c.records["outer"];
        assert_eq!((o.size, o.align), (Some(12), Some(4)));
        assert_eq!(
            o.fields,
            vec![
                ("type".to_string(), Some(0)),
                ("__bindgen_anon_1".to_string(), Some(4)),
                ("in".to_string(), Some(8))
            ]
        );
        assert!(c.records["outer__bindgen_ty_1"].is_union);
        assert!(c.consts.contains("XEN_EPERM"));
        let expected: BTreeSet<String> = ["outer", "outer_inner"].map(String::from).into();
        assert_eq!(c.header_records, expected);
        assert_eq!(c.resolve("inner").map(|(k, _)| k), Some("outer_inner"));
        assert!(c.resolve("nothing").is_none());
    }
}
