//! Fuzz target: see `osstest_core_fuzz::kerndist`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| osstest_core_fuzz::kerndist(data));
