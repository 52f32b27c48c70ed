// SPDX-License-Identifier: MIT OR Apache-2.0
//! Checked decoding of ABI structs from bytes.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::{Error, Result};

/// Copies a `T` out of `bytes`, which must be exactly `size_of::<T>()` long.
///
/// Any alignment is accepted. Use this for anything a peer wrote: the copy is
/// yours, and the peer cannot change it under you.
///
/// # Errors
/// [`Error::BadLength`] when `bytes` is not exactly the size of `T`.
///
/// ```
/// let s: xen_abi::io::xs_wire::MsgHeader = xen_abi::read(&[0u8; 16])?;
/// assert_eq!(s.len, 0);
/// assert!(xen_abi::read::<xen_abi::io::xs_wire::MsgHeader>(&[0u8; 15]).is_err());
/// # Ok::<(), xen_abi::Error>(())
/// ```
pub fn read<T: FromBytes>(bytes: &[u8]) -> Result<T> {
    T::read_from_bytes(bytes).map_err(|_| Error::BadLength {
        expected: core::mem::size_of::<T>(),
        actual: bytes.len(),
    })
}

/// Views `bytes` as a `&T` without copying.
///
/// `bytes` must be exactly `size_of::<T>()` long and aligned for `T`. Only for
/// memory that nobody else writes (for shared memory, use [`read`]).
///
/// # Errors
/// [`Error::BadLength`] for a wrong length, [`Error::Misaligned`] for a
/// misaligned start address.
pub fn view<T: FromBytes + KnownLayout + Immutable>(bytes: &[u8]) -> Result<&T> {
    if bytes.len() != core::mem::size_of::<T>() {
        return Err(Error::BadLength {
            expected: core::mem::size_of::<T>(),
            actual: bytes.len(),
        });
    }
    T::ref_from_bytes(bytes).map_err(|_| Error::Misaligned {
        align: core::mem::align_of::<T>(),
        addr: bytes.as_ptr() as usize,
    })
}

/// Reads a `T` from the start of a C union's raw storage (zero if the
/// storage were shorter, which the callers' sizes rule out).
pub(crate) fn read_prefix<T: FromBytes>(bytes: &[u8]) -> T {
    T::read_from_prefix(bytes).map_or_else(|_| T::new_zeroed(), |(v, _)| v)
}

/// Zeroes a C union's raw storage, then writes `v` at its start.
pub(crate) fn write_prefix<T: IntoBytes + Immutable>(bytes: &mut [u8], v: &T) {
    bytes.fill(0);
    let src = v.as_bytes();
    if let Some(dst) = bytes.get_mut(..src.len()) {
        dst.copy_from_slice(src);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_misaligned_are_errors() {
        let buf = [0u64; 4];
        let bytes = zerocopy::IntoBytes::as_bytes(&buf);
        assert_eq!(
            read::<u64>(&bytes[..7]),
            Err(Error::BadLength {
                expected: 8,
                actual: 7
            })
        );
        assert!(matches!(
            view::<u64>(&bytes[1..9]),
            Err(Error::Misaligned { align: 8, .. })
        ));
        assert!(matches!(
            view::<u64>(&bytes[..9]),
            Err(Error::BadLength {
                expected: 8,
                actual: 9
            })
        ));
        assert_eq!(read::<u64>(&bytes[1..9]), Ok(0));
        assert_eq!(view::<u64>(&bytes[8..16]), Ok(&0));
    }
}
