// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`StreamTransport`] (feature `std`): xenstored's Unix socket, Linux's
//! `/dev/xen/xenbus`, or any blocking `Read`/`Write` pair; [`Xenstore`] is
//! the [`Client`] over it.

use alloc::boxed::Box;
use core::time::Duration;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::{Client, State, Watch};
use crate::error::{ConnectError, Error, Result};
use crate::session::{Session, WatchEvent};
use crate::sync::Guard;
use crate::sys;
use crate::transport::Transport;
use crate::wire::{HEADER_LEN, PAYLOAD_MAX};

/// The socket path used when `XENSTORED_PATH` is not set.
#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
pub const DEFAULT_SOCKET: &str = "/var/run/xenstored/socket";
/// The xenbus device (driver domains, or dom0 without a socket).
#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
pub const XENBUS_DEVICE: &str = "/dev/xen/xenbus";
/// The older xenfs location of the xenbus device.
#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
pub const XENBUS_PROC: &str = "/proc/xen/xenbus";

/// The std client: xenstored's Unix socket or Linux's xenbus device,
/// shared between threads (see [`Client`] for the API).
#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
pub type Xenstore = Client<StreamTransport>;

/// What a [`StreamTransport`] is connected to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
pub enum Endpoint {
    /// xenstored's Unix socket at this path.
    Socket(PathBuf),
    /// The Linux xenbus device at this path.
    Xenbus(PathBuf),
    /// Caller-supplied streams ([`Xenstore::from_stream`],
    /// [`Xenstore::from_io`]).
    Custom,
}

/// A blocking byte stream to xenstored: each message, or each batch, is
/// written with one `write_all`; reads block until bytes arrive.
#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
pub struct StreamTransport {
    reader: Mutex<Box<dyn Read + Send>>,
    writer: Mutex<Box<dyn Write + Send>>,
    endpoint: Endpoint,
    /// The socket or device, for `poll` loops (`AsFd`); `None` for
    /// caller-supplied streams ([`Xenstore::from_io`]).
    fd: Option<OwnedFd>,
}

