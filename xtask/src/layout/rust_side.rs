// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Rust side: xen-abi's types and constants, read from its source.
//!
//! A `#[repr(C)]` struct or union whose first `#[doc(alias = "...")]` is a C
//! name is a mirror of that C type. Its fields, in order, must be the C fields
//! (by name, or by a field-level `doc(alias)`), except explicit padding fields
//! named `_pad*`. A constant (module-level, associated, or declared inside
//! `bitflags!`) with a `doc(alias)` mirrors that C macro or enumerator.

use std::path::{Path, PathBuf};

use syn::parse::{Parse, ParseStream};

/// A field of a Rust mirror.
#[derive(Debug, Clone)]
pub(crate) struct RustField {
    /// The Rust field name.
    pub(crate) name: String,
    /// The C names it may stand for: its own name and its `doc(alias)`es
    /// (a field can be named differently on different architectures).
    pub(crate) c_names: Vec<String>,
    /// An explicit padding field (`_pad*`), with no C twin.
    pub(crate) is_pad: bool,
}

/// A `#[repr(C)]` type with a C twin.
#[derive(Debug, Clone)]
pub(crate) struct RustRecord {
    /// Path from the crate root, e.g. `xen_abi::event_channel::AllocUnbound`.
    pub(crate) path: String,
    /// The C name (first doc alias).
    pub(crate) c_name: String,
    pub(crate) fields: Vec<RustField>,
    /// Where it is declared, for messages.
    pub(crate) location: String,
}

/// A constant with a C twin.
#[derive(Debug, Clone)]
pub(crate) struct RustConst {
    /// A Rust expression naming it, e.g. `xen_abi::Errno::EPERM`.
    pub(crate) path: String,
    pub(crate) c_name: String,
    /// Named by a `doc(alias)` (must have a C twin), rather than merely
    /// spelled like a C name (rustc forbids an alias equal to the name).
    pub(crate) explicit: bool,
    /// An integer or string constant (arrays and other values have no C
    /// constant expression to compare with).
    pub(crate) comparable: bool,
    pub(crate) location: String,
}

/// Everything read from xen-abi's source.
#[derive(Debug, Default)]
pub(crate) struct RustSide {
    pub(crate) records: Vec<RustRecord>,
    pub(crate) consts: Vec<RustConst>,
}

/// The `doc(alias = "...")` values of `attrs`, in order.
fn doc_aliases(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut out = Vec::new();
    for a in attrs {
        if !a.path().is_ident("doc") {
            continue;
        }
        let syn::Meta::List(list) = &a.meta else {
            continue;
        };
        let _ = list.parse_nested_meta(|m| {
            if m.path.is_ident("alias") {
                let s: syn::LitStr = m.value()?.parse()?;
                out.push(s.value());
            } else if m.input.peek(syn::Token![=]) {
                let _: syn::Expr = m.value()?.parse()?;
            }
            Ok(())
        });
    }
    out
}

fn repr_c(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("repr") && {
            let mut c = false;
            let _ = a.parse_nested_meta(|m| {
                if m.path.is_ident("C") {
                    c = true;
                }
                if m.input.peek(syn::token::Paren) {
                    let content;
                    syn::parenthesized!(content in m.input);
                    let _: proc_macro2::TokenStream = content.parse()?;
                }
                Ok(())
            });
            c
        }
    })
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && quote::ToTokens::to_token_stream(&a.meta)
                .to_string()
                .replace(' ', "")
                == "cfg(test)"
    })
}

fn fields_of(fields: &syn::Fields) -> Vec<RustField> {
    fields
        .iter()
        .filter_map(|f| {
            let name = f.ident.as_ref()?.to_string();
            let name = name.strip_prefix("r#").unwrap_or(&name).to_string();
            let mut c_names = doc_aliases(&f.attrs);
            c_names.insert(0, name.clone());
            Some(RustField {
                is_pad: name.starts_with("_pad"),
                name,
                c_names,
            })
        })
        .collect()
}

