//! Final Cut Pro X FCPXML (`parse_bytes`, `Format::FcpXml`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leitmotif_fuzz::fuzz_cut(data, Some(leitmotif_fuzz::Format::FcpXml), "fuzz.fcpxml");
});
