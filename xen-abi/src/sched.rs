// SPDX-License-Identifier: MIT OR Apache-2.0
//! `sched.h`: scheduler operations (yield, block, shutdown, poll, watchdog).

use core::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::event_channel::EvtchnPort;
use crate::xen::{DomId, GuestHandle};

/// `SCHEDOP_*`: the sub-op numbers of `HYPERVISOR_sched_op`.
pub mod op {
    /// Give up the CPU voluntarily (no argument).
    #[doc(alias = "SCHEDOP_yield")]
    pub const YIELD: u32 = 0;
    /// Block until an event is pending (no argument).
    #[doc(alias = "SCHEDOP_block")]
    pub const BLOCK: u32 = 1;
    /// Shut the calling domain down ([`Shutdown`](super::Shutdown)).
    #[doc(alias = "SCHEDOP_shutdown")]
    pub const SHUTDOWN: u32 = 2;
    /// Block until one of a set of ports is pending or a timeout
    /// ([`Poll`](super::Poll)).
    #[doc(alias = "SCHEDOP_poll")]
    pub const POLL: u32 = 3;
    /// Shut another domain down ([`RemoteShutdown`](super::RemoteShutdown)).
    #[doc(alias = "SCHEDOP_remote_shutdown")]
    pub const REMOTE_SHUTDOWN: u32 = 4;
    /// Record the shutdown reason without shutting down yet
    /// ([`Shutdown`](super::Shutdown)).
    #[doc(alias = "SCHEDOP_shutdown_code")]
    pub const SHUTDOWN_CODE: u32 = 5;
    /// Create, kick or destroy a watchdog ([`Watchdog`](super::Watchdog)).
    #[doc(alias = "SCHEDOP_watchdog")]
    pub const WATCHDOG: u32 = 6;
    /// Temporarily pin the vCPU to a physical CPU (hardware domain only;
    /// [`PinOverride`](super::PinOverride)).
    #[doc(alias = "SCHEDOP_pin_override")]
    pub const PIN_OVERRIDE: u32 = 7;
}

/// Why a domain shuts down (`SHUTDOWN_*`).
///
/// A newtype, not an enum: a reason this crate does not know (as a
/// toolstack may read it back) stays representable.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
)]
#[repr(transparent)]
pub struct ShutdownReason(u32);

impl ShutdownReason {
    /// Exited normally: clean up and destroy the domain.
    #[doc(alias = "SHUTDOWN_poweroff")]
    pub const POWEROFF: Self = Self(0);
    /// Clean up, destroy, then restart the domain.
    #[doc(alias = "SHUTDOWN_reboot")]
    pub const REBOOT: Self = Self(1);
    /// Clean up and save the suspend state, then destroy (save/migrate).
    #[doc(alias = "SHUTDOWN_suspend")]
    pub const SUSPEND: Self = Self(2);
    /// The domain crashed.
    #[doc(alias = "SHUTDOWN_crash")]
    pub const CRASH: Self = Self(3);
    /// Restart because the watchdog expired.
    #[doc(alias = "SHUTDOWN_watchdog")]
    pub const WATCHDOG: Self = Self(4);
    /// Reset the domain's state in place (for kexec and the like), keeping
    /// its memory.
    #[doc(alias = "SHUTDOWN_soft_reset")]
    pub const SOFT_RESET: Self = Self(5);
    /// The largest valid reason.
    #[doc(alias = "SHUTDOWN_MAX")]
    pub const MAX: Self = Self(5);

    /// Wraps a raw reason.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The raw reason.
    pub const fn get(self) -> u32 {
        self.0
    }

    const fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::POWEROFF => "poweroff",
            Self::REBOOT => "reboot",
            Self::SUSPEND => "suspend",
            Self::CRASH => "crash",
            Self::WATCHDOG => "watchdog",
            Self::SOFT_RESET => "soft_reset",
            _ => return None,
        })
    }
}

impl fmt::Debug for ShutdownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "ShutdownReason({name})"),
            None => write!(f, "ShutdownReason({})", self.0),
        }
    }
}

