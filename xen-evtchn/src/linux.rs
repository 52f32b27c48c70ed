// SPDX-License-Identifier: MIT OR Apache-2.0
//! `/dev/xen/evtchn`: event channels of a Linux dom0 or driver-domain
//! process.
//!
//! An [`Evtchn`] is one open handle on the device. Its binds return an owned
//! [`Port`] that unbinds on drop. When an event arrives the driver masks the
//! port and queues its number; [`Evtchn::pending`] reads many queued ports in
//! one `read(2)` (libxenevtchn reads one per call), and [`Evtchn::unmask`]
//! re-arms many in one `write(2)`. The handle is `AsFd`/`AsRawFd` for poll
//! loops; with the `tokio` feature, `AsyncEvtchn` waits on it through
//! `AsyncFd` and `PendingStream` yields the ports as a `Stream`.
//!
//! ```no_run
//! use xen_evtchn::linux::Evtchn;
//! use xen_evtchn::EvtchnPort;
//! use xen_abi::DomId;
//!
//! # fn main() -> xen_evtchn::Result<()> {
//! let dev = Evtchn::open()?;
//! // A channel to ourselves: an unbound port, then the other end bound to it.
//! let a = dev.bind_unbound_port(DomId::DOM0)?;
//! let b = dev.bind_interdomain(DomId::DOM0, a.port())?;
//! a.notify()?;
//! let mut ports = [EvtchnPort::ZERO; 64];
//! let n = dev.pending(&mut ports)?; // blocks until at least one
//! assert!(ports[..n].contains(&b.port()));
//! dev.unmask(&ports[..n])?;
//! # Ok(()) }
//! ```

use core::time::Duration;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use xen_abi::xen::Virq;
use xen_abi::DomId;

use crate::{Error, EvtchnPort, Result};

#[cfg(feature = "tokio")]
mod stream;
mod sys;

#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use self::stream::{AsyncEvtchn, PendingStream};

/// Where the device lives.
pub const EVTCHN_DEVICE: &str = "/dev/xen/evtchn";

/// Most ports one `read(2)` or `write(2)` of the driver moves (a page).
pub const MAX_BATCH: usize = 4096 / core::mem::size_of::<EvtchnPort>();

/// The open device and its path, shared by the handle and its ports.
#[derive(Debug)]
struct Device {
    file: File,
    path: PathBuf,
}

impl Device {
    fn err(&self, op: &'static str, source: io::Error) -> Error {
        Error::Device {
            path: self.path.clone(),
            op,
            source,
        }
    }

    fn ioctl<T: sys::EvtchnIoctl>(&self, op: &'static str, arg: &T) -> Result<u32> {
        loop {
            match sys::ioctl(self.file.as_fd(), arg) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r.map_err(|e| self.err(op, e)),
            }
        }
    }

    fn unbind(&self, port: EvtchnPort) -> Result<()> {
        let arg = sys::Unbind { port: port.get() };
        self.ioctl("ioctl(IOCTL_EVTCHN_UNBIND)", &arg).map(drop)
    }

    fn notify(&self, port: EvtchnPort) -> Result<()> {
        let arg = sys::Notify { port: port.get() };
        self.ioctl("ioctl(IOCTL_EVTCHN_NOTIFY)", &arg).map(drop)
    }

    /// One read; `Ok(None)` when a non-blocking handle has nothing.
    fn read(&self, buf: &mut [EvtchnPort]) -> Result<Option<usize>> {
        if buf.is_empty() {
            return Ok(Some(0));
        }
        let len = buf.len().min(MAX_BATCH);
        loop {
            return match sys::read_ports(self.file.as_fd(), &mut buf[..len]) {
                Ok(bytes) => whole_ports(bytes).map(Some),
                Err(e) => match e.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    Some(libc::EAGAIN) => Ok(None),
                    Some(libc::EFBIG) => Err(Error::Overflow {
                        path: self.path.clone(),
                    }),
                    _ => Err(self.err("read", e)),
                },
            };
        }
    }
}

