// SPDX-License-Identifier: MIT OR Apache-2.0
//! Messages and framing, for either direction: [`Message`],
//! [`encode_message`], [`Framer`].

use alloc::vec::Vec;
use core::mem::size_of;

use xen_abi::io::xs_wire::{MsgHeader, MsgType, ReqId, TxId, PAYLOAD_MAX};
use zerocopy::{FromBytes, IntoBytes};

use crate::error::{Error, Result};

/// Size of a message header.
pub const HEADER_LEN: usize = size_of::<MsgHeader>();

/// One message: header and payload (owned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The header; `header.len == payload.len()`.
    pub header: MsgHeader,
    /// The payload.
    pub payload: Vec<u8>,
}

impl Message {
    /// The header and payload as one buffer, ready to send.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(HEADER_LEN + self.payload.len());
        v.extend_from_slice(self.header.as_bytes());
        v.extend_from_slice(&self.payload);
        v
    }
}

/// Builds a message from nul-terminated `strings` followed by raw `tail`.
///
/// # Errors
///
/// [`Error::PayloadTooLong`].
pub fn encode_message(
    kind: MsgType,
    req_id: ReqId,
    tx_id: TxId,
    strings: &[&[u8]],
    tail: &[u8],
) -> Result<Vec<u8>> {
    let len = strings.iter().map(|s| s.len() + 1).sum::<usize>() + tail.len();
    if len > PAYLOAD_MAX {
        return Err(Error::PayloadTooLong(len));
    }
    let header = MsgHeader {
        kind,
        req_id,
        tx_id,
        len: len as u32,
    };
    let mut v = Vec::with_capacity(HEADER_LEN + len);
    v.extend_from_slice(header.as_bytes());
    for s in strings {
        v.extend_from_slice(s);
        v.push(0);
    }
    v.extend_from_slice(tail);
    Ok(v)
}

/// Cuts a byte stream into messages (either direction).
///
/// A header announcing more than [`PAYLOAD_MAX`] bytes is an error. The
/// caller either drops the connection or, when it trusts the framing (a
/// reply to a request it sent, say), skips the message with
/// [`Framer::skip_oversized`].
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
    start: usize,
    /// Bytes of a skipped message still to drop as they arrive.
    skip: usize,
}

