// SPDX-License-Identifier: MIT OR Apache-2.0
//! A small reader of flattened device trees (the devicetree specification,
//! "Flattened Devicetree (DTB) Format"), enough for what Xen tells an Arm
//! dom0: the `hypervisor` node (Xen version, grant-table region, event
//! PPI), the memory banks and the GIC.
//!
//! The blob is peer input: every offset and length is checked against the
//! blob before use, every walk is bounded by the structure block's size,
//! and errors say what was wrong. Nothing panics on any input.

use core::fmt;

/// `FDT_MAGIC`.
const MAGIC: u32 = 0xd00d_feed;
/// The size of the header we read (versions 17).
const HEADER: usize = 40;
/// The largest blob accepted (Xen's dom0 tree is a few KiB).
pub const MAX_SIZE: usize = 2 << 20;
/// Nodes deeper than this are refused.
const MAX_DEPTH: u32 = 32;

const BEGIN_NODE: u32 = 1;
const END_NODE: u32 = 2;
const PROP: u32 = 3;
const NOP: u32 = 4;
const END: u32 = 9;

/// What is wrong with a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FdtError {
    /// Shorter than the header, or than the size it claims.
    Truncated {
        /// Bytes needed.
        need: usize,
        /// Bytes there.
        have: usize,
    },
    /// Not `0xd00dfeed`.
    BadMagic(u32),
    /// A version this reader does not know (needs 16 or 17 compatible).
    BadVersion(u32),
    /// `totalsize` above [`MAX_SIZE`].
    TooLarge(usize),
    /// A block or item runs past the blob or its block.
    OutOfBounds {
        /// What.
        what: &'static str,
        /// Where it starts.
        off: usize,
        /// How long it is.
        len: usize,
    },
    /// An unknown token, or one where it cannot be.
    BadToken {
        /// Offset in the structure block.
        off: usize,
        /// The token.
        token: u32,
    },
    /// A name without its terminating NUL.
    Unterminated(usize),
    /// Nesting deeper than the reader allows, or unbalanced.
    BadNesting,
    /// A property whose size does not fit its use (`reg`, cells).
    BadProperty(&'static str),
}

impl fmt::Display for FdtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Result of this module.
pub type Result<T> = core::result::Result<T, FdtError>;

fn be32(b: &[u8], off: usize, what: &'static str) -> Result<u32> {
    off.checked_add(4)
        .and_then(|end| b.get(off..end))
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(FdtError::OutOfBounds { what, off, len: 4 })
}

/// A checked device tree.
#[derive(Debug, Clone, Copy)]
pub struct Fdt<'a> {
    blob: &'a [u8],
    strct: &'a [u8],
    strings: &'a [u8],
}

/// A node: its depth (the root is 0), its name (`memory@40000000`) and
/// where its properties start.
#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    /// Depth below the root.
    pub depth: u32,
    /// The unit name, as bytes.
    pub name: &'a [u8],
    props: usize,
}

impl<'a> Node<'a> {
    /// The name before any `@unit-address`.
    pub fn base_name(&self) -> &'a [u8] {
        let n = self.name;
        match n.iter().position(|&c| c == b'@') {
            Some(i) => &n[..i],
            None => n,
        }
    }
}

