//! RON spotting list (`parse_spotting_str_at`, 29.97 DF from 01:00:00;00).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leitmotif_fuzz::fuzz_spotting(data, false);
});
