//! Score RON (`Score::from_ron`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leitmotif_fuzz::fuzz_score(data);
});
