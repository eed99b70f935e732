//! Reading audio files packet by packet with Symphonia (the decoder kira itself uses, so
//! a file kira plays is a file the bank reads), never on the audio thread.

use std::fs::File;
use std::path::Path;

use symphonia::core::codecs::CodecParameters;
use symphonia::core::codecs::audio::AudioDecoder;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatReader, SeekMode, SeekTo, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::units::Timestamp;

/// An open audio file: its format, its decoder and what its header says.
pub struct FileDecoder {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track: u32,
    /// Sample rate of the file.
    pub rate: u32,
    /// Frames in the file, when the container says (WAV, FLAC and Ogg do).
    pub frames: Option<u64>,
    /// Time base of packet timestamps, as frames per tick (numerator, denominator).
    ticks: (u64, u64),
    scratch: Vec<f32>,
}

impl FileDecoder {
    /// Opens `path` and reads its header; decodes nothing yet.
    pub fn open(path: &Path) -> Result<FileDecoder, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let mss = MediaSourceStream::new(Box::new(file), Default::default());
        let format = symphonia::default::get_probe()
            .probe(&hint, mss, Default::default(), Default::default())
            .map_err(|e| e.to_string())?;
        let track = format
            .default_track(TrackType::Audio)
            .ok_or("the file has no audio track")?;
        let Some(CodecParameters::Audio(params)) = track.codec_params.as_ref() else {
            return Err("the file has no audio track".into());
        };
        let rate = params
            .sample_rate
            .ok_or("the file does not give its sample rate")?;
        let frames = track.num_frames;
        let ticks = track.time_base.map_or((1, 1), |tb| {
            (tb.numer.get() as u64 * rate as u64, tb.denom.get() as u64)
        });
        let id = track.id;
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(params, &Default::default())
            .map_err(|e| e.to_string())?;
        Ok(FileDecoder {
            format,
            decoder,
            track: id,
            rate,
            frames,
            ticks,
            scratch: Vec::new(),
        })
    }

    /// Decodes the next packet and appends its frames (mono is copied to both channels).
    /// Returns `false` at the end of the file.
    pub fn read(&mut self, out: &mut Vec<[f32; 2]>) -> Result<bool, String> {
        Ok(self.read_placed(out)?.is_some())
    }

    /// Like [`read`](Self::read), also telling which input frame the appended frames start
    /// at, from the packet's timestamp: a packet's frames end where its duration does (a
    /// decoder that yields fewer frames, as one priming after a seek, yields the last ones).
    pub fn read_placed(&mut self, out: &mut Vec<[f32; 2]>) -> Result<Option<i64>, String> {
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(None),
                Err(e) => return Err(e.to_string()),
            };
            if packet.track_id != self.track {
                continue;
            }
            let (num, den) = self.ticks;
            let to_frames = |t: i64| (t as i128 * num as i128 / den.max(1) as i128) as i64;
            let end = to_frames(packet.pts.get()) + to_frames(packet.dur.get() as i64);
            let buf = self.decoder.decode(&packet).map_err(|e| e.to_string())?;
            let channels = buf.num_planes();
            buf.copy_to_vec_interleaved(&mut self.scratch);
            let before = out.len();
            match channels {
                1 => out.extend(self.scratch.iter().map(|&s| [s, s])),
                2 => out.extend(self.scratch.chunks_exact(2).map(|c| [c[0], c[1]])),
                n => {
                    return Err(format!(
                        "{n} channels (hint: export stems as mono or stereo)"
                    ));
                }
            }
            let n = (out.len() - before) as i64;
            return Ok(Some(end - n));
        }
    }

    /// Seeks so that the next [`read`](Self::read) starts at or before input frame `frame`;
    /// returns the frame it starts at.
    pub fn seek(&mut self, frame: u64) -> Result<u64, String> {
        let to = SeekTo::Timestamp {
            ts: Timestamp::new(frame as i64),
            track_id: self.track,
        };
        let seeked = self
            .format
            .seek(SeekMode::Accurate, to)
            .map_err(|e| e.to_string())?;
        self.decoder.reset();
        Ok(seeked.actual_ts.get().max(0) as u64)
    }
}