/// Bytes read to ports: a partial port is refused.
pub(crate) fn whole_ports(bytes: usize) -> Result<usize> {
    let size = core::mem::size_of::<EvtchnPort>();
    if bytes % size == 0 {
        Ok(bytes / size)
    } else {
        Err(Error::PartialPort { bytes })
    }
}

/// An open `/dev/xen/evtchn` handle.
///
/// The ports bound through it belong to it: only they can be notified,
/// unbound and unmasked through it, and they are delivered only to it.
/// Closing the handle (dropping it and all its [`Port`]s) unbinds any left.
#[derive(Debug, Clone)]
pub struct Evtchn {
    dev: Arc<Device>,
}

impl Evtchn {
    /// Opens [`EVTCHN_DEVICE`] (blocking reads).
    ///
    /// # Errors
    /// [`Error::Device`] naming the path; its hint says what to do when the
    /// module is not loaded (`ENOENT`) or the caller is not root (`EACCES`).
    pub fn open() -> Result<Self> {
        Self::open_at(Path::new(EVTCHN_DEVICE))
    }

    /// Opens the device at `path` (blocking reads).
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_at(path: &Path) -> Result<Self> {
        Self::open_with(path, 0)
    }

    fn open_with(path: &Path, flags: i32) -> Result<Self> {
        match OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(flags)
            .open(path)
        {
            Ok(file) => Ok(Self {
                dev: Arc::new(Device {
                    file,
                    path: path.to_path_buf(),
                }),
            }),
            Err(source) => Err(Error::Device {
                path: path.to_path_buf(),
                op: "open",
                source,
            }),
        }
    }

    /// The device node this handle was opened at.
    pub fn path(&self) -> &Path {
        &self.dev.path
    }

    fn port(&self, raw: u32) -> Port {
        Port {
            dev: Arc::clone(&self.dev),
            // The kernel returns the port Xen allocated; a bad one would only
            // make later requests fail.
            port: EvtchnPort::new_unchecked(raw),
        }
    }

    /// Binds a fresh local port to `remote_port` of domain `remote`, which
    /// that domain allocated for us (as unbound).
    ///
    /// # Errors
    /// [`Error::Device`] with the kernel's or Xen's errno (`EACCES` on a handle
    /// restricted to another domain, `EINVAL` for a port that is not unbound
    /// for us).
    #[doc(alias = "IOCTL_EVTCHN_BIND_INTERDOMAIN")]
    #[doc(alias = "xenevtchn_bind_interdomain")]
    pub fn bind_interdomain(&self, remote: DomId, remote_port: EvtchnPort) -> Result<Port> {
        let arg = sys::BindInterdomain {
            remote_domain: remote.get().into(),
            remote_port: remote_port.get(),
        };
        let raw = self
            .dev
            .ioctl("ioctl(IOCTL_EVTCHN_BIND_INTERDOMAIN)", &arg)?;
        Ok(self.port(raw))
    }

    /// Allocates a fresh local port that domain `remote` may bind to.
    ///
    /// # Errors
    /// [`Error::Device`] (`EACCES` on a restricted handle).
    #[doc(alias = "IOCTL_EVTCHN_BIND_UNBOUND_PORT")]
    #[doc(alias = "xenevtchn_bind_unbound_port")]
    pub fn bind_unbound_port(&self, remote: DomId) -> Result<Port> {
        let arg = sys::BindUnboundPort {
            remote_domain: remote.get().into(),
        };
        let raw = self
            .dev
            .ioctl("ioctl(IOCTL_EVTCHN_BIND_UNBOUND_PORT)", &arg)?;
        Ok(self.port(raw))
    }

