// SPDX-License-Identifier: MIT OR Apache-2.0
//! The dom0 tier: Debian's Linux kernel boots as dom0 on real Xen (4.17 and
//! 4.20) under `qemu-system-x86_64 -accel tcg`, with an initramfs built here
//! (busybox-static, the Xen kernel modules, the toolstack matching the
//! hypervisor: Debian 12's 4.17 tools, or Debian 13's 4.20 tools with their
//! own glibc; our crates' integration-test binaries and the xenstore domU
//! kernel). `/init` loads the modules, mounts xenfs, starts xenstored (C or
//! OCaml: each Xen version boots once with each), `xen-init-dom0` and
//! xenconsoled, runs every test binary with
//! `--include-ignored --test-threads=1` and reboots, which ends QEMU
//! (`-no-reboot`). One test creates a PV domU with `xl`.
//!
//! Results come back on the serial console, which already carries Xen's and
//! the kernel's messages: one channel shows the test lines in context with a
//! dom0 oops or a Xen panic, and needs no extra device or driver in the
//! guest. The harness reads libtest's own `test NAME ... ok` lines between
//! markers printed by `/init`, checks each binary ran as many tests as
//! `--list` names on the host and exited 0, and fails on a hang (timeout),
//! a crash or a missing end marker.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::guest::{self, QemuRun};
use crate::util;

/// The fewest passing tests a run may report per Xen version.
const MIN_TESTS: u32 = 15;

/// The packages whose integration tests run in dom0 (`cargo test -p`).
const TEST_PACKAGES: &[&str] = &["xen-hypercall", "xen-store", "xs"];

/// The Xen modules dom0 needs (their dependencies are added from
/// `modules.dep`).
const MODULES: &[&str] = &[
    "xen-evtchn",
    "xen-gntdev",
    "xen-gntalloc",
    "xen-privcmd",
    "xenfs",
];

/// Debian 12's Xen 4.17 tools (`xen-utils-4.17`), used on Xen 4.17.
const XEN_TOOLS: &str = "/usr/lib/xen-4.17/bin";

/// The tools dom0 runs, from the toolstack matching the hypervisor.
const TOOLS: [&str; 5] = [
    "xenstored",
    "oxenstored",
    "xen-init-dom0",
    "xenconsoled",
    "xl",
];

/// On Xen 4.20, Debian 13's 4.20 toolstack (4.17's cannot create domains
/// there: "domctl operation failed"). Its packages and what they link,
/// trixie's glibc included, are unpacked (not installed) and put under
/// this directory in dom0, where `bin/<tool>` runs each tool through
/// trixie's own loader.
const TOOLS_420: &str = "/xen-4.20";

/// Debian 13 packages of the 4.20 toolstack (the dependency closure of
/// [`TOOLS`]; `build_initramfs_with` checks every `DT_NEEDED` resolves).
const TOOLS_420_PACKAGES: &[&str] = &[
    "xen-utils-4.20",
    "libxenmisc4.20",
    "libxencall1",
    "libxendevicemodel1",
    "libxenevtchn1",
    "libxenforeignmemory1",
    "libxengnttab1",
    "libxenstore4",
    "libxentoollog1",
    "libxenhypfs1",
    "libxentoolcore1",
    "libyajl2",
    "libc6",
    "libgcc-s1",
    "libext2fs2t64",
    "libcom-err2",
    "liblzma5",
    "libuuid1",
    "libzstd1",
    "zlib1g",
    "libncurses6",
    "libtinfo6",
];

/// Where the xenstore domU kernel lies in dom0 (`XENRS_DOMU_KERNEL`).
const DOMU_KERNEL: &str = "/domu/xen-test-kernel-xs-domu";

/// Debian's xenstore-utils: one program, hard-linked as `xenstore-read`,
/// `xenstore-write`, ..., that takes its mode from its name.
const XENSTORE_UTILS: &str = "/usr/bin/xenstore";

/// How long one boot may take before it counts as a hang.
const TIMEOUT: Duration = Duration::from_secs(240);

/// One test executable for dom0.
#[derive(Debug, Clone)]
struct TestBinary {
    /// `<package>-<test target>`, unique and shell-safe.
    name: String,
    path: PathBuf,
    /// How many tests `--list` names (ignored ones included).
    tests: u32,
}

/// The package name in a cargo package id: `path+file:///dir/name#1.0`,
/// `path+file:///dir#name@1.0`, or the older `name 1.0 (source)`.
fn package_name(id: &str) -> Option<&str> {
    if let Some((name, _)) = id.split_once(' ') {
        return Some(name);
    }
    let (url, fragment) = id.rsplit_once('#')?;
    match fragment.split_once('@') {
        Some((name, _)) => Some(name),
        None => url
            .split('?')
            .next()?
            .trim_end_matches('/')
            .rsplit('/')
            .next(),
    }
}

