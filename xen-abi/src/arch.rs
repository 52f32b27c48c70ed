// SPDX-License-Identifier: MIT OR Apache-2.0
//! Architecture-specific parts of the ABI (`arch-x86/`, `arch-arm.h`).
//!
//! Both architectures' modules are always compiled, so a tool or VMM on one
//! architecture can handle the other's structures. [`current`] is the one the
//! crate is being built for, and what the common structures embed.

pub mod arm;
pub mod x86;

cfg_if::cfg_if! {
    if #[cfg(target_arch = "aarch64")] {
        /// The architecture this crate is built for.
        pub use self::arm as current;
    } else {
        /// The architecture this crate is built for.
        pub use self::x86 as current;
    }
}
