// SPDX-License-Identifier: MIT OR Apache-2.0
//! The payload's text forms, shared by both ends: decimal numbers, domain
//! ids, nul-terminated strings.

use alloc::vec::Vec;

use xen_abi::DomId;

use crate::path::Perm;

use crate::error::{Error, Result};

/// A permission's wire form, `[wrbn]<domid>`.
pub(super) fn perm_bytes(perm: &Perm) -> Vec<u8> {
    let mut s = Vec::with_capacity(6);
    s.push(perm.access.letter() as u8);
    s.extend_from_slice(Num::new(perm.domid.get().into()).as_bytes());
    s
}

/// Formats a number into a small stack buffer.
pub(super) struct Num {
    buf: [u8; 20],
    at: usize,
}

impl Num {
    pub(super) fn new(mut n: u64) -> Self {
        let mut buf = [0u8; 20];
        let mut at = 20;
        loop {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Self { buf, at }
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.buf[self.at..]
    }
}

pub(super) fn no_nul(b: &[u8]) -> Result<&[u8]> {
    if b.contains(&0) {
        Err(Error::EmbeddedNul)
    } else {
        Ok(b)
    }
}

/// Splits a payload into its nul-terminated strings; a final unterminated
/// piece is an error (`what` names the message).
pub(super) fn split_strings<'a>(payload: &'a [u8], what: &'static str) -> Result<Vec<&'a [u8]>> {
    if payload.is_empty() {
        return Ok(Vec::new());
    }
    if payload.last() != Some(&0) {
        return Err(Error::Malformed(what));
    }
    Ok(payload[..payload.len() - 1].split(|b| *b == 0).collect())
}

pub(super) fn utf8<'a>(b: &'a [u8], what: &'static str) -> Result<&'a str> {
    core::str::from_utf8(b).map_err(|_| Error::Malformed(what))
}

/// A decimal `u64`: every value prints (and a peer may send it) in up to 20
/// digits; more, or a value past `u64::MAX`, is refused, never wrapped.
pub(super) fn decimal(b: &[u8], what: &'static str) -> Result<u64> {
    if b.is_empty() || b.len() > 20 || !b.iter().all(u8::is_ascii_digit) {
        return Err(Error::Malformed(what));
    }
    b.iter()
        .try_fold(0u64, |n, d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .ok_or(Error::Malformed(what))
}

pub(super) fn domid(b: &[u8]) -> Result<DomId> {
    let n = decimal(b, "domain id")?;
    u16::try_from(n)
        .ok()
        .and_then(|n| DomId::new(n).ok())
        .ok_or(Error::Malformed("domain id"))
}

pub(super) fn u32_of(b: &[u8], what: &'static str) -> Result<u32> {
    u32::try_from(decimal(b, what)?).map_err(|_| Error::Malformed(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_takes_all_of_u64_and_refuses_past_it() {
        assert_eq!(decimal(b"0", "n"), Ok(0));
        assert_eq!(decimal(b"10000000000000000000", "n"), Ok(10_u64.pow(19)));
        assert_eq!(decimal(b"18446744073709551615", "n"), Ok(u64::MAX));
        for bad in [
            &b"18446744073709551616"[..],
            b"99999999999999999999",
            b"000000000000000000001",
            b"",
            b"+1",
            b"1 ",
        ] {
            assert_eq!(decimal(bad, "n"), Err(Error::Malformed("n")), "{bad:?}");
        }
    }
}