/// Builds the integration tests of [`TEST_PACKAGES`] for the host target and
/// lists them. Also returns the packages' binaries: tests run them by the
/// absolute path in `CARGO_BIN_EXE_<name>`, so dom0 gets them at that path.
fn build_test_binaries() -> Result<(Vec<TestBinary>, Vec<PathBuf>), String> {
    let root = util::workspace_root();
    let mut cmd = Command::new(util::cargo_bin());
    cmd.args(["test", "--no-run", "--message-format=json", "--tests"])
        .args(["--target", "x86_64-unknown-linux-gnu", "--features", "std"])
        .current_dir(&root);
    for p in TEST_PACKAGES {
        cmd.args(["-p", p]);
    }
    let out = util::output(&mut cmd)?;
    let mut bins = Vec::new();
    let mut programs = Vec::new();
    for line in out.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["reason"] != "compiler-artifact" {
            continue;
        }
        let id = v["package_id"].as_str().unwrap_or_default();
        let package = package_name(id).and_then(|n| TEST_PACKAGES.iter().find(|p| **p == n));
        let kinds = v["target"]["kind"].as_array().cloned().unwrap_or_default();
        if v["profile"]["test"] != true {
            if let (Some(_), Some(exe)) = (package, v["executable"].as_str()) {
                if kinds.iter().any(|k| k == "bin") {
                    programs.push(PathBuf::from(exe));
                }
            }
            continue;
        }
        if !kinds.iter().any(|k| k == "test") {
            continue; // unit tests run on the host
        }
        let (Some(exe), Some(target)) = (v["executable"].as_str(), v["target"]["name"].as_str())
        else {
            continue;
        };
        let package = package.ok_or(format!("a test of an unexpected package: {id}"))?;
        let list = util::output(Command::new(exe).args(["--list", "--format", "terse"]))?;
        let tests = list.lines().filter(|l| l.ends_with(": test")).count() as u32;
        bins.push(TestBinary {
            name: format!("{package}-{target}")
                .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_"),
            path: PathBuf::from(exe),
            tests,
        });
    }
    if bins.is_empty() {
        return Err("cargo built no integration-test binaries".into());
    }
    Ok((bins, programs))
}

/// The newest installed kernel with modules: `(version, /boot/vmlinuz-*)`.
pub(crate) fn find_kernel() -> Result<(String, PathBuf), String> {
    let mut found: Vec<String> = std::fs::read_dir("/lib/modules")
        .map_err(|e| format!("/lib/modules: {e} (cargo xtask setup installs linux-image-amd64)"))?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|v| Path::new(&format!("/boot/vmlinuz-{v}")).exists())
        .collect();
    found.sort();
    let v = found
        .pop()
        .ok_or("no /boot/vmlinuz-* with modules (cargo xtask setup installs linux-image-amd64)")?;
    let path = PathBuf::from(format!("/boot/vmlinuz-{v}"));
    Ok((v, path))
}

/// Extracts the ELF `vmlinux` from a bzImage: the x86 boot protocol's setup
/// header gives the compressed payload's offset (from the end of the setup
/// sectors) and length; its magic says how it is compressed. Xen then loads
/// the ELF directly instead of decompressing it itself under TCG.
fn extract_vmlinux(bzimage: &Path, out: &Path) -> Result<(), String> {
    let data = std::fs::read(bzimage).map_err(|e| format!("{}: {e}", bzimage.display()))?;
    let u32_at = |o: usize| -> Option<u32> {
        Some(u32::from_le_bytes(data.get(o..o + 4)?.try_into().ok()?))
    };
    if data.get(0x202..0x206) != Some(b"HdrS") {
        return Err(format!("{} is not a bzImage", bzimage.display()));
    }
    let setup_sects = usize::from(*data.get(0x1f1).ok_or("truncated bzImage")?).max(4);
    let (off, len) = (
        u32_at(0x248).ok_or("truncated bzImage")? as usize,
        u32_at(0x24c).ok_or("truncated bzImage")? as usize,
    );
    let start = (setup_sects + 1) * 512 + off;
    let payload = data
        .get(start..start + len)
        .ok_or("bzImage payload out of range")?;
    let tool: &[&str] = match payload {
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => &["xz", "-dc", "--single-stream"],
        [0x28, 0xb5, 0x2f, 0xfd, ..] => &["zstd", "-dcq"],
        [0x1f, 0x8b, ..] => &["gzip", "-dc"],
        _ => return Err("bzImage payload: unknown compression".into()),
    };
    let tmp = out.with_extension("payload");
    std::fs::write(&tmp, payload).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let elf = util::output_bytes(Command::new(tool[0]).args(&tool[1..]).arg(&tmp))?;
    let _ = std::fs::remove_file(&tmp);
    if elf.get(..4) != Some(b"\x7fELF") {
        return Err("the decompressed bzImage payload is not an ELF".into());
    }
    std::fs::write(out, elf).map_err(|e| format!("{}: {e}", out.display()))
}

/// `target/dom0/vmlinux-<ver>`, extracted once.
pub(crate) fn vmlinux(kver: &str, bzimage: &Path) -> Result<PathBuf, String> {
    let dir = util::workspace_root().join("target/dom0");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out = dir.join(format!("vmlinux-{kver}"));
    if !out.exists() {
        extract_vmlinux(bzimage, &out)?;
    }
    Ok(out)
}