/// The body of a `bitflags!` invocation: `[vis] (struct|impl) Name: Ty { consts }`.
struct BitflagsBody {
    name: syn::Ident,
    consts: Vec<(Vec<syn::Attribute>, syn::Ident)>,
}

impl Parse for BitflagsBody {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let _outer = input.call(syn::Attribute::parse_outer)?;
        let _vis: syn::Visibility = input.parse()?;
        if input.peek(syn::Token![struct]) {
            let _: syn::Token![struct] = input.parse()?;
        } else {
            let _: syn::Token![impl] = input.parse()?;
        }
        let name: syn::Ident = input.parse()?;
        let _: syn::Token![:] = input.parse()?;
        let _: syn::Type = input.parse()?;
        let content;
        syn::braced!(content in input);
        let mut consts = Vec::new();
        while !content.is_empty() {
            let attrs = content.call(syn::Attribute::parse_outer)?;
            let _: syn::Token![const] = content.parse()?;
            let ident: syn::Ident = if content.peek(syn::Token![_]) {
                let u: syn::Token![_] = content.parse()?;
                syn::Ident::new("_", u.span)
            } else {
                content.parse()?
            };
            let _: syn::Token![=] = content.parse()?;
            let _: syn::Expr = content.parse()?;
            let _: syn::Token![;] = content.parse()?;
            consts.push((attrs, ident));
        }
        // Anything after the braces (more bitflags blocks) is not ours.
        let _: proc_macro2::TokenStream = input.parse()?;
        Ok(BitflagsBody { name, consts })
    }
}

/// The head of a `sring!` invocation (xen-abi's `io::ring::sring`, which
/// declares a protocol's `struct name_sring`): outer attributes (the doc
/// aliases name the C struct), then `vis struct Name(...)`.
struct SringHead {
    attrs: Vec<syn::Attribute>,
    name: syn::Ident,
}

impl Parse for SringHead {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(syn::Attribute::parse_outer)?;
        let _vis: syn::Visibility = input.parse()?;
        let _: syn::Token![struct] = input.parse()?;
        let name: syn::Ident = input.parse()?;
        // The entry type, size, alignment and slot count: not fields.
        let _: proc_macro2::TokenStream = input.parse()?;
        Ok(SringHead { attrs, name })
    }
}

/// The fields `sring!` declares, in order, with their field-level doc
/// aliases (the macro's body in xen-abi's `io/ring.rs`; the layout check
/// compiles `offset_of!` for each, so a drift fails loudly).
const SRING_FIELDS: &[(&str, &[&str])] = &[
    ("req_prod", &[]),
    ("req_event", &[]),
    ("rsp_prod", &[]),
    ("rsp_event", &[]),
    ("pvt", &[]),
    ("pad", &["__pad"]),
    ("ring", &[]),
];

struct Walker<'a> {
    out: &'a mut RustSide,
    file: String,
}

