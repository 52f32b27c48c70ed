// SPDX-License-Identifier: MIT OR Apache-2.0
//! `grant_table.h`: grant entries (v1 and v2) and grant-table operations.

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::{Error, Result};

/// A grant reference (`grant_ref_t`): an index into a domain's grant table.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(transparent)]
#[doc(alias = "grant_ref_t")]
pub struct GrantRef(u32);

impl GrantRef {
    /// The invalid reference (0xffffffff; Linux calls it `INVALID_GRANT_REF`).
    pub const INVALID: Self = Self(0xffff_ffff);

    /// Any reference but [`GrantRef::INVALID`].
    ///
    /// # Errors
    /// [`Error::InvalidGrantRef`] for `0xffffffff`.
    pub const fn new(raw: u32) -> Result<Self> {
        if raw != Self::INVALID.0 {
            Ok(Self(raw))
        } else {
            Err(Error::InvalidGrantRef(raw))
        }
    }

    /// Wraps `raw` without checking it (a bad reference only makes Xen fail).
    pub const fn new_unchecked(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw reference.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for GrantRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantRef({})", self.0)
    }
}

impl fmt::Display for GrantRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