/// The modules to load, dependencies first, as paths relative to
/// `/lib/modules/<kver>`.
pub(crate) fn module_order(kver: &str) -> Result<Vec<String>, String> {
    let dep_path = format!("/lib/modules/{kver}/modules.dep");
    let deps = std::fs::read_to_string(&dep_path).map_err(|e| format!("{dep_path}: {e}"))?;
    let lookup = |name: &str| -> Option<(String, Vec<String>)> {
        deps.lines().find_map(|l| {
            let (m, d) = l.split_once(':')?;
            let file = m.rsplit('/').next()?;
            let stem = file.split(".ko").next()?;
            (stem == name).then(|| {
                (
                    m.to_string(),
                    d.split_whitespace().map(String::from).collect(),
                )
            })
        })
    };
    let mut order: Vec<String> = Vec::new();
    for name in MODULES {
        let (m, d) = lookup(name).ok_or(format!("module {name} is not in {dep_path}"))?;
        // modules.dep lists every (transitive) dependency, deepest last.
        for dep in d.iter().rev().chain(std::iter::once(&m)) {
            if !order.contains(dep) {
                order.push(dep.clone());
            }
        }
    }
    Ok(order)
}

/// The shared libraries `ldd` names for `bin` (the loader included).
fn libraries(bin: &Path) -> Result<Vec<PathBuf>, String> {
    let ldd = Command::new("ldd")
        .arg(bin)
        .output()
        .map_err(|e| format!("ldd: {e}"))?;
    let out = String::from_utf8_lossy(&ldd.stdout);
    if out.contains("not a dynamic executable")
        || String::from_utf8_lossy(&ldd.stderr).contains("not a dynamic executable")
    {
        return Ok(Vec::new()); // static: a kernel, busybox
    }
    if !ldd.status.success() {
        return Err(format!(
            "ldd {}: {}",
            bin.display(),
            String::from_utf8_lossy(&ldd.stderr)
        ));
    }
    Ok(out
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let path = match l.split_once("=>") {
                Some((_, r)) => r.split_whitespace().next()?,
                None => l.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect())
}

/// The `DT_NEEDED` names of an ELF file.
fn needed(elf: &Path) -> Result<Vec<String>, String> {
    let out = util::output(Command::new("readelf").arg("-dW").arg(elf))?;
    Ok(out
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| Some(l.split_once('[')?.1.split_once(']')?.0.to_string()))
        .collect())
}

/// Puts Debian 13's 4.20 toolstack under [`TOOLS_420`] in `root`: the
/// tools, every library they need (found by `DT_NEEDED`, all from the
/// same unpacked packages), trixie's loader, and `bin/<tool>` wrappers
/// that run each tool through that loader.
fn install_tools_420(root: &Path) -> Result<(), String> {
    let sysroot = guest::fetch_debian_packages(
        &util::workspace_root().join("target/xen"),
        "trixie",
        "xen-tools-4.20",
        TOOLS_420_PACKAGES,
    )?;
    let libdir = sysroot.join("usr/lib/x86_64-linux-gnu");
    let dest = Path::new(TOOLS_420);
    let mut todo: Vec<PathBuf> = Vec::new();
    for tool in TOOLS {
        let bin = sysroot.join("usr/lib/xen-4.20/bin").join(tool);
        install(root, &bin, &dest.join("libexec").join(tool))?;
        let wrapper = root
            .join(dest.strip_prefix("/").unwrap_or(dest))
            .join("bin")
            .join(tool);
        std::fs::create_dir_all(wrapper.parent().unwrap_or(root)).map_err(|e| format!("{e}"))?;
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec {TOOLS_420}/lib/ld-linux-x86-64.so.2 --library-path {TOOLS_420}/lib \
                 {TOOLS_420}/libexec/{tool} \"$@\"\n"
            ),
        )
        .map_err(|e| format!("{}: {e}", wrapper.display()))?;
        util::run(Command::new("chmod").arg("755").arg(&wrapper))?;
        todo.push(bin);
    }
    // oxenstored 4.20 loads its libxenctrl glue as a plugin from this
    // fixed path.
    let plugins = Path::new("/usr/lib/xen-4.20/ocaml/xsd_glue/xenctrl_plugin");
    let plugin_dir = sysroot.join(plugins.strip_prefix("/").unwrap_or(plugins));
    for e in std::fs::read_dir(&plugin_dir)
        .map_err(|e| format!("{}: {e}", plugin_dir.display()))?
        .flatten()
    {
        install(root, &e.path(), &plugins.join(e.file_name()))?;
        todo.push(e.path());
    }
    // Thread cancellation in glibc dlopens libgcc_s (xl needs it).
    let mut copied: BTreeSet<String> = ["ld-linux-x86-64.so.2", "libgcc_s.so.1"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    for so in &copied {
        install(root, &libdir.join(so), &dest.join("lib").join(so))?;
    }
    while let Some(elf) = todo.pop() {
        for so in needed(&elf)? {
            if !copied.insert(so.clone()) {
                continue;
            }
            let src = libdir.join(&so);
            if !src.exists() {
                return Err(format!(
                    "{so}, needed by {}, is in none of the 4.20 toolstack's packages (TOOLS_420_PACKAGES)",
                    elf.display()
                ));
            }
            install(root, &src, &dest.join("lib").join(&so))?;
            todo.push(src);
        }
    }
    Ok(())
}

/// `libgcc_s.so.1`, wherever the host's loader finds it.
fn gcc_s() -> Option<PathBuf> {
    let out = util::output(Command::new("ldconfig").arg("-p")).ok()?;
    out.lines()
        .filter(|l| l.contains("libgcc_s.so.1") && l.contains("x86-64"))
        .find_map(|l| l.split("=>").nth(1).map(|p| PathBuf::from(p.trim())))
}