    /// Binds a fresh local port to the virtual IRQ `virq` (on vCPU 0).
    ///
    /// # Errors
    /// [`Error::Device`] (`EEXIST` when the VIRQ is already bound in this
    /// domain, `EACCES` on a restricted handle).
    #[doc(alias = "IOCTL_EVTCHN_BIND_VIRQ")]
    #[doc(alias = "xenevtchn_bind_virq")]
    pub fn bind_virq(&self, virq: Virq) -> Result<Port> {
        let arg = sys::BindVirq { virq: virq.get() };
        let raw = self.dev.ioctl("ioctl(IOCTL_EVTCHN_BIND_VIRQ)", &arg)?;
        Ok(self.port(raw))
    }

    /// Signals the remote end of `port`, a port bound through this handle.
    ///
    /// # Errors
    /// [`Error::Device`] with `ENOTCONN` for a port this handle did not bind.
    #[doc(alias = "IOCTL_EVTCHN_NOTIFY")]
    #[doc(alias = "xenevtchn_notify")]
    pub fn notify(&self, port: EvtchnPort) -> Result<()> {
        self.dev.notify(port)
    }

    /// Reads the ports that fired into `buf` (up to [`MAX_BATCH`] a call),
    /// blocking until there is at least one: how many were read. Each is
    /// masked until [`unmask`](Self::unmask)ed. On a non-blocking handle
    /// (one opened by `AsyncEvtchn`) `Ok(0)` means nothing is pending.
    ///
    /// # Errors
    /// [`Error::Overflow`] once the driver's queue overflowed (until
    /// [`reset`](Self::reset)); [`Error::Device`] for other read errors.
    #[doc(alias = "xenevtchn_pending")]
    pub fn pending(&self, buf: &mut [EvtchnPort]) -> Result<usize> {
        Ok(self.dev.read(buf)?.unwrap_or(0))
    }

    /// Waits at most `timeout` (`None`: forever) for pending ports: whether
    /// there are some.
    ///
    /// # Errors
    /// [`Error::Overflow`] when the queue overflowed; [`Error::Device`] if
    /// `poll(2)` fails.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool> {
        match sys::poll(self.dev.file.as_fd(), timeout) {
            Ok(sys::PollState::Idle) => Ok(false),
            Ok(sys::PollState::Readable) => Ok(true),
            Ok(sys::PollState::Overflowed) => Err(Error::Overflow {
                path: self.dev.path.clone(),
            }),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(false),
            Err(e) => Err(self.dev.err("poll", e)),
        }
    }

    /// Re-arms `ports` after their events were handled, in as few
    /// `write(2)`s as the driver allows ([`MAX_BATCH`] ports each). The
    /// driver skips ports this handle did not bind, and ports not masked.
    ///
    /// # Errors
    /// [`Error::Device`] if a write fails or makes no progress.
    #[doc(alias = "xenevtchn_unmask")]
    pub fn unmask(&self, ports: &[EvtchnPort]) -> Result<()> {
        for chunk in ports.chunks(MAX_BATCH) {
            let mut rest = chunk;
            while !rest.is_empty() {
                match sys::write_ports(self.dev.file.as_fd(), rest) {
                    Ok(bytes) => {
                        let n = bytes / core::mem::size_of::<EvtchnPort>();
                        if n == 0 {
                            let e = io::Error::from(io::ErrorKind::WriteZero);
                            return Err(self.dev.err("write", e));
                        }
                        rest = rest.get(n..).unwrap_or_default();
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(self.dev.err("write", e)),
                }
            }
        }
        Ok(())
    }

    /// Empties the driver's queue of pending ports and clears an overflow.
    /// Ports whose events were dropped stay masked: unmask them.
    ///
    /// # Errors
    /// [`Error::Device`] if the ioctl fails.
    #[doc(alias = "IOCTL_EVTCHN_RESET")]
    pub fn reset(&self) -> Result<()> {
        self.dev
            .ioctl("ioctl(IOCTL_EVTCHN_RESET)", &sys::Reset)
            .map(drop)
    }

    /// Restricts this handle, for good, to binding interdomain channels with
    /// `domid` (no VIRQs, no unbound ports). Ports bound before stay.
    ///
    /// # Errors
    /// [`Error::Device`]: `EACCES` if already restricted, `EINVAL` for a
    /// special domain id, `ENOTTY` on kernels without the request.
    #[doc(alias = "IOCTL_EVTCHN_RESTRICT_DOMID")]
    #[doc(alias = "xenevtchn_restrict")]
    pub fn restrict_domid(&self, domid: DomId) -> Result<()> {
        let arg = sys::RestrictDomid { domid };
        self.dev
            .ioctl("ioctl(IOCTL_EVTCHN_RESTRICT_DOMID)", &arg)
            .map(drop)
    }
}

