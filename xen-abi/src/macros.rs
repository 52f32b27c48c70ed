// SPDX-License-Identifier: MIT OR Apache-2.0
//! Crate-internal macros.

/// Compile-time layout assertion for a `#[repr(C)]` mirror.
///
/// `assert_layout!(Type, size = 24, align = 8, { field: 0, other: 8 });`
///
/// The numbers are taken from Xen's C headers (never computed from the Rust
/// type itself); the workspace layout test re-checks every one of them against
/// bindgen's view of the installed headers.
macro_rules! assert_layout {
    ($ty:ty, size = $size:expr, align = $align:expr $(, { $($field:ident : $off:expr),* $(,)? })? $(,)?) => {
        const _: () = {
            assert!(::core::mem::size_of::<$ty>() == $size, concat!("size of ", stringify!($ty)));
            assert!(::core::mem::align_of::<$ty>() == $align, concat!("align of ", stringify!($ty)));
            $($(
                assert!(
                    ::core::mem::offset_of!($ty, $field) == $off,
                    concat!("offset of ", stringify!($ty), "::", stringify!($field))
                );
            )*)?
        };
    };
}

/// Implements the common surface of a "code" newtype (a transparent integer
/// with associated consts): raw conversions and a `Debug` that prints the
/// const's name when the value has one.
macro_rules! code_newtype {
    ($name:ident, $raw:ty, [$($c:ident),* $(,)?]) => {
        impl $name {
            /// Wraps a raw value (any value is representable, known or not).
            pub const fn new(raw: $raw) -> Self {
                Self(raw)
            }

            /// The raw value.
            pub const fn get(self) -> $raw {
                self.0
            }

            /// The Rust name of the const this value equals, if any.
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $(Self::$c => Some(stringify!($c)),)*
                    _ => None,
                }
            }
        }

        impl From<$raw> for $name {
            fn from(raw: $raw) -> Self {
                Self(raw)
            }
        }

        impl From<$name> for $raw {
            fn from(v: $name) -> $raw {
                v.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => write!(f, concat!(stringify!($name), "::{}"), n),
                    None => write!(f, concat!(stringify!($name), "({})"), self.0),
                }
            }
        }
    };
}

/// Implements [`SubOp`](crate::xen::SubOp) for the argument structs of one
/// hypercall: `sub_op!(EVENT_CHANNEL_OP: SendEvent => SEND, Shutdown =>
/// SHUTDOWN | SHUTDOWN_CODE)`, the commands named in the calling module's
/// `op` module.
macro_rules! sub_op {
    ($hypercall:ident: $($ty:ty => $($cmd:ident)|+),* $(,)?) => {
        $($(
            impl $crate::xen::SubOp<{ op::$cmd }> for $ty {
                const HYPERCALL: $crate::xen::HypercallOp = $crate::xen::HypercallOp::$hypercall;
            }
        )+)*
    };
}
