//! leitmotif_film
pub mod timecode;
