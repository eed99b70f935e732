//! OpenTimelineIO JSON (`parse_bytes`, `Format::Otio`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leitmotif_fuzz::fuzz_cut(data, Some(leitmotif_fuzz::Format::Otio), "fuzz.otio");
});
