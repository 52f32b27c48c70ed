// SPDX-License-Identifier: MIT OR Apache-2.0
//! Each kernel gets its own linker script.
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo");
    println!("cargo:rustc-link-arg-bin=xen-test-kernel-pv=-T{dir}/pv.ld");
    println!("cargo:rustc-link-arg-bin=xen-test-kernel-xs-domu=-T{dir}/pv.ld");
    println!("cargo:rustc-link-arg-bin=xen-test-kernel-vchan-domu=-T{dir}/pv.ld");
    println!("cargo:rustc-link-arg-bin=xen-test-kernel-pvh=-T{dir}/pvh.ld");
    println!("cargo:rerun-if-changed=pv.ld");
    println!("cargo:rerun-if-changed=pvh.ld");
}
