// SPDX-License-Identifier: MIT OR Apache-2.0
//! In-guest grant tables (no_std): the table manager (v1 and v2), granting
//! pages, and the backend side (map, unmap, copy).
