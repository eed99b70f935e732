//! leitmotif_engine
