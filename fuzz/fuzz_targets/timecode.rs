//! Timecode parsing at a rate picked by input length, with a frames round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leitmotif_fuzz::fuzz_timecode(data);
});