impl Walker<'_> {
    fn location(&self, span: proc_macro2::Span) -> String {
        format!("{}:{}", self.file, span.start().line)
    }

    fn push_const(
        &mut self,
        path: String,
        name: &syn::Ident,
        attrs: &[syn::Attribute],
        ty: Option<&syn::Type>,
        span: proc_macro2::Span,
    ) {
        let location = self.location(span);
        let comparable = !matches!(
            ty,
            Some(syn::Type::Array(_) | syn::Type::Slice(_) | syn::Type::Tuple(_))
        );
        let (c_name, explicit) = match doc_aliases(attrs).into_iter().next() {
            Some(a) => (a, true),
            None => (name.to_string(), false),
        };
        self.out.consts.push(RustConst {
            path,
            c_name,
            explicit,
            comparable,
            location,
        });
    }

    fn items(&mut self, module: &str, items: &[syn::Item]) {
        for item in items {
            match item {
                syn::Item::Struct(s) if repr_c(&s.attrs) => {
                    if let Some(c_name) = doc_aliases(&s.attrs).into_iter().next() {
                        let location = self.location(s.ident.span());
                        self.out.records.push(RustRecord {
                            path: format!("{module}::{}", s.ident),
                            c_name,
                            fields: fields_of(&s.fields),
                            location,
                        });
                    }
                }
                syn::Item::Union(u) if repr_c(&u.attrs) => {
                    if let Some(c_name) = doc_aliases(&u.attrs).into_iter().next() {
                        let location = self.location(u.ident.span());
                        self.out.records.push(RustRecord {
                            path: format!("{module}::{}", u.ident),
                            c_name,
                            fields: fields_of(&syn::Fields::Named(u.fields.clone())),
                            location,
                        });
                    }
                }
                syn::Item::Const(c) if matches!(c.vis, syn::Visibility::Public(_)) => {
                    self.push_const(
                        format!("{module}::{}", c.ident),
                        &c.ident,
                        &c.attrs,
                        Some(&c.ty),
                        c.ident.span(),
                    );
                }
                syn::Item::Impl(im) if im.trait_.is_none() => {
                    let syn::Type::Path(tp) = &*im.self_ty else {
                        continue;
                    };
                    let Some(last) = tp.path.segments.last() else {
                        continue;
                    };
                    if !last.arguments.is_empty() {
                        continue;
                    }
                    for ii in &im.items {
                        if let syn::ImplItem::Const(c) = ii {
                            if matches!(c.vis, syn::Visibility::Public(_)) {
                                let path = format!("{module}::{}::{}", last.ident, c.ident);
                                self.push_const(
                                    path,
                                    &c.ident,
                                    &c.attrs,
                                    Some(&c.ty),
                                    c.ident.span(),
                                );
                            }
                        }
                    }
                }
                syn::Item::Macro(m)
                    if m.mac
                        .path
                        .segments
                        .last()
                        .is_some_and(|s| s.ident == "bitflags") =>
                {
                    if let Ok(body) = m.mac.parse_body::<BitflagsBody>() {
                        for (attrs, ident) in &body.consts {
                            if ident != "_" {
                                let path = format!("{module}::{}::{}", body.name, ident);
                                self.push_const(path, ident, attrs, None, ident.span());
                            }
                        }
                    }
                }
                syn::Item::Macro(m)
                    if m.mac
                        .path
                        .segments
                        .last()
                        .is_some_and(|s| s.ident == "sring") =>
                {
                    if let Ok(head) = m.mac.parse_body::<SringHead>() {
                        if let Some(c_name) = doc_aliases(&head.attrs).into_iter().next() {
                            let fields = SRING_FIELDS
                                .iter()
                                .map(|(name, aliases)| RustField {
                                    name: name.to_string(),
                                    c_names: std::iter::once(name)
                                        .chain(aliases.iter())
                                        .map(|n| n.to_string())
                                        .collect(),
                                    is_pad: false,
                                })
                                .collect();
                            let location = self.location(head.name.span());
                            self.out.records.push(RustRecord {
                                path: format!("{module}::{}", head.name),
                                c_name,
                                fields,
                                location,
                            });
                        }
                    }
                }
                syn::Item::Mod(m) if !is_cfg_test(&m.attrs) => {
                    if let Some((_, items)) = &m.content {
                        if matches!(m.vis, syn::Visibility::Public(_)) {
                            self.items(&format!("{module}::{}", m.ident), items);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Module path of a source file under `src/`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("lib" | "mod")) {
        parts.pop();
    }
    let mut m = String::from("xen_abi");
    for p in parts {
        m.push_str("::");
        m.push_str(&p);
    }
    m
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in rd {
        let p = e.map_err(|e| e.to_string())?.path();
        if p.is_dir() {
            rs_files(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads every source file of xen-abi.
pub(crate) fn load(root: &Path) -> Result<RustSide, String> {
    let src = root.join("xen-abi/src");
    let mut files = Vec::new();
    rs_files(&src, &mut files)?;
    files.sort();
    let mut out = RustSide::default();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let parsed = syn::parse_file(&text).map_err(|e| format!("{}: {e}", f.display()))?;
        let module = module_of(&src, &f);
        let file = f.strip_prefix(root).unwrap_or(&f).display().to_string();
        Walker {
            out: &mut out,
            file,
        }
        .items(&module, &parsed.items);
    }
    Ok(out)
}