impl<'a> Fdt<'a> {
    /// Checks the header and the blocks it names.
    ///
    /// # Errors
    /// Any [`FdtError`] the header earns.
    pub fn new(blob: &'a [u8]) -> Result<Self> {
        if blob.len() < HEADER {
            return Err(FdtError::Truncated {
                need: HEADER,
                have: blob.len(),
            });
        }
        let h = |i: usize| be32(blob, i * 4, "header");
        let magic = h(0)?;
        if magic != MAGIC {
            return Err(FdtError::BadMagic(magic));
        }
        let total = h(1)? as usize;
        if total > MAX_SIZE {
            return Err(FdtError::TooLarge(total));
        }
        if total > blob.len() || total < HEADER {
            return Err(FdtError::Truncated {
                need: total.max(HEADER),
                have: blob.len(),
            });
        }
        let blob = &blob[..total];
        let version = h(5)?;
        let last_comp = h(6)?;
        if version < 16 || last_comp > 17 {
            return Err(FdtError::BadVersion(version));
        }
        let block = |off: u32, len: u32, what: &'static str| {
            let (off, len) = (off as usize, len as usize);
            off.checked_add(len)
                .and_then(|end| blob.get(off..end))
                .ok_or(FdtError::OutOfBounds { what, off, len })
        };
        let strct = block(h(2)?, h(9)?, "structure block")?;
        let strings = block(h(3)?, h(8)?, "strings block")?;
        if !h(2)?.is_multiple_of(4) {
            return Err(FdtError::BadToken {
                off: h(2)? as usize,
                token: 0,
            });
        }
        Ok(Fdt {
            blob,
            strct,
            strings,
        })
    }

    /// The whole blob (`totalsize` bytes).
    pub fn blob(&self) -> &'a [u8] {
        self.blob
    }

    /// Reads a header at `addr` and checks the blob it describes.
    ///
    /// # Safety
    /// `addr` must be readable for the header, and for `totalsize` bytes if
    /// the header's magic passes and its size is at most [`MAX_SIZE`];
    /// nothing may write there while the result lives.
    pub unsafe fn from_addr(addr: usize) -> Result<Fdt<'static>> {
        if addr == 0 || !addr.is_multiple_of(8) {
            return Err(FdtError::OutOfBounds {
                what: "blob address",
                off: addr,
                len: 0,
            });
        }
        // SAFETY: the caller vouches for the header.
        let head = unsafe { core::slice::from_raw_parts(addr as *const u8, HEADER) };
        let magic = be32(head, 0, "header")?;
        if magic != MAGIC {
            return Err(FdtError::BadMagic(magic));
        }
        let total = be32(head, 4, "header")? as usize;
        if total > MAX_SIZE {
            return Err(FdtError::TooLarge(total));
        }
        let total = total.max(HEADER);
        // SAFETY: the caller vouches for `totalsize` bytes (capped).
        let blob = unsafe { core::slice::from_raw_parts(addr as *const u8, total) };
        Fdt::new(blob)
    }

    /// The token at `off` of the structure block.
    fn token(&self, off: usize) -> Result<u32> {
        be32(self.strct, off, "structure token")
    }

    /// A NUL-terminated string at `off` of `block`, without the NUL.
    fn cstr(block: &'a [u8], off: usize) -> Result<&'a [u8]> {
        let rest = block.get(off..).ok_or(FdtError::OutOfBounds {
            what: "string",
            off,
            len: 0,
        })?;
        let n = rest
            .iter()
            .position(|&c| c == 0)
            .ok_or(FdtError::Unterminated(off))?;
        Ok(&rest[..n])
    }

    /// The property at `off` (its `PROP` token): name, value, next offset.
    fn prop_at(&self, off: usize) -> Result<(&'a [u8], &'a [u8], usize)> {
        let len = self.token(off + 4)? as usize;
        let nameoff = self.token(off + 8)? as usize;
        let start = off + 12;
        let value = start
            .checked_add(len)
            .and_then(|end| self.strct.get(start..end))
            .ok_or(FdtError::OutOfBounds {
                what: "property value",
                off: start,
                len,
            })?;
        let name = Self::cstr(self.strings, nameoff)?;
        Ok((name, value, (start + len).next_multiple_of(4)))
    }

    /// Calls `f` on every node in document order; stops early when `f`
    /// returns `Some`, and returns that.
    ///
    /// # Errors
    /// The first malformation met (the walk never goes past the block and
    /// makes at most one step per 4 bytes of it).
    pub fn find_node<T>(&self, mut f: impl FnMut(&Node<'a>) -> Option<T>) -> Result<Option<T>> {
        let mut off = 0usize;
        let mut depth = 0u32;
        let mut seen_root = false;
        for _ in 0..=self.strct.len() / 4 {
            let tok = self.token(off)?;
            match tok {
                BEGIN_NODE => {
                    if depth == 0 && seen_root {
                        return Err(FdtError::BadNesting);
                    }
                    if depth >= MAX_DEPTH {
                        return Err(FdtError::BadNesting);
                    }
                    let name = Self::cstr(self.strct, off + 4)?;
                    let props = (off + 4 + name.len() + 1).next_multiple_of(4);
                    let node = Node { depth, name, props };
                    seen_root = true;
                    depth += 1;
                    if let Some(t) = f(&node) {
                        return Ok(Some(t));
                    }
                    off = props;
                }
                END_NODE => {
                    depth = depth.checked_sub(1).ok_or(FdtError::BadNesting)?;
                    off += 4;
                }
                PROP => {
                    if depth == 0 {
                        return Err(FdtError::BadToken { off, token: tok });
                    }
                    off = self.prop_at(off)?.2;
                }
                NOP => off += 4,
                END => {
                    return if depth == 0 {
                        Ok(None)
                    } else {
                        Err(FdtError::BadNesting)
                    };
                }
                token => return Err(FdtError::BadToken { off, token }),
            }
        }
        Err(FdtError::BadNesting)
    }

    /// The value of `node`'s property `name`, if it has one.
    ///
    /// # Errors
    /// A malformed property list.
    pub fn prop(&self, node: &Node<'a>, name: &[u8]) -> Result<Option<&'a [u8]>> {
        let mut off = node.props;
        for _ in 0..=self.strct.len() / 4 {
            match self.token(off)? {
                PROP => {
                    let (n, v, next) = self.prop_at(off)?;
                    if n == name {
                        return Ok(Some(v));
                    }
                    off = next;
                }
                NOP => off += 4,
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    /// The first node at `depth` whose base name is `name`.
    ///
    /// # Errors
    /// A malformed tree.
    pub fn node(&self, depth: u32, name: &[u8]) -> Result<Option<Node<'a>>> {
        self.find_node(|n| (n.depth == depth && n.base_name() == name).then_some(*n))
    }

    /// The root's `#address-cells` and `#size-cells` (defaults 2 and 1).
    ///
    /// # Errors
    /// A malformed tree, or cell counts other than 1 or 2.
    pub fn root_cells(&self) -> Result<(usize, usize)> {
        let root = self
            .find_node(|n| (n.depth == 0).then_some(*n))?
            .ok_or(FdtError::BadNesting)?;
        let cells = |name: &[u8], default: usize| -> Result<usize> {
            match self.prop(&root, name)? {
                None => Ok(default),
                Some(v) => match u32_at(v, 0) {
                    Some(c @ (1 | 2)) if v.len() == 4 => Ok(c as usize),
                    _ => Err(FdtError::BadProperty("#cells")),
                },
            }
        };
        Ok((cells(b"#address-cells", 2)?, cells(b"#size-cells", 1)?))
    }
}

/// Big-endian `u32` number `i` of `v`.
pub fn u32_at(v: &[u8], i: usize) -> Option<u32> {
    let off = i.checked_mul(4)?;
    let s = v.get(off..off.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// A number of `cells` cells (1 or 2) at cell `i` of `v`.
fn cells_at(v: &[u8], i: usize, cells: usize) -> Option<u64> {
    match cells {
        1 => u32_at(v, i).map(u64::from),
        2 => Some(u64::from(u32_at(v, i)?) << 32 | u64::from(u32_at(v, i + 1)?)),
        _ => None,
    }
}

/// The `(address, size)` pairs of a `reg` value.
///
/// # Errors
/// A value that is not a whole number of pairs.
pub fn reg_entries(
    v: &[u8],
    (ac, sc): (usize, usize),
) -> Result<impl Iterator<Item = (u64, u64)> + '_> {
    let pair = 4 * (ac + sc);
    if pair == 0 || !v.len().is_multiple_of(pair) {
        return Err(FdtError::BadProperty("reg"));
    }
    Ok((0..v.len() / pair).filter_map(move |k| {
        let i = k * (ac + sc);
        Some((cells_at(v, i, ac)?, cells_at(v, i + ac, sc)?))
    }))
}

/// Whether the string list `v` (`compatible`) holds `s`.
pub fn has_string(v: &[u8], s: &[u8]) -> bool {
    v.split(|&c| c == 0).any(|x| x == s)
}
