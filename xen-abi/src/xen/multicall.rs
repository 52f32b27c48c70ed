// SPDX-License-Identifier: MIT OR Apache-2.0
//! `HYPERVISOR_multicall` batches (`multicall_entry_t`).

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::{HypercallOp, XenUlong};

/// One hypercall of a `HYPERVISOR_multicall` batch (`multicall_entry_t`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
#[doc(alias = "multicall_entry")]
#[doc(alias = "multicall_entry_t")]
pub struct MulticallEntry {
    /// The hypercall number ([`HypercallOp`]).
    pub op: XenUlong,
    /// The hypercall's return value, written by Xen.
    pub result: XenUlong,
    /// The arguments.
    pub args: [XenUlong; 6],
}
assert_layout!(MulticallEntry, size = 64, align = 8, { op: 0, result: 8, args: 16 });

impl MulticallEntry {
    /// An entry calling `op` with `args` (unused ones zero).
    pub const fn new(op: HypercallOp, args: [XenUlong; 6]) -> Self {
        Self {
            op: op.get() as XenUlong,
            result: 0,
            args,
        }
    }

    /// The result as Xen's signed return value (negative errno on failure).
    pub const fn result_signed(&self) -> i64 {
        self.result as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypercall_names() {
        assert_eq!(HypercallOp::EVENT_CHANNEL_OP.get(), 32);
        assert_eq!(HypercallOp::new(29).name(), Some("SCHED_OP"));
        let e = MulticallEntry::new(HypercallOp::MEMORY_OP, [1, 2, 0, 0, 0, 0]);
        assert_eq!(e.op, 12);
        assert_eq!(
            MulticallEntry {
                result: (-22i64) as u64,
                ..e
            }
            .result_signed(),
            -22
        );
    }
}
