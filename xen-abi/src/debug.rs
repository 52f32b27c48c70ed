// SPDX-License-Identifier: MIT OR Apache-2.0
//! Shared `Debug` helpers.

use core::fmt;

/// Formats a bitflags value as `Name(A | B | 0x..)` (shared by the `Debug`
/// impls of this crate's flag words).
pub(crate) fn debug_flags<B>(name: &str, flags: &B, f: &mut fmt::Formatter<'_>) -> fmt::Result
where
    B: bitflags::Flags,
    B::Bits: bitflags::parser::WriteHex + fmt::LowerHex,
{
    write!(f, "{name}(")?;
    if flags.is_empty() {
        write!(f, "{:#x}", flags.bits())?;
    } else {
        bitflags::parser::to_writer(flags, &mut *f)?;
    }
    f.write_str(")")
}
