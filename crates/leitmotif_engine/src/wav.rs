//! WAV and Broadcast WAV output, written atomically (temporary file, then rename).

use std::io::{self, Write};
use std::path::Path;

/// Sample formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavFormat {
    /// 16-bit integer PCM (TPDF dithered).
    Int16,
    /// 24-bit integer PCM.
    Int24,
    /// 32-bit float.
    Float32,
}

/// Broadcast WAV metadata (EBU Tech 3285 `bext`).
#[derive(Debug, Clone, Default)]
pub struct Bext {
    /// Description (up to 256 bytes).
    pub description: String,
    /// Originator (up to 32 bytes).
    pub originator: String,
    /// Samples since midnight of the first sample: where a DAW places the file.
    pub time_reference: u64,
}

fn fixed(s: &str, n: usize) -> Vec<u8> {
    let mut b: Vec<u8> = s.bytes().take(n).collect();
    b.resize(n, 0);
    b
}

fn format_bits(format: WavFormat) -> (u16, u16) {
    match format {
        WavFormat::Int16 => (16, 1),
        WavFormat::Int24 => (24, 1),
        WavFormat::Float32 => (32, 3),
    }
}

/// The RIFF header (with `bext` when given) for `data_len` bytes of samples.
fn header(sample_rate: u32, format: WavFormat, bext: Option<&Bext>, data_len: u32) -> Vec<u8> {
    let (bits, tag) = format_bits(format);
    let block = 2 * bits / 8;
    let mut out = Vec::with_capacity(700);
    out.extend_from_slice(b"RIFF\0\0\0\0WAVE");
    if let Some(b) = bext {
        let mut chunk = Vec::with_capacity(602);
        chunk.extend(fixed(&b.description, 256));
        chunk.extend(fixed(&b.originator, 32));
        chunk.extend(fixed("", 32)); // originator reference
        chunk.extend(fixed("2026-01-01", 10));
        chunk.extend(fixed("00:00:00", 8));
        chunk.extend_from_slice(&(b.time_reference as u32).to_le_bytes());
        chunk.extend_from_slice(&((b.time_reference >> 32) as u32).to_le_bytes());
        chunk.extend_from_slice(&1u16.to_le_bytes()); // version
        chunk.extend(fixed("", 64)); // UMID
        chunk.extend(fixed("", 10)); // loudness fields
        chunk.extend(fixed("", 180)); // reserved
        out.extend_from_slice(b"bext");
        out.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
        out.extend(chunk);
    }
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * block as u32).to_le_bytes());
    out.extend_from_slice(&block.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    let riff = (out.len() - 8) as u32 + data_len;
    out[4..8].copy_from_slice(&riff.to_le_bytes());
    out
}

/// Sample encoder with its dither state (deterministic: same input, same bytes).
struct Encoder {
    format: WavFormat,
    seed: u32,
}

impl Encoder {
    fn new(format: WavFormat) -> Self {
        Encoder {
            format,
            seed: 0x2545_F491,
        }
    }

    fn rnd(&mut self) -> f32 {
        self.seed = self
            .seed
            .wrapping_mul(1_664_525)
            .wrapping_add(1_013_904_223);
        (self.seed >> 8) as f32 / (1u32 << 24) as f32
    }

    fn encode(&mut self, frames: &[[f32; 2]], data: &mut Vec<u8>) {
        for f in frames {
            for &s in f {
                let s = if s.is_finite() {
                    s.clamp(-1.0, 1.0)
                } else {
                    0.0
                };
                match self.format {
                    WavFormat::Int16 => {
                        let d = (self.rnd() - self.rnd()) / 32_768.0;
                        let v = ((s + d) * 32_767.0).round().clamp(-32_768.0, 32_767.0) as i16;
                        data.extend_from_slice(&v.to_le_bytes());
                    }
                    WavFormat::Int24 => {
                        let v = (s * 8_388_607.0).round() as i32;
                        data.extend_from_slice(&v.to_le_bytes()[..3]);
                    }
                    WavFormat::Float32 => data.extend_from_slice(&s.to_le_bytes()),
                }
            }
        }
    }
}

