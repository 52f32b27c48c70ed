// SPDX-License-Identifier: MIT OR Apache-2.0
//! `vcpu` wrappers (being written).
