// SPDX-License-Identifier: MIT OR Apache-2.0
//! The fenced system calls on `/dev/xen/evtchn`: the typed ioctls, the
//! batched read of pending ports, the batched write that unmasks them, and
//! `poll`. Everything outside this module is safe code.
//!
//! The argument structs mirror Linux's `xen/sys/evtchn.h`; each ioctl number
//! is computed from its argument's type (`_IOC(_IOC_NONE, 'E', nr, size)`),
//! so a request can never name a size other than the struct passed.
#![allow(unsafe_code)]

use core::time::Duration;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use xen_abi::event_channel::EvtchnPort;
use xen_abi::DomId;
use xen_hypercall::privcmd::{ioc, IOC_NONE};

/// An argument of one `IOCTL_EVTCHN_*` request.
///
/// # Safety
/// `Self` is `#[repr(C)]`, and the kernel reads at most `size_of::<Self>()`
/// bytes from the pointer for request number `NR` and writes none.
pub(crate) unsafe trait EvtchnIoctl: Sized {
    /// The request's number (`nr` of `_IOC`).
    const NR: u8;
    /// The full request number, from the type's size.
    const REQUEST: u64 = ioc(IOC_NONE, b'E', Self::NR, core::mem::size_of::<Self>());
}

/// `struct ioctl_evtchn_bind_virq`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct BindVirq {
    pub(crate) virq: u32,
}
/// `struct ioctl_evtchn_bind_interdomain`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct BindInterdomain {
    pub(crate) remote_domain: u32,
    pub(crate) remote_port: u32,
}
/// `struct ioctl_evtchn_bind_unbound_port`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct BindUnboundPort {
    pub(crate) remote_domain: u32,
}
/// `struct ioctl_evtchn_unbind`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unbind {
    pub(crate) port: u32,
}
/// `struct ioctl_evtchn_notify`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Notify {
    pub(crate) port: u32,
}
/// `IOCTL_EVTCHN_RESET` takes no argument (size 0).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reset;
/// `struct ioctl_evtchn_restrict_domid`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct RestrictDomid {
    pub(crate) domid: DomId,
}

// The seven below: each is `#[repr(C)]` with the fields and order of its C
// struct, and Linux's evtchn driver only reads (`copy_from_user`) the
// argument of these requests.
// SAFETY: as said above.
unsafe impl EvtchnIoctl for BindVirq {
    const NR: u8 = 0;
}
// SAFETY: see above.
unsafe impl EvtchnIoctl for BindInterdomain {
    const NR: u8 = 1;
}
// SAFETY: see above.
unsafe impl EvtchnIoctl for BindUnboundPort {
    const NR: u8 = 2;
}
// SAFETY: see above.
unsafe impl EvtchnIoctl for Unbind {
    const NR: u8 = 3;
}
// SAFETY: see above.
unsafe impl EvtchnIoctl for Notify {
    const NR: u8 = 4;
}
// SAFETY: see above; the driver does not touch the pointer at all.
unsafe impl EvtchnIoctl for Reset {
    const NR: u8 = 5;
}
// SAFETY: see above.
unsafe impl EvtchnIoctl for RestrictDomid {
    const NR: u8 = 6;
}

/// Issues `T`'s request; the kernel's non-negative answer (a port for the
/// binds, 0 otherwise).
pub(crate) fn ioctl<T: EvtchnIoctl>(fd: BorrowedFd<'_>, arg: &T) -> io::Result<u32> {
    // SAFETY: `fd` is open for the call; by `EvtchnIoctl`'s contract the
    // request only reads `size_of::<T>()` bytes, all inside `*arg`.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), T::REQUEST as _, core::ptr::from_ref(arg)) };
    u32::try_from(rc).map_err(|_| io::Error::last_os_error())
}

/// Reads pending ports into `buf`: the byte count the kernel returned.
///
/// `WouldBlock` on an empty non-blocking handle, the raw OS error otherwise
/// (`EFBIG` once the driver's ring overflowed).
pub(crate) fn read_ports(fd: BorrowedFd<'_>, buf: &mut [EvtchnPort]) -> io::Result<usize> {
    let len = core::mem::size_of_val(buf);
    // SAFETY: `buf` is `len` writable bytes, and any bytes are a valid
    // `EvtchnPort` (a transparent `u32`, zerocopy `FromBytes`).
    let rc = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), len) };
    usize::try_from(rc).map_err(|_| io::Error::last_os_error())
}

/// Writes `ports` (unmasking those bound by this handle): the byte count
/// the kernel took.
pub(crate) fn write_ports(fd: BorrowedFd<'_>, ports: &[EvtchnPort]) -> io::Result<usize> {
    let len = core::mem::size_of_val(ports);
    // SAFETY: `ports` is `len` readable bytes; the kernel only reads them.
    let rc = unsafe { libc::write(fd.as_raw_fd(), ports.as_ptr().cast(), len) };
    usize::try_from(rc).map_err(|_| io::Error::last_os_error())
}

/// What `poll` said about the handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollState {
    /// Nothing pending within the timeout.
    Idle,
    /// Ports are pending.
    Readable,
    /// The ring overflowed (`POLLERR`).
    Overflowed,
}

/// Waits until the handle is readable, at most `timeout` (`None`: forever).
pub(crate) fn poll(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<PollState> {
    let ms = match timeout {
        None => -1,
        Some(t) => i32::try_from(t.as_millis()).unwrap_or(i32::MAX),
    };
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid `pollfd`, count 1.
    let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(if pfd.revents & libc::POLLERR != 0 {
        PollState::Overflowed
    } else if pfd.revents & libc::POLLIN != 0 {
        PollState::Readable
    } else {
        PollState::Idle
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_match_linux() {
        // _IOC(_IOC_NONE, 'E', nr, sizeof(struct ...)) as the header computes them.
        assert_eq!(BindVirq::REQUEST, 0x0004_4500);
        assert_eq!(BindInterdomain::REQUEST, 0x0008_4501);
        assert_eq!(BindUnboundPort::REQUEST, 0x0004_4502);
        assert_eq!(Unbind::REQUEST, 0x0004_4503);
        assert_eq!(Notify::REQUEST, 0x0004_4504);
        assert_eq!(Reset::REQUEST, 0x0000_4505);
        assert_eq!(RestrictDomid::REQUEST, 0x0002_4506);
    }
}
