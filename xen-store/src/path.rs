// SPDX-License-Identifier: MIT OR Apache-2.0
//! Path and permission validation: what xenstored accepts, checked before a
//! request leaves (client) or after it arrives (server).
//!
//! A path is absolute (`/local/domain/0/name`, at most
//! [`ABS_PATH_MAX`] bytes) or relative to the connection's domain home
//! (`device/vif`, at most [`REL_PATH_MAX`] bytes). Components are made of
//! `[A-Za-z0-9-_@]`, separated by single `/`, with no trailing `/` (except
//! the root itself). Watches may also name the special paths
//! [`INTRODUCE_DOMAIN`] and [`RELEASE_DOMAIN`].

use core::fmt;

use xen_abi::io::xs_wire::{ABS_PATH_MAX, REL_PATH_MAX};
use xen_abi::DomId;

use crate::error::{Error, PathError, Result};

/// Special watch path: fires when a domain is introduced to xenstored.
#[doc(alias = "@introduceDomain")]
pub const INTRODUCE_DOMAIN: &str = "@introduceDomain";
/// Special watch path: fires when a domain is released (or dies).
#[doc(alias = "@releaseDomain")]
pub const RELEASE_DOMAIN: &str = "@releaseDomain";

/// Checks a node path (absolute or relative) the way xenstored does.
///
/// ```
/// use xen_store::path::validate;
/// assert!(validate("/local/domain/0/name").is_ok());
/// assert!(validate("device/vif/0").is_ok());
/// assert!(validate("/").is_ok());
/// assert!(validate("/a//b").is_err());
/// assert!(validate("/a/").is_err());
/// assert!(validate("/a b").is_err());
/// ```
///
/// # Errors
///
/// [`Error::InvalidPath`] saying what is wrong.
pub fn validate(path: &str) -> Result<()> {
    check(path).map_err(Error::InvalidPath)
}

/// Checks a watch path: a node path or one of the special `@` paths.
///
/// # Errors
///
/// [`Error::InvalidPath`] saying what is wrong.
pub fn validate_watch(path: &str) -> Result<()> {
    if path.starts_with('@') {
        return match path {
            INTRODUCE_DOMAIN | RELEASE_DOMAIN => Ok(()),
            _ => Err(Error::InvalidPath(PathError::UnknownSpecial)),
        };
    }
    validate(path)
}

fn check(path: &str) -> core::result::Result<(), PathError> {
    let b = path.as_bytes();
    if b.is_empty() {
        return Err(PathError::Empty);
    }
    let max = if b[0] == b'/' {
        ABS_PATH_MAX
    } else {
        REL_PATH_MAX
    };
    if b.len() > max {
        return Err(PathError::TooLong(b.len()));
    }
    if let Some(at) = b
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || b"-/_@".contains(c)))
    {
        return Err(PathError::BadChar(at));
    }
    if path == "/" {
        return Ok(());
    }
    if path.ends_with('/') || path.contains("//") {
        return Err(PathError::EmptyComponent);
    }
    Ok(())
}

/// What a [`Perm`] grants (the letter of `[wrbn]<domid>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// `n`: no access.
    None,
    /// `r`: read.
    Read,
    /// `w`: write.
    Write,
    /// `b`: read and write.
    Both,
}

impl Access {
    /// The protocol letter (`'r'`).
    pub const fn letter(self) -> char {
        match self {
            Access::None => 'n',
            Access::Read => 'r',
            Access::Write => 'w',
            Access::Both => 'b',
        }
    }

    /// The access for a protocol letter.
    pub const fn from_letter(c: u8) -> Option<Self> {
        Some(match c {
            b'n' => Access::None,
            b'r' => Access::Read,
            b'w' => Access::Write,
            b'b' => Access::Both,
            _ => return None,
        })
    }

    /// Whether reading is allowed.
    pub const fn can_read(self) -> bool {
        matches!(self, Access::Read | Access::Both)
    }

    /// Whether writing is allowed.
    pub const fn can_write(self) -> bool {
        matches!(self, Access::Write | Access::Both)
    }
}