impl Framer {
    /// An empty framer.
    pub const fn new() -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            skip: 0,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, mut bytes: &[u8]) {
        if self.skip > 0 {
            let n = self.skip.min(bytes.len());
            self.skip -= n;
            bytes = &bytes[n..];
        }
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 2 * (HEADER_LEN + PAYLOAD_MAX) {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned as a message.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// How many more bytes the next message needs (at least one when a
    /// message is incomplete; 0 when one is ready).
    pub fn wanted(&self) -> usize {
        if self.skip > 0 {
            return self.skip + HEADER_LEN;
        }
        let have = self.buffered();
        if have < HEADER_LEN {
            return HEADER_LEN - have;
        }
        match MsgHeader::read_from_prefix(&self.buf[self.start..]) {
            Ok((h, _)) => (HEADER_LEN + (h.len as usize).min(PAYLOAD_MAX)).saturating_sub(have),
            Err(_) => HEADER_LEN,
        }
    }

    /// The next complete message, or `None` until more bytes arrive.
    ///
    /// # Errors
    ///
    /// [`Error::PayloadTooLong`] for a header announcing an oversized
    /// payload (the framer stays stuck on it).
    pub fn next_message(&mut self) -> Result<Option<Message>> {
        let rest = &self.buf[self.start..];
        let Ok((header, _)) = MsgHeader::read_from_prefix(rest) else {
            return Ok(None);
        };
        let len = header.len as usize;
        if len > PAYLOAD_MAX {
            return Err(Error::PayloadTooLong(len));
        }
        if rest.len() < HEADER_LEN + len {
            return Ok(None);
        }
        let payload = rest[HEADER_LEN..HEADER_LEN + len].to_vec();
        self.start += HEADER_LEN + len;
        Ok(Some(Message { header, payload }))
    }

    /// The header [`Framer::next_message`] is stuck on, if it announces an
    /// oversized payload.
    pub fn oversized(&self) -> Option<MsgHeader> {
        let (h, _) = MsgHeader::read_from_prefix(&self.buf[self.start..]).ok()?;
        (h.len as usize > PAYLOAD_MAX).then_some(h)
    }

    /// Drops the oversized message [`Framer::next_message`] is stuck on
    /// (its payload too, as it arrives) and returns its header; `None` if
    /// the next message is not oversized.
    pub fn skip_oversized(&mut self) -> Option<MsgHeader> {
        let h = self.oversized()?;
        self.start += HEADER_LEN;
        let here = (h.len as usize).min(self.buffered());
        self.start += here;
        self.skip = h.len as usize - here;
        Some(h)
    }
}

/// One whole message framed out of `bytes` (tests).
#[cfg(test)]
pub(super) fn framed(bytes: &[u8]) -> Message {
    let mut f = Framer::new();
    f.push(bytes);
    let m = f.next_message().unwrap().unwrap();
    assert_eq!(f.buffered(), 0);
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Request;

    const R1: ReqId = ReqId::new(1);

    #[test]
    fn framer_handles_pieces_and_refuses_oversize() {
        let a = Request::Read { path: "/a" }.encode(R1, TxId::NONE).unwrap();
        let b = Request::Read { path: "/bb" }
            .encode(ReqId::new(2), TxId::NONE)
            .unwrap();
        let mut all = a.clone();
        all.extend_from_slice(&b);
        let mut f = Framer::new();
        for byte in &all {
            assert!(f.wanted() > 0);
            f.push(core::slice::from_ref(byte));
            if let Some(m) = f.next_message().unwrap() {
                assert!(m.header.req_id == R1 || m.header.req_id == ReqId::new(2));
            }
        }
        assert_eq!(f.buffered(), 0);
        let h = MsgHeader {
            kind: MsgType::READ,
            req_id: R1,
            tx_id: TxId::NONE,
            len: PAYLOAD_MAX as u32 + 1,
        };
        f.push(h.as_bytes());
        assert_eq!(
            f.next_message(),
            Err(Error::PayloadTooLong(PAYLOAD_MAX + 1))
        );
        assert_eq!(f.oversized(), Some(h));
    }

    #[test]
    fn framer_skips_an_oversized_message_arriving_in_pieces() {
        let big = 3 * PAYLOAD_MAX;
        let h = MsgHeader {
            kind: MsgType::DIRECTORY,
            req_id: ReqId::new(9),
            tx_id: TxId::NONE,
            len: big as u32,
        };
        let after = Request::Read { path: "/after" }
            .encode(ReqId::new(10), TxId::NONE)
            .unwrap();
        let mut stream = h.as_bytes().to_vec();
        stream.extend_from_slice(&alloc::vec![b'z'; big]);
        stream.extend_from_slice(&after);
        for split in [
            HEADER_LEN,
            HEADER_LEN + 100,
            HEADER_LEN + big,
            stream.len() - 3,
        ] {
            let mut f = Framer::new();
            f.push(&stream[..split]);
            assert!(f.next_message().is_err());
            assert_eq!(f.skip_oversized(), Some(h), "split {split}");
            assert_eq!(f.skip_oversized(), None);
            let mut got = None;
            for chunk in stream[split..].chunks(777) {
                f.push(chunk);
                if let Some(m) = f.next_message().unwrap() {
                    got = Some(m);
                }
            }
            if got.is_none() {
                got = f.next_message().unwrap();
            }
            let m = got.expect("the message after the skipped one");
            assert_eq!(
                (m.header.req_id, m.payload.as_slice()),
                (ReqId::new(10), &b"/after\0"[..])
            );
        }
    }
}