impl AsFd for Evtchn {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.dev.file.as_fd()
    }
}

impl AsRawFd for Evtchn {
    fn as_raw_fd(&self) -> RawFd {
        self.dev.file.as_raw_fd()
    }
}

/// A port bound through an [`Evtchn`]; unbound when dropped.
///
/// It keeps the device open: a port outlives the handle it came from.
#[derive(Debug)]
#[must_use = "dropping a Port unbinds it at once"]
pub struct Port {
    dev: Arc<Device>,
    port: EvtchnPort,
}

impl Port {
    /// The local port number (what [`Evtchn::pending`] returns for it).
    pub fn port(&self) -> EvtchnPort {
        self.port
    }

    /// Signals the remote end.
    ///
    /// # Errors
    /// [`Error::Device`] if the driver refuses.
    #[doc(alias = "IOCTL_EVTCHN_NOTIFY")]
    pub fn notify(&self) -> Result<()> {
        self.dev.notify(self.port)
    }

    /// Unbinds now, reporting a failure that dropping would ignore.
    ///
    /// # Errors
    /// [`Error::Device`] if the driver refuses.
    #[doc(alias = "IOCTL_EVTCHN_UNBIND")]
    #[doc(alias = "xenevtchn_unbind")]
    pub fn unbind(self) -> Result<()> {
        let r = self.dev.unbind(self.port);
        core::mem::forget(self);
        r
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        // Nothing to do about a failure here; `unbind` reports it.
        let _ = self.dev.unbind(self.port);
    }
}

#[cfg(test)]
mod tests {
    use std::string::ToString;

    use super::*;

    #[test]
    fn partial_ports_are_refused() {
        assert_eq!(whole_ports(8).unwrap(), 2);
        assert!(matches!(
            whole_ports(6),
            Err(Error::PartialPort { bytes: 6 })
        ));
    }

    #[test]
    fn open_error_names_path_and_fix() {
        let e = Evtchn::open_at(Path::new("/nonexistent/evtchn")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("/nonexistent/evtchn"), "{msg}");
        assert!(msg.contains("modprobe xen-evtchn"), "{msg}");
        assert!(core::error::Error::source(&e).is_some());
    }

    /// `/dev/null` as the device: every ioctl fails with `ENOTTY`, reads
    /// return end of file, writes take everything.
    #[test]
    fn a_non_evtchn_file_gives_typed_errors() {
        let dev = Evtchn::open_at(Path::new("/dev/null")).unwrap();
        let e = dev.notify(EvtchnPort::new_unchecked(7)).unwrap_err();
        assert!(
            matches!(&e, Error::Device { op, source, .. }
                if op.contains("NOTIFY") && source.raw_os_error() == Some(libc::ENOTTY)),
            "{e:?}"
        );
        assert!(dev.bind_unbound_port(DomId::DOM0).is_err());
        let mut buf = [EvtchnPort::ZERO; 4];
        assert_eq!(dev.pending(&mut buf).unwrap(), 0);
        dev.unmask(&[EvtchnPort::new_unchecked(1); 3000]).unwrap();
    }
}
