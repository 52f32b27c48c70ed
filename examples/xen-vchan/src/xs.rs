// SPDX-License-Identifier: MIT OR Apache-2.0
//! The xenstore side of a vchan: where the server publishes its control
//! page's grant reference and its event channel, as libxenvchan does.

use alloc::format;
use alloc::string::{String, ToString};

use xen_abi::DomId;

use crate::{Error, Result};

/// The node (below the vchan's path) holding the control page's grant
/// reference, in decimal.
pub const RING_REF: &str = "ring-ref";
/// The node (below the vchan's path) holding the server's event channel
/// port, in decimal.
pub const EVENT_CHANNEL: &str = "event-channel";

/// The conventional path of a vchan: `/local/domain/<server>/data/vchan/
/// <client>/<port>` (libxenvchan takes any path; this is the one its users,
/// such as Qubes' qrexec, agree on).
pub fn default_path(server: DomId, client: DomId, port: u32) -> String {
    format!(
        "/local/domain/{}/data/vchan/{}/{}",
        server.get(),
        client.get(),
        port
    )
}

/// Parses a node's value as libxenvchan writes it: a decimal number,
/// not 0 (libxenvchan's client treats 0 as "absent"), that fits a `u32`.
/// A trailing nul is tolerated.
///
/// # Errors
///
/// [`Error::BadNode`] naming `path` and the value.
pub fn parse_number(path: &str, value: &[u8]) -> Result<u32> {
    let bad = || Error::BadNode {
        path: path.to_string(),
        value: String::from_utf8_lossy(&value[..value.len().min(64)]).into_owned(),
    };
    let digits = value.strip_suffix(b"\0").unwrap_or(value);
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let n = digits
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    match u32::try_from(n) {
        Ok(0) | Err(_) => Err(bad()),
        Ok(n) => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_numbers() {
        assert_eq!(
            default_path(DomId::DOM0, DomId::new(3).unwrap(), 7),
            "/local/domain/0/data/vchan/3/7"
        );
        assert_eq!(parse_number("p", b"8").unwrap(), 8);
        assert_eq!(parse_number("p", b"4294967295").unwrap(), u32::MAX);
        assert_eq!(parse_number("p", b"16\0").unwrap(), 16);
        for bad in [
            &b""[..],
            b"0",
            b"-1",
            b" 8",
            b"8x",
            b"4294967296",
            b"99999999999",
        ] {
            assert!(
                matches!(parse_number("p", bad), Err(Error::BadNode { .. })),
                "{bad:?}"
            );
        }
    }
}
