// SPDX-License-Identifier: MIT OR Apache-2.0
//! The fenced unsafe code of the Linux half: `poll(2)` on the connection's
//! socket or xenbus device, so that a watch can wait with a timeout
//! ([`Watch::next_event_timeout`](crate::Watch::next_event_timeout)).
//! The function here is safe to call: it takes a borrowed descriptor and
//! passes the kernel one `pollfd` that lives on its stack.

// The crate root denies unsafe code; this module is the one exception.
#![allow(unsafe_code)]

use core::time::Duration;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Instant;

/// Waits until `fd` is readable, at end of stream or in error (a read will
/// not block), for `timeout` at most: `Ok(false)` when the time ran out.
/// A zero `timeout` only looks. A signal does not end the wait early: the
/// call resumes with the time left.
///
/// # Errors
///
/// `poll(2)`'s error other than `EINTR` (`ENOMEM`, say).
pub(crate) fn poll_readable(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<bool> {
    // No deadline when it does not fit an `Instant`: wait as long as asked.
    let deadline = Instant::now().checked_add(timeout);
    let mut left = timeout;
    loop {
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `pfd` is one initialised, writable `pollfd` that outlives
        // the call, and `nfds` is 1; `fd` is borrowed, so it stays open
        // until `poll` returns.
        let n = unsafe { libc::poll(&mut pfd, 1, millis(left)) };
        if n > 0 {
            // POLLIN, or POLLHUP/POLLERR/POLLNVAL: the read reports it.
            return Ok(pfd.revents != 0);
        }
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        } else if left.is_zero() {
            return Ok(false);
        }
        // Interrupted, or a wait longer than one `poll` takes: go on with
        // the time left (zero: one last look).
        if let Some(d) = deadline {
            left = d.saturating_duration_since(Instant::now());
        }
    }
}

/// `poll(2)`'s timeout: whole milliseconds, rounded up so that the wait is
/// never shorter than asked, at most `c_int::MAX`.
fn millis(d: Duration) -> libc::c_int {
    let ms = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 != 0);
    libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    #[test]
    // A system call: Miri (`cargo xtask miri`) does not model poll(2).
    #[cfg_attr(miri, ignore)]
    fn readable_only_when_bytes_wait() {
        let (a, mut b) = UnixStream::pair().unwrap();
        assert!(!poll_readable(a.as_fd(), Duration::ZERO).unwrap());
        let t = Instant::now();
        assert!(!poll_readable(a.as_fd(), Duration::from_millis(20)).unwrap());
        assert!(t.elapsed() >= Duration::from_millis(20));
        b.write_all(b"x").unwrap();
        assert!(poll_readable(a.as_fd(), Duration::from_secs(30)).unwrap());
        // A hang-up makes it ready too: the read sees the end.
        let (c, d) = UnixStream::pair().unwrap();
        drop(d);
        assert!(poll_readable(c.as_fd(), Duration::from_secs(30)).unwrap());
    }

    #[test]
    fn timeouts_round_up_and_saturate() {
        assert_eq!(millis(Duration::ZERO), 0);
        assert_eq!(millis(Duration::from_micros(1)), 1);
        assert_eq!(millis(Duration::from_millis(7)), 7);
        assert_eq!(millis(Duration::from_micros(7001)), 8);
        assert_eq!(millis(Duration::MAX), libc::c_int::MAX);
    }
}
