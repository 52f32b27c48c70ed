// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_console_io` commands (`CONSOLEIO_*`).

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// A command of `HYPERVISOR_console_io` (`CONSOLEIO_*`).
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
)]
#[repr(transparent)]
pub struct ConsoleIoCmd(u32);

impl ConsoleIoCmd {
    /// Write the buffer to the Xen console.
    #[doc(alias = "CONSOLEIO_write")]
    pub const WRITE: Self = Self(0);
    /// Read up to `count` bytes from the Xen console.
    #[doc(alias = "CONSOLEIO_read")]
    pub const READ: Self = Self(1);
}

code_newtype!(ConsoleIoCmd, u32, [WRITE, READ]);
