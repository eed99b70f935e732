//! Final Cut Pro 7 / Premiere xmeml (`parse_bytes`, `Format::Fcp7Xml`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leitmotif_fuzz::fuzz_cut(data, Some(leitmotif_fuzz::Format::Fcp7Xml), "fuzz.xml");
});
