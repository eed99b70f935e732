//! CMX 3600 EDL (`parse_bytes`, `Format::Edl`), rate and leniency picked by input length.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leitmotif_fuzz::fuzz_edl(data);
});
