//! The score asset: `*.score.ron` files loaded through Bevy's `AssetServer`, with their stems.

use std::path::PathBuf;
use std::sync::Arc;

use bevy::asset::io::Reader;
use bevy::asset::{Asset, AssetLoader, LoadContext};
use bevy::reflect::TypePath;
use leitmotif_core::{Score, ScoreError};
use leitmotif_engine::{BankOptions, LoadError, SourceBank};

/// A parsed, validated score and every source it names, decoded at the output rate.
///
/// Loaded from `*.score.ron` by [`ScoreLoader`]. Stems (`File(…)` sources) are read relative
/// to the score's folder; generated layers are synthesised while loading, on Bevy's IO task
/// pool, so a large score never stalls a frame.
#[derive(Asset, TypePath, Debug, Clone)]
pub struct ScoreAsset {
    /// The score.
    pub score: Arc<Score>,
    /// Its sources, at the sample rate the plugin plays at.
    pub bank: Arc<SourceBank>,
}

/// Why a score asset could not be loaded. Every message starts with the file; score errors
/// carry `file:line:column`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScoreLoadError {
    /// The file could not be read.
    #[error("{path}: cannot read the score: {source}")]
    Io {
        /// The asset path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{path}: the score is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// The asset path.
        path: String,
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// The score does not parse or validate; the message is `file:line:column: …`.
    #[error(transparent)]
    Score(#[from] ScoreError),
    /// A stem could not be loaded (missing, undecodable, lengths differ, …).
    #[error("{path}: {source}")]
    Stems {
        /// The asset path of the score.
        path: String,
        /// The stem error.
        #[source]
        source: LoadError,
    },
}

/// Loads [`ScoreAsset`]s from files ending in `.score.ron`.
///
/// Stems are read with `std::fs` from the asset root folder joined with the score's folder
/// (first version: only the default file asset source is supported for stems; the score
/// itself goes through the `AssetServer`, so hot reloading works).
#[derive(TypePath)]
pub struct ScoreLoader {
    /// Folder of the default asset source on disk.
    pub(crate) root: PathBuf,
    /// Output sample rate stems are resampled to (the device's, once it is open).
    pub(crate) sample_rate: Arc<std::sync::atomic::AtomicU32>,
}

impl AssetLoader for ScoreLoader {
    type Asset = ScoreAsset;
    type Settings = ();
    type Error = ScoreLoadError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &(),
        load_context: &mut LoadContext<'_>,
    ) -> Result<ScoreAsset, ScoreLoadError> {
        let asset_path = load_context.path().path().to_path_buf();
        let shown = asset_path.display().to_string();
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .await
            .map_err(|source| ScoreLoadError::Io {
                path: shown.clone(),
                source,
            })?;
        let src = String::from_utf8(bytes).map_err(|e| ScoreLoadError::NotUtf8 {
            path: shown.clone(),
            offset: e.utf8_error().valid_up_to(),
        })?;
        let score = Score::from_ron(&src, Some(&asset_path))?;
        let disk_path = self.root.join(&asset_path);
        let rate = self.sample_rate.load(std::sync::atomic::Ordering::Relaxed);
        let opts = BankOptions::for_score(&disk_path, rate);
        let bank = SourceBank::load(&score, &opts).map_err(|source| ScoreLoadError::Stems {
            path: shown.clone(),
            source,
        })?;
        for w in &bank.warnings {
            bevy::log::warn!("leitmotif: {shown}: {w}");
        }
        Ok(ScoreAsset {
            score: Arc::new(score),
            bank: Arc::new(bank),
        })
    }

    fn extensions(&self) -> &[&str] {
        &["score.ron"]
    }
}
