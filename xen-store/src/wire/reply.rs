// SPDX-License-Identifier: MIT OR Apache-2.0
//! The client's end of replies: [`check_reply`] turns an `XS_ERROR` into
//! [`Error::Xenstore`], the `decode_*` functions read the payloads.

use alloc::vec::Vec;

use xen_abi::io::xs_wire::{self, MsgType};

use super::frame::Message;
use super::text::{decimal, no_nul, split_strings, utf8};
use crate::error::{Error, Result};
use crate::path::Perm;

/// Turns an `XS_ERROR` reply into [`Error::Xenstore`]; otherwise checks the
/// reply has the type of the request (`expected`).
///
/// # Errors
///
/// [`Error::Xenstore`], [`Error::UnknownErrorName`],
/// [`Error::UnexpectedType`].
pub fn check_reply(msg: &Message, expected: MsgType) -> Result<()> {
    if msg.header.kind == MsgType::ERROR {
        let name = msg.payload.strip_suffix(b"\0").unwrap_or(&msg.payload);
        let name = core::str::from_utf8(name).map_err(|_| Error::UnknownErrorName)?;
        return Err(xs_wire::errno_from_name(name)
            .map(Error::Xenstore)
            .unwrap_or(Error::UnknownErrorName));
    }
    if msg.header.kind != expected {
        return Err(Error::UnexpectedType(msg.header.kind));
    }
    Ok(())
}

/// Decodes `OK\0` (also accepts `OK` without the nul).
///
/// # Errors
///
/// [`Error::Malformed`].
pub fn decode_ok(payload: &[u8]) -> Result<()> {
    match payload {
        b"OK\0" | b"OK" => Ok(()),
        _ => Err(Error::Malformed("expected OK")),
    }
}

/// Decodes one string (its terminating nul is optional).
///
/// # Errors
///
/// [`Error::Malformed`] if it is not UTF-8 or has an inner nul.
pub fn decode_str(payload: &[u8]) -> Result<&str> {
    let s = payload.strip_suffix(b"\0").unwrap_or(payload);
    no_nul(s).map_err(|_| Error::Malformed("string with an inner nul"))?;
    utf8(s, "string is not UTF-8")
}

/// Decodes a list of nul-terminated strings (a directory listing).
///
/// Names come from the peer, so they are checked as names: an empty one
/// (no node has it; a lone `\0` is an empty listing) is skipped, and one
/// with a `/` is refused, since a caller joining it to the parent's path
/// would name some other node.
///
/// # Errors
///
/// [`Error::Malformed`].
pub fn decode_list(payload: &[u8]) -> Result<Vec<&str>> {
    names(&split_strings(payload, "unterminated list")?)
}

/// The child names among `raw`: empty ones skipped, `/` refused.
fn names<'a>(raw: &[&'a [u8]]) -> Result<Vec<&'a str>> {
    raw.iter()
        .filter(|n| !n.is_empty())
        .map(|n| {
            if n.contains(&b'/') {
                return Err(Error::Malformed("child name with a '/'"));
            }
            utf8(n, "name is not UTF-8")
        })
        .collect()
}

/// Decodes a number (transaction id, feature bits, quota).
///
/// # Errors
///
/// [`Error::Malformed`].
pub fn decode_number(payload: &[u8]) -> Result<u64> {
    let s = payload.strip_suffix(b"\0").unwrap_or(payload);
    decimal(s, "expected a number")
}

/// Decodes `T`/`F`.
///
/// # Errors
///
/// [`Error::Malformed`].
pub fn decode_bool(payload: &[u8]) -> Result<bool> {
    match payload.strip_suffix(b"\0").unwrap_or(payload) {
        b"T" => Ok(true),
        b"F" => Ok(false),
        _ => Err(Error::Malformed("expected T or F")),
    }
}

