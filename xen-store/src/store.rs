// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`Store`]: the one operation API of every connection (socket, xenbus
//! device, ring) and of a [`Transaction`](crate::Transaction) on one.

use alloc::string::String;
use alloc::vec::Vec;

use xen_abi::{DomId, Errno};

use crate::error::{Error, Result};
use crate::path::Perm;
use crate::wire::{self, Message, Request};

/// The most bytes of names (each with its nul) [`Store::directory_parts`]
/// collects before it gives up with [`Error::DirectoryTooLarge`]: 1 MiB.
pub const DIRECTORY_MAX_BYTES: usize = 1 << 20;

/// The most `XS_DIRECTORY_PART` replies one listing attempt reads before
/// [`Error::DirectoryTooLarge`]. C xenstored fills each part up to the
/// payload limit, so an honest listing of
/// [`DIRECTORY_MAX_BYTES`] takes about 260; the rest is headroom for
/// daemons that send smaller parts.
pub const DIRECTORY_MAX_ROUNDS: u32 = 4096;

/// How often a directory listing restarts when the node keeps changing
/// under `XS_DIRECTORY_PART`.
const DIRECTORY_RESTARTS: u32 = 16;

/// The xenstore operations, over any connection.
///
/// Implementors provide [`Store::request`]; everything else is built on it.
/// Paths are absolute or relative to the connection's domain home.
pub trait Store {
    /// Sends one request (inside this handle's transaction, if any) and
    /// returns its reply, an `XS_ERROR` reply already turned into
    /// [`Error::Xenstore`].
    ///
    /// # Errors
    ///
    /// [`Error::Xenstore`] from the daemon; validation errors; transport
    /// errors ([`Error::Broken`] once the connection is unusable).
    fn request(&self, req: &Request<'_>) -> Result<Message>;

    /// Reads a node's value.
    ///
    /// # Errors
    ///
    /// As [`Store::request`]; `ENOENT` if the node does not exist.
    #[doc(alias = "xs_read")]
    fn read(&self, path: &str) -> Result<Vec<u8>> {
        Ok(self.request(&Request::Read { path })?.payload)
    }

    /// Reads a node's value as UTF-8 text.
    ///
    /// # Errors
    ///
    /// As [`Store::read`]; [`Error::Malformed`] for a value that is not
    /// UTF-8.
    fn read_string(&self, path: &str) -> Result<String> {
        String::from_utf8(self.read(path)?).map_err(|_| Error::Malformed("value is not UTF-8"))
    }

    /// Reads a node's value, `None` if the node does not exist: "absent"
    /// apart from every other failure (a conflict, a broken connection).
    ///
    /// # Errors
    ///
    /// As [`Store::request`], except `ENOENT`.
    fn read_opt(&self, path: &str) -> Result<Option<Vec<u8>>> {
        match self.read(path) {
            Ok(v) => Ok(Some(v)),
            Err(Error::Xenstore(Errno::ENOENT)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether a node exists (`xenstore-exists`).
    ///
    /// # Errors
    ///
    /// As [`Store::request`], except `ENOENT` (which is `Ok(false)`).
    fn exists(&self, path: &str) -> Result<bool> {
        Ok(self.read_opt(path)?.is_some())
    }

    /// Writes a node's value (text or bytes), creating it (and missing
    /// parents).
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    #[doc(alias = "xs_write")]
    fn write(&self, path: &str, value: impl AsRef<[u8]>) -> Result<()>
    where
        Self: Sized,
    {
        self.write_bytes(path, value.as_ref())
    }

    /// [`Store::write`] for a `dyn Store`.
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    fn write_bytes(&self, path: &str, value: &[u8]) -> Result<()> {
        wire::decode_ok(&self.request(&Request::Write { path, value })?.payload)
    }

    /// Creates a node with an empty value (no error if it exists).
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    #[doc(alias = "xs_mkdir")]
    fn mkdir(&self, path: &str) -> Result<()> {
        wire::decode_ok(&self.request(&Request::Mkdir { path })?.payload)
    }

    /// Removes a node and everything below it.
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    #[doc(alias = "xs_rm")]
    fn rm(&self, path: &str) -> Result<()> {
        wire::decode_ok(&self.request(&Request::Rm { path })?.payload)
    }

    /// The names of a node's children. Listings too large for one message
    /// (C xenstored says `E2BIG`; oxenstored sends an oversized reply,
    /// which the client skips) are fetched with `XS_DIRECTORY_PART`
    /// transparently, restarting if the node changes meanwhile. A daemon
    /// without `XS_DIRECTORY_PART` (oxenstored 4.17) leaves the first
    /// error: [`Error::PayloadTooLong`] or `E2BIG`.
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    #[doc(alias = "xs_directory")]
    fn directory(&self, path: &str) -> Result<Vec<String>> {
        match self.request(&Request::Directory { path }) {
            Ok(m) => Ok(wire::decode_list(&m.payload)?
                .into_iter()
                .map(String::from)
                .collect()),
            Err(e @ (Error::Xenstore(Errno::E2BIG) | Error::PayloadTooLong(_))) => {
                match self.directory_parts(path) {
                    // oxenstored (4.17) has no XS_DIRECTORY_PART: the
                    // listing cannot be had within the protocol's limit.
                    Err(Error::Xenstore(Errno::ENOSYS)) => Err(e),
                    r => r,
                }
            }
            Err(e) => Err(e),
        }
    }

    /// A node's children, always through `XS_DIRECTORY_PART`.
    ///
    /// # Errors
    ///
    /// As [`Store::request`]; [`Error::TooManyRetries`] if the node changed
    /// during every attempt; [`Error::DirectoryTooLarge`] if one attempt
    /// got past [`DIRECTORY_MAX_BYTES`] or [`DIRECTORY_MAX_ROUNDS`] (a
    /// peer that never says "last"); [`Error::Malformed`] for a part that
    /// does not advance the offset or a name with a `/`.
    #[doc(alias = "xs_directory_part")]
    fn directory_parts(&self, path: &str) -> Result<Vec<String>> {
        'restart: for _ in 0..DIRECTORY_RESTARTS {
            let mut out = Vec::new();
            let mut offset = 0u32;
            let mut generation = None;
            for rounds in 1..=DIRECTORY_MAX_ROUNDS {
                let m = self.request(&Request::DirectoryPart { path, offset })?;
                let part = wire::decode_directory_part(&m.payload)?;
                if *generation.get_or_insert(part.generation) != part.generation {
                    continue 'restart;
                }
                out.extend(part.children.iter().map(|c| String::from(*c)));
                if part.last {
                    return Ok(out);
                }
                // The decoder refuses a "not last" part with no names, so
                // `consumed` is at least 1: the offset strictly advances.
                let bytes = offset as usize + part.consumed as usize;
                if bytes > DIRECTORY_MAX_BYTES {
                    return Err(Error::DirectoryTooLarge { bytes, rounds });
                }
                offset =
                    u32::try_from(bytes).map_err(|_| Error::DirectoryTooLarge { bytes, rounds })?;
            }
            return Err(Error::DirectoryTooLarge {
                bytes: offset as usize,
                rounds: DIRECTORY_MAX_ROUNDS,
            });
        }
        Err(Error::TooManyRetries(DIRECTORY_RESTARTS))
    }

    /// A node's permissions, owner first.
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    #[doc(alias = "xs_get_permissions")]
    fn get_perms(&self, path: &str) -> Result<Vec<Perm>> {
        wire::decode_perms(&self.request(&Request::GetPerms { path })?.payload)
    }

    /// Replaces a node's permissions (owner first; the owner's access is
    /// what unlisted domains get).
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    #[doc(alias = "xs_set_permissions")]
    fn set_perms(&self, path: &str, perms: &[Perm]) -> Result<()> {
        let perms = perms.to_vec();
        wire::decode_ok(&self.request(&Request::SetPerms { path, perms })?.payload)
    }

    /// A domain's home path (`/local/domain/<domid>`).
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    #[doc(alias = "xs_get_domain_path")]
    fn get_domain_path(&self, domid: DomId) -> Result<String> {
        let m = self.request(&Request::GetDomainPath { domid })?;
        wire::decode_str(&m.payload).map(String::from)
    }

    /// Introduces a domain's xenstore ring to xenstored (privileged).
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    #[doc(alias = "xs_introduce_domain")]
    fn introduce(&self, domid: DomId, gfn: u64, port: u32) -> Result<()> {
        wire::decode_ok(
            &self
                .request(&Request::Introduce { domid, gfn, port })?
                .payload,
        )
    }

    /// Makes xenstored forget a domain (privileged).
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    #[doc(alias = "xs_release_domain")]
    fn release(&self, domid: DomId) -> Result<()> {
        wire::decode_ok(&self.request(&Request::Release { domid })?.payload)
    }

    /// Whether xenstored knows the domain.
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    #[doc(alias = "xs_is_domain_introduced")]
    fn is_domain_introduced(&self, domid: DomId) -> Result<bool> {
        wire::decode_bool(
            &self
                .request(&Request::IsDomainIntroduced { domid })?
                .payload,
        )
    }

    /// Sends an `XS_CONTROL` command; returns the daemon's answer text.
    ///
    /// # Errors
    ///
    /// As [`Store::request`].
    #[doc(alias = "xs_control_command")]
    fn control(&self, args: &[&[u8]]) -> Result<Vec<u8>> {
        let m = self.request(&Request::Control {
            args: args.to_vec(),
        })?;
        Ok(m.payload)
    }
}