/// Copies `src` (following symlinks) to `root/dest`.
fn install(root: &Path, src: &Path, dest: &Path) -> Result<(), String> {
    let to = root.join(dest.strip_prefix("/").unwrap_or(dest));
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::copy(src, &to)
        .map_err(|e| format!("copy {} -> {}: {e}", src.display(), to.display()))?;
    Ok(())
}

/// Copies a dynamically linked program and every library it needs.
fn install_program(
    root: &Path,
    src: &Path,
    dest: &Path,
    libs: &mut BTreeSet<PathBuf>,
) -> Result<(), String> {
    install(root, src, dest)?;
    libs.extend(libraries(src)?);
    Ok(())
}

/// Installs [`XENSTORE_UTILS`] and, as hard links again, every
/// `xenstore-*` name linked to it on the host.
fn install_xenstore_utils(root: &Path, libs: &mut BTreeSet<PathBuf>) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let src = Path::new(XENSTORE_UTILS);
    let meta = std::fs::metadata(src).map_err(|e| {
        format!("{XENSTORE_UTILS}: {e} (cargo xtask setup installs xenstore-utils)")
    })?;
    install_program(root, src, src, libs)?;
    let to = root.join(src.strip_prefix("/").unwrap_or(src));
    let dir = src.parent().unwrap_or(Path::new("/"));
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in entries.flatten() {
        let name = e.file_name();
        // symlink_metadata: a symlink (xenstore-control, a wrapper) is not a link to it.
        let same = std::fs::symlink_metadata(e.path())
            .is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino());
        if same && name.to_string_lossy().starts_with("xenstore-") {
            let link = to.with_file_name(&name);
            std::fs::hard_link(&to, &link).map_err(|e| format!("link {}: {e}", link.display()))?;
        }
    }
    Ok(())
}

/// The start of `/init`: mounts, modules, xenfs, xenstored and
/// `xen-init-dom0`, each step reporting its status on the console.
pub(crate) fn setup_script(kver: &str, modules: &[String]) -> String {
    let mut s = String::from(
        "#!/bin/busybox sh\n\
         /bin/busybox mkdir -p /proc /sys /dev /run /tmp /var /sbin /usr/bin /usr/sbin\n\
         /bin/busybox --install -s\n\
         export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root RUST_BACKTRACE=1\n\
         mount -t proc proc /proc\n\
         mount -t sysfs sysfs /sys\n\
         mount -t devtmpfs devtmpfs /dev\n\
         mkdir -p /dev/pts && mount -t devpts devpts /dev/pts\n\
         mount -t tmpfs tmpfs /run\n\
         ln -s /run /var/run\n\
         mkdir -p /var/lib/xenstored /var/lib/xen /var/log/xen/console /run/xenstored /run/xen /var/lock /root\n\
         mkdir -p /etc/xen && touch /etc/xen/xl.conf\n\
         head -c 1 /dev/random > /dev/null &\n\
         step() { \"$@\"; echo \"XENRS-DOM0-SETUP rc=$? $*\"; }\n",
    );
    for m in modules {
        s.push_str(&format!("step insmod /lib/modules/{kver}/{m}\n"));
    }
    s.push_str("step mount -t xenfs xenfs /proc/xen\n");
    s.push_str(&format!(
        "case $(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor) in\n\
           4.20) T={TOOLS_420}/bin ;;\n\
           *) T={XEN_TOOLS} ;;\n\
         esac\n\
         export XENRS_XL=$T/xl\n\
         if grep -q xenrs.xenstored=oxenstored /proc/cmdline; then\n\
           export XENRS_XENSTORED=oxenstored\n\
           step $T/oxenstored --pid-file=/run/xenstored.pid\n\
         else\n\
           export XENRS_XENSTORED=xenstored\n\
           step $T/xenstored --pid-file=/run/xenstored.pid\n\
         fi\n\
         step $T/xen-init-dom0\n\
         step $T/xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console\n"
    ));
    s
}

/// The end of `/init`: `payload`, then reboot (which makes QEMU exit under
/// `-no-reboot`).
pub(crate) fn finish_script(mut s: String, payload: &str) -> String {
    s.push_str(payload);
    s.push_str("reboot -f\nsleep 10\n");
    s
}

/// Writes `/init`: set up dom0, run every test binary, reboot.
fn init_script(kver: &str, modules: &[String], bins: &[TestBinary]) -> String {
    let mut s = format!(
        "echo XENRS-DOM0-BEGIN\n\
         export XENRS_DOMU_KERNEL={DOMU_KERNEL}\n"
    );
    for b in bins {
        s.push_str(&format!(
            "echo XENRS-DOM0-RUN {n}\n\
             /tests/{n} --include-ignored --test-threads=1 --show-output 2>&1\n\
             echo XENRS-DOM0-EXIT {n} $?\n",
            n = b.name
        ));
    }
    // The domU's own console, if one ran (for a failure's context).
    s.push_str(
        "for f in /var/log/xen/console/guest-*.log; do [ -e \"$f\" ] && echo \"== $f\" && cat \"$f\"; done\n\
         echo XENRS-DOM0-END\n",
    );
    finish_script(setup_script(kver, modules), &s)
}