/// Decodes a permission list (owner first).
///
/// # Errors
///
/// [`Error::Malformed`] for an empty list, [`Error::InvalidPerms`].
pub fn decode_perms(payload: &[u8]) -> Result<Vec<Perm>> {
    let s = split_strings(payload, "unterminated permission list")?;
    if s.is_empty() {
        return Err(Error::Malformed("empty permission list"));
    }
    s.into_iter().map(Perm::parse_bytes).collect()
}

/// One decoded `XS_DIRECTORY_PART` reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryPart<'a> {
    /// The node's generation count.
    pub generation: u64,
    /// The children in this part.
    pub children: Vec<&'a str>,
    /// Whether the listing is complete with this part.
    pub last: bool,
    /// Bytes of the child list this part covered, empty names included
    /// (add to the offset; at least 1 unless `last`).
    pub consumed: u32,
}

/// Decodes an `XS_DIRECTORY_PART` reply (names checked as in
/// [`decode_list`]).
///
/// # Errors
///
/// [`Error::Malformed`].
pub fn decode_directory_part(payload: &[u8]) -> Result<DirectoryPart<'_>> {
    let s = split_strings(payload, "unterminated directory part")?;
    let (g, rest) = s
        .split_first()
        .ok_or(Error::Malformed("directory part without generation"))?;
    let generation = decimal(g, "directory generation")?;
    let (last, names) = match rest.split_last() {
        Some((&[], names)) => (true, names),
        _ => (false, rest),
    };
    // The offset counts every name the daemon sent, empty ones too.
    let consumed = names.iter().map(|c| c.len() + 1).sum::<usize>();
    let consumed = u32::try_from(consumed).map_err(|_| Error::Malformed("directory part"))?;
    if !last && consumed == 0 {
        return Err(Error::Malformed("directory part makes no progress"));
    }
    let children = self::names(names)?;
    Ok(DirectoryPart {
        generation,
        children,
        last,
        consumed,
    })
}

/// A decoded `XS_WATCH_EVENT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchEventRef<'a> {
    /// The path that changed (under the watched one), or a special path.
    pub path: &'a str,
    /// The watch's token.
    pub token: &'a [u8],
}

