// SPDX-License-Identifier: MIT OR Apache-2.0
//! The one place where the client's locking differs between std and no_std.
//!
//! With `std`, a [`Client`](crate::Client) may be shared between threads:
//! its state sits in a [`std::sync::Mutex`] and waiters sleep on a
//! [`std::sync::Condvar`] while another thread reads for them. Without
//! `std`, the guest is single-threaded (one vCPU, no upcalls into the
//! client): the state sits in a [`RefCell`](core::cell::RefCell), nobody
//! else can be reading while we wait, and [`Signal::wait`] is unreachable.
//! (A spin lock would need unsafe code, which this crate forbids, and buys
//! nothing on one vCPU.) Enabling `std` only adds `Sync`.

#[cfg(all(feature = "std", target_os = "linux"))]
mod imp {
    use core::time::Duration;
    use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

    /// The lock around a client's state.
    #[derive(Debug, Default)]
    pub(crate) struct Lock<T>(Mutex<T>);

    /// A held [`Lock`].
    pub(crate) type Guard<'a, T> = MutexGuard<'a, T>;

    impl<T> Lock<T> {
        pub(crate) const fn new(v: T) -> Self {
            Self(Mutex::new(v))
        }

        /// Locks; a panic of another holder does not poison the client
        /// (its state is consistent between calls).
        pub(crate) fn lock(&self) -> Guard<'_, T> {
            self.0.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }

    /// Wakes the threads waiting for another one's read.
    #[derive(Debug, Default)]
    pub(crate) struct Signal(Condvar);

    impl Signal {
        pub(crate) const fn new() -> Self {
            Self(Condvar::new())
        }

        /// Releases `g`, sleeps until [`Signal::notify_all`], locks again.
        pub(crate) fn wait<'a, T>(&self, g: Guard<'a, T>) -> Guard<'a, T> {
            self.0.wait(g).unwrap_or_else(PoisonError::into_inner)
        }

        /// As [`Signal::wait`], for `timeout` at most; also says whether
        /// the time ran out.
        pub(crate) fn wait_timeout<'a, T>(
            &self,
            g: Guard<'a, T>,
            timeout: Duration,
        ) -> (Guard<'a, T>, bool) {
            let (g, r) = self
                .0
                .wait_timeout(g, timeout)
                .unwrap_or_else(PoisonError::into_inner);
            (g, r.timed_out())
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

#[cfg(not(all(feature = "std", target_os = "linux")))]
mod imp {
    use core::cell::{RefCell, RefMut};

    /// The state of a single-threaded client.
    #[derive(Debug, Default)]
    pub(crate) struct Lock<T>(RefCell<T>);

    /// A held [`Lock`].
    pub(crate) type Guard<'a, T> = RefMut<'a, T>;

    impl<T> Lock<T> {
        pub(crate) const fn new(v: T) -> Self {
            Self(RefCell::new(v))
        }

        /// Borrows the state. Only the client's own methods lock it, never
        /// across a call out (transport, hooks, caller code).
        pub(crate) fn lock(&self) -> Guard<'_, T> {
            self.0.borrow_mut()
        }
    }

    /// Single-threaded: there is never another thread to wait for.
    #[derive(Debug, Default)]
    pub(crate) struct Signal;

    impl Signal {
        pub(crate) const fn new() -> Self {
            Self
        }

        /// Reached only if a transport or hook re-enters the client while
        /// it reads.
        pub(crate) fn wait<'a, T>(&self, _g: Guard<'a, T>) -> Guard<'a, T> {
            panic!("xen-store: a transport re-entered the client during its read")
        }

        pub(crate) fn notify_all(&self) {}
    }
}

pub(crate) use imp::{Guard, Lock, Signal};