/// The xenstore domU kernel, built, and where it goes in dom0.
fn domu_kernel() -> Result<(PathBuf, PathBuf), String> {
    Ok((
        guest::build_kernels()?.join("xen-test-kernel-xs-domu"),
        PathBuf::from(DOMU_KERNEL),
    ))
}

/// Builds `target/dom0/initramfs.cpio` with every test binary, and `extra`
/// programs at their host paths; with the 4.20 toolstack if `tools_420`.
fn build_initramfs(
    kver: &str,
    bins: &[TestBinary],
    extra: &[PathBuf],
    tools_420: bool,
) -> Result<PathBuf, String> {
    let modules = module_order(kver)?;
    let mut programs: Vec<(PathBuf, PathBuf)> = bins
        .iter()
        .map(|b| (b.path.clone(), Path::new("/tests").join(&b.name)))
        .chain(extra.iter().map(|p| (p.clone(), p.clone())))
        .collect();
    programs.push(domu_kernel()?);
    let init = init_script(kver, &modules, bins);
    build_initramfs_with(kver, "dom0", &programs, &init, tools_420)
}

/// Builds `target/<name>/initramfs.cpio` (uncompressed: the kernel unpacks
/// it with no decompression under TCG): busybox, the modules, xenstored,
/// the xenstore-* tools, `programs` (`(host path, path in dom0)`, debug info stripped) with the
/// libraries they link, and `init` as `/init`. Debian 13's 4.20 toolstack
/// (fetched once) goes in only with `tools_420`: images that boot Xen 4.20.
pub(crate) fn build_initramfs_with(
    kver: &str,
    name: &str,
    programs: &[(PathBuf, PathBuf)],
    init: &str,
    tools_420: bool,
) -> Result<PathBuf, String> {
    let dir = util::workspace_root().join("target").join(name);
    let root = dir.join("root");
    if root.exists() {
        std::fs::remove_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    }
    std::fs::create_dir_all(root.join("bin")).map_err(|e| format!("{e}"))?;
    install(&root, Path::new("/bin/busybox"), Path::new("/bin/busybox"))
        .map_err(|e| format!("{e} (cargo xtask setup installs busybox-static)"))?;
    let modules = module_order(kver)?;
    for m in &modules {
        let p = PathBuf::from(format!("/lib/modules/{kver}/{m}"));
        install(&root, &p, &p)?;
    }
    let mut libs = BTreeSet::new();
    for tool in TOOLS {
        let p = Path::new(XEN_TOOLS).join(tool);
        if !p.exists() {
            return Err(format!(
                "{} is missing (cargo xtask setup installs xen-utils-4.17)",
                p.display()
            ));
        }
        install_program(&root, &p, &p, &mut libs)?;
    }
    install_xenstore_utils(&root, &mut libs)?;
    if tools_420 {
        install_tools_420(&root)?;
    }
    for (src, dest) in programs {
        let to = root.join(dest.strip_prefix("/").unwrap_or(dest));
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        // Debug info is most of a test binary; the console needs none of it.
        let stripped = Command::new("strip")
            .arg("--strip-debug")
            .arg("-o")
            .arg(&to)
            .arg(src)
            .status()
            .is_ok_and(|s| s.success());
        if !stripped {
            install(&root, src, dest)?;
        }
        libs.extend(libraries(src)?);
    }
    let conf = Path::new("/etc/xen/oxenstored.conf");
    install(&root, conf, conf).map_err(|e| format!("{e} (xen-utils-4.17 installs it)"))?;
    // xl aborts without libgcc_s (glibc loads it for thread cancellation).
    libs.extend(gcc_s());
    let mut seen = HashSet::new();
    for l in &libs {
        if seen.insert(l.clone()) {
            install(&root, l, l)?;
        }
    }
    let init_path = root.join("init");
    std::fs::write(&init_path, init).map_err(|e| format!("{e}"))?;
    util::run(Command::new("chmod").arg("755").arg(&init_path))?;
    let cpio = dir.join("initramfs.cpio");
    util::run(
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 > '{}'",
                cpio.display()
            ))
            .current_dir(&root),
    )
    .map_err(|e| format!("{e} (cargo xtask setup installs cpio)"))?;
    Ok(cpio)
}

/// What one dom0 boot produced.
#[derive(Debug, Default)]
struct Outcome {
    passed: u32,
    failed: u32,
    /// Why the run counts as failed even if no test said so.
    problems: Vec<String>,
    /// The failing tests.
    failures: Vec<String>,
}

impl Outcome {
    fn ok(&self) -> bool {
        self.failed == 0 && self.problems.is_empty()
    }
}

/// `test NAME ... RESULT` anywhere in a console line (a kernel or Xen message
/// may precede it on the same line).
fn test_line(l: &str) -> Option<(&str, &str)> {
    let at = l.find("test ")?;
    let rest = &l[at + 5..];
    let (name, result) = rest.split_once(" ... ")?;
    let result = result.split_whitespace().next()?;
    matches!(result, "ok" | "FAILED" | "ignored").then_some((name.trim(), result))
}