/// Decodes an `XS_WATCH_EVENT` payload (`path\0token\0`; a missing final
/// nul is tolerated).
///
/// # Errors
///
/// [`Error::Malformed`].
pub fn decode_watch_event(payload: &[u8]) -> Result<WatchEventRef<'_>> {
    let body = payload.strip_suffix(b"\0").unwrap_or(payload);
    let at = body
        .iter()
        .position(|b| *b == 0)
        .ok_or(Error::Malformed("watch event without a token"))?;
    let (path, token) = (&body[..at], &body[at + 1..]);
    if token.contains(&0) {
        return Err(Error::Malformed("watch event with extra strings"));
    }
    Ok(WatchEventRef {
        path: utf8(path, "watch path is not UTF-8")?,
        token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Access;
    use crate::wire::frame::framed;
    use crate::wire::{encode_watch_event, Response};
    use alloc::vec;
    use xen_abi::io::xs_wire::{MsgHeader, ReqId, TxId};
    use xen_abi::{DomId, Errno};

    const R1: ReqId = ReqId::new(1);
    const R3: ReqId = ReqId::new(3);

    fn d(n: u16) -> DomId {
        DomId::new(n).unwrap()
    }

    #[test]
    fn replies_round_trip() {
        let t = MsgType::READ;
        let m = framed(&Response::Bytes(b"val").encode(t, R3, TxId::NONE).unwrap());
        check_reply(&m, t).unwrap();
        assert_eq!(m.payload, b"val");
        let m = framed(&Response::Ok.encode(MsgType::WRITE, R3, TxId::NONE).unwrap());
        decode_ok(&m.payload).unwrap();
        let m = framed(
            &Response::Str("/local/domain/3")
                .encode(t, R3, TxId::NONE)
                .unwrap(),
        );
        assert_eq!(decode_str(&m.payload).unwrap(), "/local/domain/3");
        let m = framed(
            &Response::List(&["a", "b"])
                .encode(t, R3, TxId::NONE)
                .unwrap(),
        );
        assert_eq!(decode_list(&m.payload).unwrap(), ["a", "b"]);
        assert_eq!(decode_list(b"").unwrap(), [] as [&str; 0]);
        let perms = [
            Perm::new(Access::Both, d(0)),
            Perm::new(Access::Write, d(9)),
        ];
        let m = framed(&Response::Perms(&perms).encode(t, R3, TxId::NONE).unwrap());
        assert_eq!(decode_perms(&m.payload).unwrap(), perms);
        let m = framed(&Response::Number(77).encode(t, R3, TxId::NONE).unwrap());
        assert_eq!(decode_number(&m.payload).unwrap(), 77);
        let m = framed(&Response::Bool(true).encode(t, R3, TxId::NONE).unwrap());
        assert!(decode_bool(&m.payload).unwrap());
        let m = framed(
            &Response::DirectoryPart {
                generation: 5,
                children: &["x", "yy"],
                last: false,
            }
            .encode(MsgType::DIRECTORY_PART, R3, TxId::NONE)
            .unwrap(),
        );
        let p = decode_directory_part(&m.payload).unwrap();
        assert_eq!((p.generation, p.last, p.consumed), (5, false, 5));
        assert_eq!(p.children, ["x", "yy"]);
        let p = decode_directory_part(b"5\0z\0\0").unwrap();
        assert_eq!((p.children, p.last), (vec!["z"], true));
        let p = decode_directory_part(b"5\0\0").unwrap();
        assert!(p.children.is_empty() && p.last);
        let m = framed(
            &Response::Error(Errno::EACCES)
                .encode(t, R3, TxId::NONE)
                .unwrap(),
        );
        assert_eq!(m.header.kind, MsgType::ERROR);
        assert_eq!(check_reply(&m, t), Err(Error::Xenstore(Errno::EACCES)));
        assert!(Response::Error(Errno::EXDEV)
            .encode(t, R3, TxId::NONE)
            .is_err());
        let m = framed(&encode_watch_event("/a/b", b"tok").unwrap());
        let e = decode_watch_event(&m.payload).unwrap();
        assert_eq!((e.path, e.token), ("/a/b", b"tok".as_slice()));
    }

    #[test]
    fn bad_replies_are_typed_errors() {
        let msg = |kind, p: &[u8]| Message {
            header: MsgHeader {
                kind,
                req_id: R1,
                tx_id: TxId::NONE,
                len: p.len() as u32,
            },
            payload: p.to_vec(),
        };
        assert_eq!(
            check_reply(&msg(MsgType::ERROR, b"EWHAT\0"), MsgType::READ),
            Err(Error::UnknownErrorName)
        );
        assert_eq!(
            check_reply(&msg(MsgType::ERROR, b"\xff\0"), MsgType::READ),
            Err(Error::UnknownErrorName)
        );
        assert_eq!(
            check_reply(&msg(MsgType::ERROR, b"EAGAIN"), MsgType::READ),
            Err(Error::Xenstore(Errno::EAGAIN))
        );
        assert_eq!(
            check_reply(&msg(MsgType::WRITE, b""), MsgType::READ),
            Err(Error::UnexpectedType(MsgType::WRITE))
        );
        assert!(decode_ok(b"NO\0").is_err());
        assert!(decode_list(b"a\0b").is_err());
        assert!(decode_number(b"12a\0").is_err());
        assert!(decode_number(b"99999999999999999999\0").is_err());
        assert!(decode_perms(b"").is_err());
        assert!(decode_perms(b"r0\0z\0").is_err());
        assert!(decode_directory_part(b"").is_err());
        assert!(decode_directory_part(b"x\0a\0").is_err());
        assert!(
            decode_directory_part(b"5\0").is_err(),
            "no progress, not last"
        );
        assert!(decode_watch_event(b"/a").is_err());
        assert!(decode_watch_event(b"/a\0t\0x\0").is_err());
        assert!(decode_str(b"a\0b\0").is_err());
    }
}
