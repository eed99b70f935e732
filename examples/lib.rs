//! Leitmotif's Bevy examples live in this package so that nothing else in the workspace builds
//! Bevy's renderer: `cargo run -p leitmotif_examples --example tuning -- noir.score.ron` and
//! `cargo run -p leitmotif_examples --example stealth`. See `README.md` beside this file.