/// Encodes stereo frames as a WAV file in memory.
pub fn encode(
    frames: &[[f32; 2]],
    sample_rate: u32,
    format: WavFormat,
    bext: Option<&Bext>,
) -> Vec<u8> {
    let mut data = Vec::with_capacity(frames.len() * 8);
    Encoder::new(format).encode(frames, &mut data);
    let mut out = header(sample_rate, format, bext, data.len() as u32);
    out.extend(data);
    out
}

/// A WAV file written block by block (for renders longer than memory should hold); the
/// sizes in the header are patched by [`WavWriter::finish`].
pub struct WavWriter {
    file: io::BufWriter<std::fs::File>,
    encoder: Encoder,
    sample_rate: u32,
    bext: Option<Bext>,
    data_len: u64,
    scratch: Vec<u8>,
    /// Whether any non-zero sample was written.
    pub audible: bool,
}

impl WavWriter {
    /// Creates (or truncates) `path` and writes a provisional header.
    pub fn create(
        path: &Path,
        sample_rate: u32,
        format: WavFormat,
        bext: Option<&Bext>,
    ) -> io::Result<Self> {
        let mut file = io::BufWriter::new(std::fs::File::create(path)?);
        file.write_all(&header(sample_rate, format, bext, 0))?;
        Ok(WavWriter {
            file,
            encoder: Encoder::new(format),
            sample_rate,
            bext: bext.cloned(),
            data_len: 0,
            scratch: Vec::new(),
            audible: false,
        })
    }

    /// Appends frames.
    pub fn write(&mut self, frames: &[[f32; 2]]) -> io::Result<()> {
        self.audible |= frames.iter().any(|f| f[0] != 0.0 || f[1] != 0.0);
        self.scratch.clear();
        self.encoder.encode(frames, &mut self.scratch);
        self.data_len += self.scratch.len() as u64;
        self.file.write_all(&self.scratch)
    }

    /// Patches the header and flushes the file to disk.
    pub fn finish(mut self) -> io::Result<()> {
        use std::io::Seek;
        let len = u32::try_from(self.data_len)
            .map_err(|_| io::Error::other("WAV data larger than 4 GiB"))?;
        let head = header(
            self.sample_rate,
            self.encoder.format,
            self.bext.as_ref(),
            len,
        );
        self.file.flush()?;
        let mut f = self.file.into_inner().map_err(|e| e.into_error())?;
        f.seek(io::SeekFrom::Start(0))?;
        f.write_all(&head)?;
        f.sync_all()
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Encodes and writes a WAV file atomically.
pub fn write_wav(
    path: &Path,
    frames: &[[f32; 2]],
    sample_rate: u32,
    format: WavFormat,
    bext: Option<&Bext>,
) -> io::Result<()> {
    write_atomic(path, &encode(frames, sample_rate, format, bext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_file_equals_encoded_file() {
        let frames: Vec<[f32; 2]> = (0..5000)
            .map(|i| [((i as f32) * 0.01).sin() * 0.5, 0.1])
            .collect();
        let bext = Bext {
            time_reference: 172_800_000,
            ..Default::default()
        };
        let path =
            std::env::temp_dir().join(format!("leitmotif-wavwriter-{}.wav", std::process::id()));
        let mut w = WavWriter::create(&path, 48_000, WavFormat::Int16, Some(&bext)).unwrap();
        for chunk in frames.chunks(777) {
            w.write(chunk).unwrap();
        }
        assert!(w.audible);
        w.finish().unwrap();
        let streamed = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            streamed,
            encode(&frames, 48_000, WavFormat::Int16, Some(&bext))
        );
    }

    #[test]
    fn hound_reads_what_we_write() {
        let frames: Vec<[f32; 2]> = (0..1000)
            .map(|i| [(i as f32 / 1000.0) - 0.5, 0.25])
            .collect();
        for (format, bits) in [
            (WavFormat::Int16, 16),
            (WavFormat::Int24, 24),
            (WavFormat::Float32, 32),
        ] {
            let bytes = encode(
                &frames,
                48_000,
                format,
                Some(&Bext {
                    time_reference: 48_000 * 3600,
                    ..Default::default()
                }),
            );
            let r = hound::WavReader::new(std::io::Cursor::new(bytes)).expect("hound parses");
            let spec = r.spec();
            assert_eq!(
                (spec.channels, spec.sample_rate, spec.bits_per_sample),
                (2, 48_000, bits)
            );
            assert_eq!(r.duration(), 1000);
        }
    }
}
