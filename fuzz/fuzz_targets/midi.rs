//! Standard MIDI File: `midi::read_theme`, `StyleModel::train_midi` and a short `generate`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leitmotif_fuzz::fuzz_midi(data);
});