impl fmt::Display for ShutdownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown shutdown reason {}", self.0),
        }
    }
}

/// `SCHEDOP_shutdown` / `SCHEDOP_shutdown_code`: shut the calling domain down
/// for `reason`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "sched_shutdown")]
#[doc(alias = "sched_shutdown_t")]
pub struct Shutdown {
    /// The reason (`SHUTDOWN_*`).
    pub reason: ShutdownReason,
}
assert_layout!(Shutdown, size = 4, align = 4, { reason: 0 });

/// `SCHEDOP_poll`: block until one of `nr_ports` ports is pending, or until
/// system time `timeout` (ns; 0: none).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "sched_poll")]
#[doc(alias = "sched_poll_t")]
pub struct Poll {
    /// Array of `nr_ports` ports.
    pub ports: GuestHandle<EvtchnPort>,
    /// Number of ports.
    pub nr_ports: u32,
    /// Padding.
    pub _pad0: [u8; 4],
    /// Absolute system-time deadline in ns (0: wait forever).
    pub timeout: u64,
}
assert_layout!(Poll, size = 24, align = 8, { ports: 0, nr_ports: 8, timeout: 16 });

/// `SCHEDOP_remote_shutdown`: shut domain `domain_id` down for `reason`
/// (privileged).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "sched_remote_shutdown")]
#[doc(alias = "sched_remote_shutdown_t")]
pub struct RemoteShutdown {
    /// The domain.
    pub domain_id: DomId,
    /// Padding.
    pub _pad0: [u8; 2],
    /// The reason (`SHUTDOWN_*`).
    pub reason: ShutdownReason,
}
assert_layout!(RemoteShutdown, size = 8, align = 4, { domain_id: 0, reason: 4 });

/// `SCHEDOP_watchdog`: with `id` 0, create a watchdog (its id is returned);
/// otherwise kick watchdog `id` with a new `timeout` in seconds (0 destroys
/// it).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "sched_watchdog")]
#[doc(alias = "sched_watchdog_t")]
pub struct Watchdog {
    /// The watchdog (0: create one).
    pub id: u32,
    /// Timeout in seconds (0: destroy).
    pub timeout: u32,
}
assert_layout!(Watchdog, size = 8, align = 4, { id: 0, timeout: 4 });

/// `SCHEDOP_pin_override`: pin the calling vCPU to physical CPU `pcpu`
/// (negative: undo), hardware domain only.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "sched_pin_override")]
#[doc(alias = "sched_pin_override_t")]
pub struct PinOverride {
    /// The physical CPU, or negative to remove the override.
    pub pcpu: i32,
}
assert_layout!(PinOverride, size = 4, align = 4, { pcpu: 0 });

sub_op! {
    SCHED_OP:
    Shutdown => SHUTDOWN | SHUTDOWN_CODE,
    Poll => POLL,
    RemoteShutdown => REMOTE_SHUTDOWN,
    Watchdog => WATCHDOG,
    PinOverride => PIN_OVERRIDE,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn reason_display_and_debug() {
        assert_eq!(format!("{}", ShutdownReason::SUSPEND), "suspend");
        assert_eq!(
            format!("{:?}", ShutdownReason::CRASH),
            "ShutdownReason(crash)"
        );
        assert_eq!(
            format!("{}", ShutdownReason::new(42)),
            "unknown shutdown reason 42"
        );
        assert_eq!(
            format!("{:?}", ShutdownReason::new(42)),
            "ShutdownReason(42)"
        );
        assert_eq!(ShutdownReason::MAX, ShutdownReason::SOFT_RESET);
    }

    #[test]
    fn bytes() {
        let r = RemoteShutdown {
            domain_id: DomId::new_unchecked(3),
            reason: ShutdownReason::REBOOT,
            ..Default::default()
        };
        assert_eq!(r.as_bytes(), &[3, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(
            <Poll as crate::xen::SubOp<3>>::HYPERCALL,
            crate::xen::HypercallOp::SCHED_OP
        );
    }
}
