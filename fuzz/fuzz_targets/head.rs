#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| waymark::__fuzz::head(data));