impl core::fmt::Debug for StreamTransport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamTransport")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl StreamTransport {
    /// A transport over any byte streams carrying the xenstore framing.
    pub fn new(reader: Box<dyn Read + Send>, writer: Box<dyn Write + Send>) -> Self {
        Self {
            reader: Mutex::new(reader),
            writer: Mutex::new(writer),
            endpoint: Endpoint::Custom,
            fd: None,
        }
    }

    /// What the transport is connected to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn is_xenbus(&self) -> bool {
        matches!(self.endpoint, Endpoint::Xenbus(_))
    }
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Transport for StreamTransport {
    fn write(&self, bytes: &[u8]) -> Result<usize> {
        let mut w = lock(&self.writer);
        w.write_all(bytes)?;
        Ok(bytes.len())
    }

    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        let mut r = lock(&self.reader);
        loop {
            match r.read(buf) {
                Ok(0) => return Err(Error::Disconnected),
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Never called: reads and writes block.
    fn wait(&self) {}

    /// Linux's xenbus device buffers a whole message, header included, in
    /// `XENSTORE_PAYLOAD_MAX` bytes.
    fn max_message(&self) -> usize {
        if self.is_xenbus() {
            PAYLOAD_MAX
        } else {
            HEADER_LEN + PAYLOAD_MAX
        }
    }

    fn one_request_at_a_time(&self) -> bool {
        self.is_xenbus()
    }
}

#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
impl Client<StreamTransport> {
    /// Opens a connection the way libxenstore's `xs_open(0)` does: with
    /// `XENSTORED_PATH` set, that path as a socket, then as a device (a
    /// driver domain may point it at `/dev/xen/xenbus`); otherwise
    /// [`DEFAULT_SOCKET`], then [`XENBUS_DEVICE`] if it exists, else
    /// [`XENBUS_PROC`].
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] if neither opens: both paths, each with its OS
    /// error, and a hint, e.g. `cannot connect to xenstore:
    /// /var/run/xenstored/socket: No such file or directory (os error 2),
    /// then /dev/xen/xenbus: ... (not running on Xen, or xenstored is not
    /// running: ...)`.
    #[doc(alias = "xs_open")]
    pub fn open() -> Result<Self> {
        let socket = Self::socket_path();
        let socket_err = match Self::connect_socket(&socket) {
            Ok(xs) => return Ok(xs),
            Err(e) => e,
        };
        let xenbus = Self::xenbus_path();
        match Self::open_device(&xenbus) {
            Ok(xs) => Ok(xs),
            Err(e) => Err(Error::Connect(ConnectError::new(alloc::vec![
                (socket, socket_err.into()),
                (xenbus, e.into()),
            ]))),
        }
    }

    /// Connects to xenstored's socket at `XENSTORED_PATH`, else
    /// [`DEFAULT_SOCKET`] (libxenstore's `xs_daemon_socket`).
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] if the socket cannot be reached.
    pub fn open_socket() -> Result<Self> {
        Self::open_socket_at(&Self::socket_path())
    }

    /// Connects to a xenstored socket at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] naming `path` and the OS error.
    pub fn open_socket_at(path: &Path) -> Result<Self> {
        Self::connect_socket(path).map_err(|e| one_attempt(path, e))
    }

    /// Opens the xenbus device at `XENSTORED_PATH`, else [`XENBUS_DEVICE`]
    /// if it exists, else [`XENBUS_PROC`] (libxenstore's `xs_domain_dev`).
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] naming the path and the OS error.
    pub fn open_xenbus() -> Result<Self> {
        Self::open_xenbus_at(&Self::xenbus_path())
    }

    /// Opens a xenbus device at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] naming `path` and the OS error.
    pub fn open_xenbus_at(path: &Path) -> Result<Self> {
        Self::open_device(path).map_err(|e| one_attempt(path, e))
    }

    fn socket_path() -> PathBuf {
        std::env::var_os("XENSTORED_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET))
    }

    fn xenbus_path() -> PathBuf {
        if let Some(p) = std::env::var_os("XENSTORED_PATH") {
            PathBuf::from(p)
        } else if Path::new(XENBUS_DEVICE).exists() {
            PathBuf::from(XENBUS_DEVICE)
        } else {
            PathBuf::from(XENBUS_PROC)
        }
    }

    fn connect_socket(path: &Path) -> std::io::Result<Self> {
        let s = UnixStream::connect(path)?;
        let r = s.try_clone()?;
        let fd = s.try_clone()?.into();
        let mut t = StreamTransport::new(Box::new(r), Box::new(s));
        t.endpoint = Endpoint::Socket(path.into());
        t.fd = Some(fd);
        Ok(Self::from_transport(t))
    }

    fn open_device(path: &Path) -> std::io::Result<Self> {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)?;
        let r = f.try_clone()?;
        let fd = f.try_clone()?.into();
        let mut t = StreamTransport::new(Box::new(r), Box::new(f));
        t.endpoint = Endpoint::Xenbus(path.into());
        t.fd = Some(fd);
        Ok(Self::from_transport(t))
    }

    /// A connection over a connected Unix stream (a socketpair in tests, a
    /// socket passed by a supervisor).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the stream cannot be cloned.
    pub fn from_stream(s: UnixStream) -> Result<Self> {
        let r = s.try_clone()?;
        let fd = s.try_clone()?.into();
        let mut t = StreamTransport::new(Box::new(r), Box::new(s));
        t.fd = Some(fd);
        Ok(Self::from_transport(t))
    }

    /// A connection over any byte streams carrying the xenstore framing.
    /// Each message, or each batch ([`Client::submit_batch`]), is written
    /// with one `write_all`.
    pub fn from_io(reader: Box<dyn Read + Send>, writer: Box<dyn Write + Send>) -> Self {
        Self::from_transport(StreamTransport::new(reader, writer))
    }

    /// What the connection is connected to.
    pub fn endpoint(&self) -> &Endpoint {
        self.transport().endpoint()
    }
}

/// A failed open of one path as [`Error::Connect`].
fn one_attempt(path: &Path, e: std::io::Error) -> Error {
    Error::Connect(ConnectError::new(alloc::vec![(path.into(), e.into())]))
}

/// The connection's socket or device, for a `poll(2)` loop without an async
/// runtime (libxenstore's `xs_fileno`): when it is readable, a watch's
/// [`next_event`](crate::Watch::next_event) (or any reply) has data to read.
/// Events already queued (they came with a reply) do not make it readable:
/// take them with [`Watch::next_event_timeout`](crate::Watch::next_event_timeout)
/// and a zero timeout before each `poll`.
///
/// # Panics
///
/// For a connection over caller-supplied streams ([`Xenstore::from_io`]),
/// which has no descriptor of its own.
impl AsFd for Client<StreamTransport> {
    #[doc(alias = "xs_fileno")]
    fn as_fd(&self) -> BorrowedFd<'_> {
        match &self.transport().fd {
            Some(fd) => fd.as_fd(),
            None => panic!("a xenstore connection over caller-supplied streams has no descriptor"),
        }
    }
}

/// The descriptor of the watch's connection ([`Xenstore`]'s `AsFd`).
///
/// # Panics
///
/// As [`Xenstore`]'s `AsFd`.
impl AsFd for crate::Watch<'_, StreamTransport> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.client().as_fd()
    }
}

