//! Decides at build time whether the tests that read the real review pages in
//! `../shared/corpus/reviews` can run, so that a build without them marks those tests
//! `ignored, needs ../shared/corpus/reviews` in the test output instead of letting them
//! pass without running. Under `CI=true` they are never ignored: a missing folder fails.
//! In the same way, the browser test (tests/browser.rs) is marked `ignored, needs chromium
//! and chromedriver` when those are not on PATH, except under `CI=true`.

use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(paperdex_no_shared)");
    println!("cargo::rustc-check-cfg=cfg(paperdex_no_browser)");
    println!("cargo::rerun-if-changed=build.rs");
    link_position_dependent();
    link_hot_functions_together();
    browser();
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let reviews = manifest.join("../shared/corpus/reviews");
    if reviews.is_dir() {
        // Watching a folder that exists costs one scan of its files per build; the script
        // reruns (and the tests are rebuilt without the mark) only when the pages change
        // or the folder goes away.
        println!("cargo::rerun-if-changed={}", reviews.display());
        return;
    }
    // A path that does not exist would make cargo rerun this script, and so rebuild the
    // crate, on every build; the folder appearing later is caught at run time instead
    // (tests/parser_real_pages.rs: the_build_saw_the_shared_pages_as_they_are).
    println!("cargo::rerun-if-env-changed=CI");
    if std::env::var("CI").as_deref() != Ok("true") {
        println!("cargo::rustc-cfg=paperdex_no_shared");
    }
}

/// Links the `paperdex` executable at a fixed address on Linux (`-no-pie`): the code is
/// compiled position-independent as usual, and the linker resolves its forty thousand
/// pointers into read-only data once, at link time. A position-independent executable has
/// the dynamic loader apply them at every start, writing to (and so copying) every page
/// of that data: a third of a `paperdex search` process's time (about 1 ms of 3) before
/// `main`. Shared libraries are still placed at random.
fn link_position_dependent() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo::rustc-link-arg-bins=-no-pie");
    }
}

/// Places the functions a `paperdex search` process runs (build/hot-functions.txt, written
/// by scripts/hot-functions.sh) side by side in release builds of the executable. Spread
/// over its 10 MB of code, they sat in some eighty 64 KB stretches, and a process faulted
/// each one in; side by side they fill about twenty. Only with the linker Rust uses on
/// x86-64 Linux (LLD, since Rust 1.90), and not when the build names its own linker.
fn link_hot_functions_together() {
    println!("cargo::rerun-if-changed=build/hot-functions.txt");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let own_linker = std::env::var_os("RUSTC_LINKER").is_some() || var("CARGO_ENCODED_RUSTFLAGS").contains("link");
    if var("TARGET") != "x86_64-unknown-linux-gnu" || var("PROFILE") != "release" || own_linker {
        return;
    }
    let list = PathBuf::from(var("CARGO_MANIFEST_DIR")).join("build/hot-functions.txt");
    if list.is_file() {
        println!("cargo::rustc-link-arg-bins=-Wl,--symbol-ordering-file={}", list.display());
        // Names the build no longer has (the list is from an older build) are skipped.
        println!("cargo::rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// Marks the browser test ignored when chromium or chromedriver is not on PATH (never
/// under `CI=true`). As with the pages, only programs that exist are watched; one that
/// appears later is caught at run time (tests/browser.rs: the_build_saw_the_browser_as_it_is).
fn browser() {
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join(name)).find(|p| p.is_file()))
    };
    let found: Vec<PathBuf> = ["chromium", "chromedriver"].iter().filter_map(|name| on_path(name)).collect();
    for program in &found {
        println!("cargo::rerun-if-changed={}", program.display());
    }
    if found.len() < 2 {
        println!("cargo::rerun-if-env-changed=CI");
        if std::env::var("CI").as_deref() != Ok("true") {
            println!("cargo::rustc-cfg=paperdex_no_browser");
        }
    }
}