/// Judges a dom0 boot's console (unit-tested).
fn judge(lines: &[String], bins: &[(&str, u32)], timed_out: bool) -> Outcome {
    let mut o = Outcome::default();
    let mut current: Option<(String, u32, bool)> = None; // name, results, saw summary
    let mut ran: Vec<String> = Vec::new();
    let mut end = false;
    let mut begun = false;
    for raw in lines {
        let l = guest::strip_escapes(raw);
        let l = l.trim_end();
        if let Some(rest) = l.strip_prefix("XENRS-DOM0-SETUP rc=") {
            if !rest.starts_with("0 ") {
                o.problems
                    .push(format!("dom0 setup step failed: rc={rest}"));
            }
        } else if l == "XENRS-DOM0-BEGIN" {
            begun = true;
        } else if let Some(n) = l.strip_prefix("XENRS-DOM0-RUN ") {
            current = Some((n.to_string(), 0, false));
        } else if let Some(rest) = l.strip_prefix("XENRS-DOM0-EXIT ") {
            let (n, rc) = rest.split_once(' ').unwrap_or((rest, "?"));
            match current.take() {
                Some((name, results, summary)) if name == n => {
                    let want = bins.iter().find(|b| b.0 == n).map(|b| b.1);
                    if want != Some(results) {
                        o.problems.push(format!(
                            "{n}: {results} results, expected {want:?} (tests went missing)"
                        ));
                    }
                    if !summary {
                        o.problems.push(format!("{n}: no `test result:` line"));
                    }
                    if rc != "0" {
                        o.problems.push(format!("{n}: exit status {rc}"));
                    }
                }
                _ => o.problems.push(format!("{n}: exit without a start")),
            }
            ran.push(n.to_string());
        } else if l == "XENRS-DOM0-END" {
            end = true;
        } else if let Some((name, result)) = test_line(l) {
            if let Some(c) = current.as_mut() {
                c.1 += 1;
            }
            match result {
                "ok" => o.passed += 1,
                "FAILED" => {
                    o.failed += 1;
                    o.failures.push(name.to_string());
                }
                _ => o
                    .problems
                    .push(format!("{name} was ignored (run with --include-ignored)")),
            }
        } else if l.contains("test result:") {
            if let Some(c) = current.as_mut() {
                c.2 = true;
            }
        } else if l.contains("Kernel panic") || l.contains("Panic on CPU") {
            o.problems.push(format!("crash: {l}"));
        }
    }
    if timed_out {
        o.problems.push("timed out (dom0 hung)".into());
    }
    if !begun {
        o.problems
            .push("dom0 never reached the tests (no begin marker)".into());
    }
    for (b, _) in bins {
        if !ran.iter().any(|r| r == b) {
            o.problems.push(format!("{b} never finished"));
        }
    }
    if !end {
        o.problems
            .push("no end marker: dom0 crashed or Xen died".into());
    }
    if o.passed < MIN_TESTS {
        o.problems.push(format!(
            "only {} tests passed; the tier needs at least {MIN_TESTS}",
            o.passed
        ));
    }
    o
}

/// Boots Xen `xen` with `vmlinux` as dom0 and `initrd` as its initramfs.
pub(crate) fn boot(
    xen: &Path,
    vmlinux: &Path,
    initrd: &Path,
    live: bool,
) -> Result<QemuRun, String> {
    boot_with(xen, vmlinux, initrd, "", live)
}

/// [`boot`] with `extra` on dom0's kernel command line (which `/init` reads:
/// `xenrs.xenstored=oxenstored` starts the OCaml xenstored).
pub(crate) fn boot_with(
    xen: &Path,
    vmlinux: &Path,
    initrd: &Path,
    extra: &str,
    live: bool,
) -> Result<QemuRun, String> {
    let mut cmd = Command::new("qemu-system-x86_64");
    // Linux dom0 dies early under `-cpu max` (TCG's SMAP emulation).
    cmd.args(["-accel", "tcg", "-cpu", "qemu64", "-m", "1024", "-smp", "1"])
        .args([
            "-display",
            "none",
            "-nographic",
            "-no-reboot",
            "-net",
            "none",
        ])
        .args(["-serial", "stdio", "-monitor", "none"])
        .arg("-kernel")
        .arg(xen)
        .arg("-append")
        .arg(
            "console=com1 com1=115200,8n1 loglvl=all guest_loglvl=error \
             dom0_mem=512M,max:512M dom0_max_vcpus=1",
        )
        .arg("-initrd")
        .arg(format!(
            "{} console=hvc0 earlyprintk=xen quiet loglevel=3 panic=-1 rdinit=/init {extra},{}",
            vmlinux.display(),
            initrd.display()
        ));
    guest::run_qemu(cmd, TIMEOUT, live)
}

/// The xenstored implementations the tier runs against: (name in the
/// summary line, daemon in `XEN_TOOLS`, dom0 command-line switch).
const XENSTOREDS: [(&str, &str, &str); 2] = [
    ("", "xenstored", ""),
    (" oxenstored", "oxenstored", "xenrs.xenstored=oxenstored"),
];

