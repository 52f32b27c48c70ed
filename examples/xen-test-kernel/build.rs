// SPDX-License-Identifier: MIT OR Apache-2.0
//! Each kernel gets its own linker script.
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo");
    println!("cargo:rustc-link-arg-bin=xen-test-kernel-pv=-T{dir}/pv.ld");
    println!("cargo:rustc-link-arg-bin=xen-test-kernel-xs-domu=-T{dir}/pv.ld");
    println!("cargo:rustc-link-arg-bin=xen-test-kernel-vchan-domu=-T{dir}/pv.ld");
    println!("cargo:rustc-link-arg-bin=xen-test-kernel-pvh=-T{dir}/pvh.ld");
    println!("cargo:rerun-if-changed=pv.ld");
    // The arm64 kernel: a PIE linked at 0 (it relocates itself), only
    // when built for aarch64 (elsewhere it is an empty stub).
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("aarch64") {
        println!("cargo:rustc-link-arg-bin=xen-test-kernel-arm64=-T{dir}/arm64.ld");
        println!("cargo:rustc-link-arg-bin=xen-test-kernel-arm64=--pie");
        println!("cargo:rustc-link-arg-bin=xen-test-kernel-arm64=--no-dynamic-linker");
        println!("cargo:rustc-link-arg-bin=xen-test-kernel-arm64=-znotext");
    }
    println!("cargo:rerun-if-changed=arm64.ld");
    println!("cargo:rerun-if-changed=pvh.ld");
}
