//! Leitmotif workspace umbrella: re-exports for integration tests, benches and examples.