/// Parsed `cargo xtask dom0` arguments.
struct Args {
    versions: Vec<&'static str>,
    xenstoreds: Vec<(&'static str, &'static str, &'static str)>,
    live: bool,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut versions = guest::VERSIONS.to_vec();
    let mut xenstoreds = XENSTOREDS.to_vec();
    let mut live = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--xen" => {
                let v = it.next().ok_or("--xen needs 4.17, 4.20 or all")?;
                versions = match v.as_str() {
                    "all" => guest::VERSIONS.to_vec(),
                    v => vec![*guest::VERSIONS
                        .iter()
                        .find(|x| **x == v)
                        .ok_or(format!("unknown Xen {v}"))?],
                };
            }
            "--xenstored" => {
                let v = it.next().ok_or("--xenstored needs c, oxenstored or all")?;
                xenstoreds = match v.as_str() {
                    "all" => XENSTOREDS.to_vec(),
                    "c" | "xenstored" => vec![XENSTOREDS[0]],
                    "ocaml" | "oxenstored" => vec![XENSTOREDS[1]],
                    v => return Err(format!("unknown xenstored {v} (c, oxenstored or all)")),
                };
            }
            "--live" => live = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        versions,
        xenstoreds,
        live,
    })
}

/// `cargo xtask dom0 [--xen 4.17|4.20|all] [--xenstored c|oxenstored|all]
/// [--live]`: one boot per Xen version and xenstored.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let Args {
        versions,
        xenstoreds,
        live,
    } = parse_args(args)?;
    let t = Instant::now();
    let (bins, programs) = build_test_binaries()?;
    let (kver, bzimage) = find_kernel()?;
    let vmlinux = vmlinux(&kver, &bzimage)?;
    let initrd = build_initramfs(&kver, &bins, &programs, versions.contains(&"4.20"))?;
    let expected: Vec<(&str, u32)> = bins.iter().map(|b| (b.name.as_str(), b.tests)).collect();
    println!(
        "dom0: Linux {kver}, {} test binaries ({} tests), initramfs {} MiB, prepared in {:.1} s",
        bins.len(),
        bins.iter().map(|b| b.tests).sum::<u32>(),
        std::fs::metadata(&initrd)
            .map(|m| m.len() >> 20)
            .unwrap_or(0),
        t.elapsed().as_secs_f64()
    );
    let mut lines = Vec::new();
    let mut all_ok = true;
    for (ver, (label, daemon, switch)) in versions
        .iter()
        .flat_map(|v| xenstoreds.iter().map(move |x| (v, x)))
    {
        let xen = guest::xen_image(ver)?;
        let t = Instant::now();
        let run = boot_with(&xen, &vmlinux, &initrd, switch, live)?;
        let mut o = judge(&run.lines, &expected, run.timed_out);
        let started = format!("/{daemon} --pid-file=");
        if !run
            .lines
            .iter()
            .any(|l| l.contains("XENRS-DOM0-SETUP rc=0 ") && l.contains(&started))
        {
            o.problems.push(format!("{daemon} did not start"));
        }
        let line = format!(
            "dom0 xen-{ver}{label}: {} passed, {} failed",
            o.passed, o.failed
        );
        println!("{line}   ({:.1} s)", t.elapsed().as_secs_f64());
        if !o.ok() {
            all_ok = false;
            for f in &o.failures {
                println!("    FAILED: {f}");
            }
            for p in &o.problems {
                println!("    problem: {p}");
            }
            println!("    console tail:");
            let from = run.lines.len().saturating_sub(60);
            for l in &run.lines[from..] {
                println!("    {}", guest::strip_escapes(l));
            }
        }
        lines.push(line);
    }
    println!();
    for l in &lines {
        println!("{l}");
    }
    if all_ok {
        Ok(())
    } else {
        Err("the dom0 tier failed".into())
    }
}

/// The dom0 test that creates the xenstore domU.
const DOMU_TEST: &str = "xen-store-dom0_domu";

