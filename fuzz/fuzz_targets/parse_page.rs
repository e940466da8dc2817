//! Any bytes as a review page: records or problems, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = paperdex::ingest::parse_bytes(std::path::Path::new("fuzz/2501.00001/index.md"), data);
});
