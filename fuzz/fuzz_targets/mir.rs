#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rtjit_fuzz::mir(data));