/// `cargo xtask demo`: Xen 4.17 in QEMU with Debian's Linux as dom0 and the
/// real xenstored; `xl` creates our no_std Rust PV domU, which checks over
/// its xenstore ring (xen-store's ring client) what xenstored lets an
/// unprivileged domain do, and reports back through xenstore. Live.
pub(crate) fn demo() -> Result<(), String> {
    const XEN: &str = "4.17";
    util::step("build the dom0 side (xen-store's dom0 tests) and the domU kernel");
    let bin = build_test_binaries()?
        .0
        .into_iter()
        .find(|b| b.name == DOMU_TEST)
        .ok_or(format!("no {DOMU_TEST} test binary"))?;
    let (kver, bzimage) = find_kernel()?;
    let vmlinux = vmlinux(&kver, &bzimage)?;
    let modules = module_order(&kver)?;
    let payload = format!(
        "echo XENRS-DOM0-BEGIN\n\
         echo 'demo: dom0 is up (Linux, xenstored, xenconsoled); xl creates the domU'\n\
         export XENRS_DOMU_KERNEL={DOMU_KERNEL}\n\
         /tests/{DOMU_TEST} --include-ignored 2>&1\n\
         echo XENRS-DOM0-EXIT {DOMU_TEST} $?\n\
         echo 'demo: the domU console, as xenconsoled logged it:'\n\
         cat /var/log/xen/console/guest-*.log\n\
         echo XENRS-DOM0-END\n"
    );
    let init = finish_script(setup_script(&kver, &modules), &payload);
    let programs = [
        (bin.path.clone(), Path::new("/tests").join(DOMU_TEST)),
        domu_kernel()?,
    ];
    let initrd = build_initramfs_with(&kver, "dom0-demo", &programs, &init, false)?;
    let xen = guest::xen_image(XEN)?;
    println!(
        "demo: booting Xen {XEN} in qemu-system-x86_64 (TCG) with Debian's Linux {kver} as dom0"
    );
    let run = boot(&xen, &vmlinux, &initrd, true)?;
    let lines: Vec<String> = run.lines.iter().map(|l| guest::strip_escapes(l)).collect();
    let summary = lines
        .iter()
        .find_map(|l| Some(l[l.find("summary: ")?..].to_string()));
    let exited = lines
        .iter()
        .any(|l| l.contains(&format!("XENRS-DOM0-EXIT {DOMU_TEST} 0")));
    println!(
        "\ndemo: domU xenrs-xs-domu on Xen {XEN}: {}",
        summary
            .as_deref()
            .and_then(|s| s.strip_prefix("summary: "))
            .unwrap_or("no report")
    );
    if exited && !run.timed_out && summary.is_some_and(|s| s.ends_with(" 0 failed")) {
        Ok(())
    } else {
        Err("the demo domU did not report a clean run".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(String::from).collect()
    }

    fn passing(n: u32) -> String {
        let mut s = String::from(
            "(XEN) boot\nXENRS-DOM0-SETUP rc=0 insmod x\nXENRS-DOM0-BEGIN\nXENRS-DOM0-RUN t\n",
        );
        s.push_str(&format!("running {n} tests\n"));
        for i in 0..n {
            s.push_str(&format!("test t{i} ... ok\n"));
        }
        s.push_str(&format!(
            "test result: ok. {n} passed; 0 failed\nXENRS-DOM0-EXIT t 0\nXENRS-DOM0-END\n"
        ));
        s
    }

    #[test]
    fn a_complete_run_passes() {
        let o = judge(&lines(&passing(16)), &[("t", 16)], false);
        assert!(o.ok(), "{:?}", o.problems);
        assert_eq!((o.passed, o.failed), (16, 0));
    }

    #[test]
    fn failures_hangs_crashes_and_missing_tests_fail() {
        let failed = passing(16).replace("test t3 ... ok", "test t3 ... FAILED");
        let o = judge(&lines(&failed), &[("t", 16)], false);
        assert!(!o.ok() && o.failed == 1 && o.failures == ["t3"]);

        let o = judge(&lines(&passing(16)), &[("t", 17)], false);
        assert!(!o.ok(), "a missing test must fail the run");

        let o = judge(&lines(&passing(3)), &[("t", 3)], false);
        assert!(!o.ok(), "fewer than MIN_TESTS");

        let hung: Vec<String> = lines(&passing(16)).into_iter().take(8).collect();
        let o = judge(&hung, &[("t", 16)], true);
        assert!(o.problems.iter().any(|p| p.contains("timed out")));
        assert!(o.problems.iter().any(|p| p.contains("end marker")));

        let panic = passing(16).replace("test t5 ... ok", "Kernel panic - not syncing: x");
        assert!(!judge(&lines(&panic), &[("t", 16)], false).ok());

        let ignored = passing(16).replace("test t1 ... ok", "test t1 ... ignored, needs");
        assert!(!judge(&lines(&ignored), &[("t", 16)], false).ok());

        let bad_exit = passing(16).replace("EXIT t 0", "EXIT t 101");
        assert!(!judge(&lines(&bad_exit), &[("t", 16)], false).ok());

        let bad_setup = passing(16).replace("rc=0 insmod", "rc=1 insmod");
        assert!(!judge(&lines(&bad_setup), &[("t", 16)], false).ok());
    }

    #[test]
    fn test_lines_survive_a_prefix() {
        assert_eq!(
            test_line("[  1.0] foo test a::b ... ok"),
            Some(("a::b", "ok"))
        );
        assert_eq!(test_line("test x ... FAILED"), Some(("x", "FAILED")));
        assert_eq!(test_line("running 3 tests"), None);
    }

    #[test]
    fn package_names_come_from_the_id_not_a_substring() {
        let ids = [
            ("path+file:///work/wt-xs/xen-store#0.1.0", "xen-store"),
            ("path+file:///work/wt-xs/examples/xs#0.1.0", "xs"),
            ("path+file:///work/wt-xs/examples/tool#xs@0.1.0", "xs"),
            ("path+file:///work/xs/#xen-store@0.1.0", "xen-store"),
            ("git+https://example.org/r?branch=b#xs@1.0.0", "xs"),
            ("xs 0.1.0 (path+file:///work/wt-xs/examples/xs)", "xs"),
            (
                "xen-store 0.1.0 (path+file:///work/wt-xs/xen-store)",
                "xen-store",
            ),
        ];
        for (id, name) in ids {
            assert_eq!(package_name(id), Some(name), "{id}");
        }
        assert_eq!(package_name("no-fragment"), None);
    }

    #[test]
    fn init_loads_modules_then_runs_every_binary() {
        let bins = [TestBinary {
            name: "p-t".into(),
            path: PathBuf::from("/x"),
            tests: 3,
        }];
        let s = init_script("6.1", &["kernel/drivers/xen/xenfs/xenfs.ko".into()], &bins);
        let insmod = s.find("insmod /lib/modules/6.1/kernel/drivers/xen/xenfs/xenfs.ko");
        let run = s.find("/tests/p-t --include-ignored --test-threads=1 --show-output");
        assert!(insmod.is_some() && run.is_some() && insmod < run);
        assert!(s.trim_end().ends_with("sleep 10") && s.contains("reboot -f"));
    }
}