#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
impl Client<StreamTransport> {
    /// As [`Client::next_event_of`], waiting `timeout` at most: `Ok(None)`
    /// when no event of `watches` came in time. An event already queued
    /// comes at once; nothing read meanwhile is lost (replies and other
    /// watches' events are filed, a message cut off by the timeout is
    /// completed by the next read), and the connection stays usable.
    ///
    /// # Errors
    ///
    /// [`Error::Broken`] when the connection breaks; `poll(2)`'s error
    /// ([`Error::Io`], the connection lives on); [`Error::Io`] with
    /// [`ErrorKind::Unsupported`] over caller-supplied streams
    /// ([`Xenstore::from_io`]), which have no descriptor to poll, once no
    /// event is queued.
    ///
    /// # Panics
    ///
    /// If a watch belongs to another connection.
    pub fn next_event_of_timeout(
        &self,
        watches: &[Watch<'_, StreamTransport>],
        timeout: Duration,
    ) -> Result<Option<WatchEvent>> {
        assert!(
            watches.iter().all(|w| core::ptr::eq(w.client, self)),
            "a watch of another connection"
        );
        let tokens = || watches.iter().map(|w| w.token.as_str());
        self.wait_until_timeout(timeout, |s| s.pop_oldest_event(tokens()).map(Ok))
    }

    /// As [`Client::wait_until`](super::Client), for `timeout` at most:
    /// `Ok(None)` when it ran out. Only the wait for the next bytes is
    /// timed: a read starts only when `poll(2)` says it will not block, and
    /// a partial message stays in the session's framer for the next read.
    fn wait_until_timeout<R>(
        &self,
        timeout: Duration,
        mut ready: impl FnMut(&mut Session) -> Option<Result<R>>,
    ) -> Result<Option<R>> {
        let deadline = Instant::now().checked_add(timeout);
        let mut st = self.state.lock();
        let mut last_round = false;
        loop {
            if let Some(r) = ready(&mut st.session) {
                return r.map(Some);
            }
            st.session.check()?;
            if last_round {
                return Ok(None);
            }
            let left = deadline.map_or(timeout, |d| d.saturating_duration_since(Instant::now()));
            // A zero wait still looks once: bytes already there are read.
            last_round = left.is_zero();
            let (next, timed_out) = self.progress_within(st, left)?;
            st = next;
            last_round |= timed_out;
        }
    }

    /// One round of [`Client::progress`](super::Client) that waits `left`
    /// at most, for another thread's read or for the descriptor to become
    /// readable; also says whether the time ran out.
    fn progress_within<'s>(
        &'s self,
        st: Guard<'s, State>,
        left: Duration,
    ) -> Result<(Guard<'s, State>, bool)> {
        if st.reading {
            return Ok(self.signal.wait_timeout(st, left));
        }
        let Some(fd) = &self.transport.fd else {
            return Err(std::io::Error::new(
                ErrorKind::Unsupported,
                "a xenstore connection over caller-supplied streams has no descriptor to poll",
            )
            .into());
        };
        let buf = Self::become_reader(st);
        match sys::poll_readable(fd.as_fd(), left) {
            Ok(true) => Ok((self.read_and_file(buf), false)),
            Ok(false) => Ok((self.stop_reading(buf), true)),
            Err(e) => {
                drop(self.stop_reading(buf));
                Err(e.into())
            }
        }
    }
}

#[cfg_attr(docsrs, doc(cfg(all(feature = "std", target_os = "linux"))))]
impl Watch<'_, StreamTransport> {
    /// The next event, waiting `timeout` at most: `Ok(None)` when none came
    /// in time. An event already queued comes at once. A timeout loses
    /// nothing and leaves the connection usable: replies and other
    /// watches' events read meanwhile are filed, and a message cut off by
    /// the timeout is completed by the next read. With it, a plain loop
    /// needs no async runtime:
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use xen_store::Xenstore;
    ///
    /// let xs = Xenstore::open()?;
    /// let watch = xs.watch("/local/domain/0/data", "data")?;
    /// loop {
    ///     match watch.next_event_timeout(Duration::from_secs(1))? {
    ///         Some(event) => println!("{} changed", event.path),
    ///         None => println!("nothing for a second"),
    ///     }
    /// }
    /// # Ok::<(), xen_store::Error>(())
    /// ```
    ///
    /// To wait on other descriptors too, `poll(2)` the watch's descriptor
    /// (`AsFd`) with them, and take events with [`Duration::ZERO`] until
    /// it gives `None` before each `poll`: events that came with a reply
    /// are queued already and leave the descriptor unreadable.
    ///
    /// # Errors
    ///
    /// As [`Client::next_event_of_timeout`].
    pub fn next_event_timeout(&self, timeout: Duration) -> Result<Option<WatchEvent>> {
        let token = self.token.as_str();
        self.client
            .wait_until_timeout(timeout, |s| s.pop_event(token).map(Ok))
    }
}
