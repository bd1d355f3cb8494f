//! Fuzz target: see `osstest_core_fuzz::initrd`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| osstest_core_fuzz::initrd(data));