/// One entry of a node's permission list (`r0`, `b5`).
///
/// In a list, the first entry names the node's owner (who always has full
/// access) and, through its [`Access`], what every domain not listed gets.
///
/// ```
/// use xen_store::path::{Access, Perm};
/// let p: Perm = "b5".parse()?;
/// assert_eq!(p.access, Access::Both);
/// assert_eq!(p.domid.get(), 5);
/// assert_eq!(p.to_string(), "b5");
/// assert!("x5".parse::<Perm>().is_err());
/// assert!("r".parse::<Perm>().is_err());
/// # Ok::<(), xen_store::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[doc(alias = "xs_permissions")]
pub struct Perm {
    /// The domain.
    pub domid: DomId,
    /// What it may do.
    pub access: Access,
}

impl Perm {
    /// A permission entry.
    pub const fn new(access: Access, domid: DomId) -> Self {
        Self { domid, access }
    }

    /// Parses `[wrbn]<domid>` (decimal, at most `DOMID_MASK`) from bytes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPerms`].
    pub fn parse_bytes(b: &[u8]) -> Result<Self> {
        let (&letter, digits) = b.split_first().ok_or(Error::InvalidPerms)?;
        let access = Access::from_letter(letter).ok_or(Error::InvalidPerms)?;
        if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(Error::InvalidPerms);
        }
        let n = digits
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        let raw = u16::try_from(n).map_err(|_| Error::InvalidPerms)?;
        let domid = DomId::new(raw).map_err(|_| Error::InvalidPerms)?;
        Ok(Self { domid, access })
    }
}

impl core::str::FromStr for Perm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse_bytes(s.as_bytes())
    }
}

impl fmt::Display for Perm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.access.letter(), self.domid.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};

    #[test]
    fn paths() {
        for ok in ["/", "/a", "/local/domain/0", "rel", "a/b-c_d@e", "@x"] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
        assert_eq!(validate(""), Err(Error::InvalidPath(PathError::Empty)));
        assert_eq!(
            validate("/a/"),
            Err(Error::InvalidPath(PathError::EmptyComponent))
        );
        assert_eq!(
            validate("//"),
            Err(Error::InvalidPath(PathError::EmptyComponent))
        );
        assert_eq!(
            validate("/a.b"),
            Err(Error::InvalidPath(PathError::BadChar(2)))
        );
        assert_eq!(
            validate("/a\0"),
            Err(Error::InvalidPath(PathError::BadChar(2)))
        );
        let long_abs: String = "/".to_string() + &"a".repeat(ABS_PATH_MAX - 1);
        assert_eq!(validate(&long_abs), Ok(()));
        let too_long = long_abs.clone() + "a";
        assert_eq!(
            validate(&too_long),
            Err(Error::InvalidPath(PathError::TooLong(ABS_PATH_MAX + 1)))
        );
        let rel = "a".repeat(REL_PATH_MAX);
        assert_eq!(validate(&rel), Ok(()));
        assert!(validate(&(rel + "a")).is_err());
        assert_eq!(validate_watch(INTRODUCE_DOMAIN), Ok(()));
        assert_eq!(validate_watch(RELEASE_DOMAIN), Ok(()));
        assert_eq!(
            validate_watch("@other"),
            Err(Error::InvalidPath(PathError::UnknownSpecial))
        );
    }

    #[test]
    fn perms() {
        for (s, a, d) in [
            ("n0", Access::None, 0),
            ("r1", Access::Read, 1),
            ("w32752", Access::Write, 0x7ff0),
            ("b32767", Access::Both, 0x7fff),
        ] {
            let p: Perm = s.parse().unwrap();
            assert_eq!((p.access, p.domid.get()), (a, d));
            assert_eq!(p.to_string(), s);
        }
        for bad in [
            "", "r", "x1", "r-1", "r+1", "r1a", "r32768", "r99999", "r123456", "R1", " r1",
        ] {
            assert_eq!(bad.parse::<Perm>(), Err(Error::InvalidPerms), "{bad:?}");
        }
        assert!(Access::Both.can_read() && Access::Both.can_write());
        assert!(!Access::None.can_read() && !Access::Read.can_write());
    }
}
