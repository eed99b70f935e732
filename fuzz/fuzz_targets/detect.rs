//! Format sniffed from the content (`parse_bytes` with no format and no extension).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leitmotif_fuzz::fuzz_cut(data, None, "fuzz");
});
