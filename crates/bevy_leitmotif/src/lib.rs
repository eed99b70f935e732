//! bevy_leitmotif
