#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| waymark_runtime::__fuzz::connection(data));
