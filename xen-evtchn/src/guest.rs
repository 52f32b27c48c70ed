// SPDX-License-Identifier: MIT OR Apache-2.0
//! In-guest event channels (no_std): the typed `EVTCHNOP_*` API, the
//! 2-level and FIFO pending-event ABIs behind one demultiplexer.
