//! Fuzz target: see `osstest_core_fuzz::cpio`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| osstest_core_fuzz::cpio(data));
