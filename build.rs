//! Decides at build time whether the tests that read the real review pages in
//! `../shared/corpus/reviews` can run, so that a build without them marks those tests
//! `ignored, needs ../shared/corpus/reviews` in the test output instead of letting them
//! pass without running. Under `CI=true` they are never ignored: a missing folder fails.

use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(paperdex_no_shared)");
    println!("cargo::rerun-if-changed=build.rs");
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
