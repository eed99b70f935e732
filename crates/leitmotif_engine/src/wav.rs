//! WAV and Broadcast WAV output, written atomically (temporary file, then rename).
//!
//! Every file starts `RIFF` `WAVE`, then a 28-byte `JUNK` chunk: room for the `ds64` chunk of
//! RF64 (EBU Tech 3306), which it becomes when the file passes the 32-bit RIFF size (4 GiB);
//! readers of plain WAV skip it. Then `bext` (Broadcast WAV, EBU Tech 3285 version 2, when
//! given: 602 bytes, the loudness fields measured by the writer), `fmt ` and `data`.

use std::io::{self, Write};
use std::path::Path;
use std::sync::mpsc;

use ebur128::{EbuR128, Mode};

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

/// Broadcast WAV metadata (EBU Tech 3285 `bext`, version 2). The loudness fields are not
/// given here: the writer measures what it writes (see [`BextLoudness`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bext {
    /// Description (up to 256 bytes).
    pub description: String,
    /// Originator (up to 32 bytes).
    pub originator: String,
    /// `OriginationDate`, `yyyy-mm-dd` (up to 10 bytes). Empty unless given: the writer never
    /// reads the clock, so a render stays bit-identical for the same input and seed; a
    /// caller that wants the file dated sets this and [`Bext::origination_time`].
    pub origination_date: String,
    /// `OriginationTime`, `hh:mm:ss` (up to 8 bytes); empty unless given, like
    /// [`Bext::origination_date`].
    pub origination_time: String,
    /// Samples since midnight of the first sample: where a DAW places the file.
    pub time_reference: u64,
}

/// The loudness fields of a version 2 `bext` chunk (EBU Tech 3285 v2 after EBU R 128 s1),
/// measured by the writer on the samples it wrote (after clipping to full scale) with the
/// ebur128 crate (ITU-R BS.1770). In the chunk each is a signed 16-bit count of hundredths;
/// `None`, where the file is too short for the measure (400 ms for the integrated and momentary
/// loudness, 3 s for the range and short-term loudness), is written as 0x7FFF, and the −∞ of
/// digital silence as −327.68.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BextLoudness {
    /// `LoudnessValue`: integrated loudness, LUFS.
    pub integrated_lufs: Option<f64>,
    /// `LoudnessRange`: loudness range (EBU Tech 3342), LU.
    pub range_lu: Option<f64>,
    /// `MaxTruePeakLevel`: the highest true peak of either channel, dBTP.
    pub max_true_peak_dbtp: Option<f64>,
    /// `MaxMomentaryLoudness`: the highest momentary (400 ms) loudness, LUFS, taken every
    /// 100 ms (on the grid of BS.1770's gating blocks, from the file's first sample).
    pub max_momentary_lufs: Option<f64>,
    /// `MaxShortTermLoudness`: the highest short-term (3 s) loudness, LUFS, taken every 100 ms
    /// like the momentary one.
    pub max_short_term_lufs: Option<f64>,
}

/// "Unknown" in a `bext` loudness field.
const UNKNOWN: i16 = 0x7FFF;

/// A loudness field: hundredths, 0x7FFF when unknown, −∞ as the lowest value.
fn hundredths(v: Option<f64>) -> i16 {
    match v {
        Some(v) if !v.is_nan() => (v * 100.0)
            .round()
            .clamp(i16::MIN as f64, (UNKNOWN - 1) as f64) as i16,
        _ => UNKNOWN,
    }
}

/// BS.1770 energy of a loudness and back (the ebur128 crate's conversion).
fn energy_of(lufs: f64) -> f64 {
    if lufs.is_finite() {
        10f64.powf((lufs + 0.691) / 10.0)
    } else {
        0.0
    }
}

fn lufs_of(energy: f64) -> f64 {
    if energy > 0.0 {
        10.0 * energy.log10() - 0.691
    } else {
        f64::NEG_INFINITY
    }
}

/// The short-term window in 100 ms blocks.
const SHORT_BLOCKS: usize = 30;
/// The momentary window in 100 ms blocks.
const MOMENTARY_BLOCKS: usize = 4;

/// An EBU R 128 meter of the samples written. The integrated loudness, range and true peak
/// come from the ebur128 crate; the maxima of the momentary and short-term loudness from the
/// energies of consecutive 100 ms blocks (read from the crate as each completes), so taking
/// them every 100 ms costs one 100 ms sum, not a 3 s one.
struct Meter {
    ebu: EbuR128,
    /// Frames in 100 ms.
    block: usize,
    /// Frames into the current block.
    in_block: usize,
    /// Complete blocks.
    blocks: u64,
    /// The energies of the last [`SHORT_BLOCKS`] blocks (a ring).
    energy: [f64; SHORT_BLOCKS],
    max_momentary: f64,
    max_short_term: f64,
    frames: u64,
}

impl Meter {
    /// `None` for a rate the crate does not meter.
    fn new(sample_rate: u32) -> Option<Meter> {
        let ebu = EbuR128::new(2, sample_rate, Mode::I | Mode::LRA | Mode::TRUE_PEAK).ok()?;
        Some(Meter {
            ebu,
            block: (sample_rate / 10).max(1) as usize,
            in_block: 0,
            blocks: 0,
            energy: [0.0; SHORT_BLOCKS],
            max_momentary: 0.0,
            max_short_term: 0.0,
            frames: 0,
        })
    }

    /// Adds interleaved stereo samples.
    fn add(&mut self, mut samples: &[f32]) {
        self.frames += samples.len() as u64 / 2;
        while !samples.is_empty() {
            let n = (2 * (self.block - self.in_block)).min(samples.len());
            let (now, rest) = samples.split_at(n);
            let _ = self.ebu.add_frames_f32(now);
            samples = rest;
            self.in_block += n / 2;
            if self.in_block == self.block {
                self.in_block = 0;
                let e = self.ebu.loudness_window(100).map_or(0.0, energy_of);
                self.energy[self.blocks as usize % SHORT_BLOCKS] = e;
                self.blocks += 1;
                let last = |k: usize| {
                    (0..k)
                        .map(|i| self.energy[(self.blocks as usize - 1 - i) % SHORT_BLOCKS])
                        .sum::<f64>()
                        / k as f64
                };
                if self.blocks >= MOMENTARY_BLOCKS as u64 {
                    self.max_momentary = self.max_momentary.max(last(MOMENTARY_BLOCKS));
                }
                if self.blocks >= SHORT_BLOCKS as u64 {
                    self.max_short_term = self.max_short_term.max(last(SHORT_BLOCKS));
                }
            }
        }
    }

    fn loudness(&self) -> BextLoudness {
        let momentary = self.blocks >= MOMENTARY_BLOCKS as u64;
        let short = self.blocks >= SHORT_BLOCKS as u64;
        let peak = (0..2)
            .filter_map(|c| self.ebu.true_peak(c).ok())
            .fold(0.0f64, f64::max);
        BextLoudness {
            integrated_lufs: momentary.then(|| self.ebu.loudness_global().ok()).flatten(),
            range_lu: short.then(|| self.ebu.loudness_range().ok()).flatten(),
            max_true_peak_dbtp: (self.frames > 0).then(|| 20.0 * peak.log10()),
            max_momentary_lufs: momentary.then(|| lufs_of(self.max_momentary)),
            max_short_term_lufs: short.then(|| lufs_of(self.max_short_term)),
        }
    }
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

/// The size of a `ds64` chunk without a table (and of the `JUNK` chunk that holds its place).
const DS64_LEN: u32 = 28;
/// The size of a version 2 `bext` chunk without coding history.
const BEXT_LEN: u32 = 602;
/// The largest RIFF size a plain RIFF file declares: past it the file becomes RF64 (whose
/// 32-bit sizes are 0xFFFFFFFF, "see `ds64`").
const RIFF_LIMIT: u64 = u32::MAX as u64 - 1;

/// The header for `data_len` bytes of samples: RIFF with a `JUNK` chunk while the RIFF size
/// is at most `riff_limit`, RF64 with `ds64` past it; `bext` when given.
fn header(
    sample_rate: u32,
    format: WavFormat,
    bext: Option<(&Bext, &BextLoudness)>,
    data_len: u64,
    riff_limit: u64,
) -> Vec<u8> {
    let (bits, tag) = format_bits(format);
    let block = 2 * bits / 8;
    let len = 12 + 8 + DS64_LEN + bext.map_or(0, |_| 8 + BEXT_LEN) + 8 + 16 + 8;
    let riff = (len - 8) as u64 + data_len;
    let rf64 = riff > riff_limit;
    let mut out = Vec::with_capacity(len as usize);
    if rf64 {
        out.extend_from_slice(b"RF64");
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(b"WAVEds64");
        out.extend_from_slice(&DS64_LEN.to_le_bytes());
        out.extend_from_slice(&riff.to_le_bytes());
        out.extend_from_slice(&data_len.to_le_bytes());
        out.extend_from_slice(&(data_len / block as u64).to_le_bytes()); // sample count
        out.extend_from_slice(&0u32.to_le_bytes()); // table length
    } else {
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(riff as u32).to_le_bytes());
        out.extend_from_slice(b"WAVEJUNK");
        out.extend_from_slice(&DS64_LEN.to_le_bytes());
        out.extend(fixed("", DS64_LEN as usize));
    }
    if let Some((b, l)) = bext {
        out.extend_from_slice(b"bext");
        out.extend_from_slice(&BEXT_LEN.to_le_bytes());
        out.extend(fixed(&b.description, 256));
        out.extend(fixed(&b.originator, 32));
        out.extend(fixed("", 32)); // originator reference
        out.extend(fixed(&b.origination_date, 10));
        out.extend(fixed(&b.origination_time, 8));
        out.extend_from_slice(&b.time_reference.to_le_bytes()); // low, then high 32 bits
        out.extend_from_slice(&2u16.to_le_bytes()); // version
        out.extend(fixed("", 64)); // UMID
        for v in [
            l.integrated_lufs,
            l.range_lu,
            l.max_true_peak_dbtp,
            l.max_momentary_lufs,
            l.max_short_term_lufs,
        ] {
            out.extend_from_slice(&hundredths(v).to_le_bytes());
        }
        out.extend(fixed("", 180)); // reserved
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
    let data32 = if rf64 { u32::MAX } else { data_len as u32 };
    out.extend_from_slice(&data32.to_le_bytes());
    debug_assert_eq!(out.len(), len as usize);
    out
}

/// A sample as written: clipped to full scale, silence for NaN and infinities.
fn sanitise(s: f32) -> f32 {
    if s.is_finite() {
        s.clamp(-1.0, 1.0)
    } else {
        0.0
    }
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
                let s = sanitise(s);
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

/// Encodes stereo frames as a WAV file in memory (with `bext`, its loudness measured).
pub fn encode(
    frames: &[[f32; 2]],
    sample_rate: u32,
    format: WavFormat,
    bext: Option<&Bext>,
) -> Vec<u8> {
    let mut data = Vec::with_capacity(frames.len() * 8);
    Encoder::new(format).encode(frames, &mut data);
    let loudness = bext
        .and_then(|_| Meter::new(sample_rate))
        .map(|mut m| {
            let mut scratch = Vec::new();
            for chunk in frames.chunks(4096) {
                scratch.clear();
                scratch.extend(chunk.iter().flat_map(|f| [sanitise(f[0]), sanitise(f[1])]));
                m.add(&scratch);
            }
            m.loudness()
        })
        .unwrap_or_default();
    let mut out = header(
        sample_rate,
        format,
        bext.map(|b| (b, &loudness)),
        data.len() as u64,
        RIFF_LIMIT,
    );
    out.extend(data);
    out
}

/// A [`Meter`] on a thread of its own: the writer hands it each block's samples as written
/// (in buffers it hands back for reuse) and, at the end, takes its measurement. The result
/// does not depend on the thread's timing (one meter, fed in order).
struct MeterThread {
    blocks: mpsc::SyncSender<Vec<f32>>,
    spare: mpsc::Receiver<Vec<f32>>,
    done: std::thread::JoinHandle<BextLoudness>,
}

/// Blocks a [`MeterThread`] may fall behind before the writer waits for it.
const METER_QUEUE: usize = 32;

impl MeterThread {
    fn spawn(mut meter: Meter) -> io::Result<MeterThread> {
        let (blocks, rx) = mpsc::sync_channel::<Vec<f32>>(METER_QUEUE);
        let (back, spare) = mpsc::channel();
        let done = std::thread::Builder::new()
            .name("leitmotif-wav-meter".into())
            .spawn(move || {
                for b in rx {
                    meter.add(&b);
                    let _ = back.send(b);
                }
                meter.loudness()
            })?;
        Ok(MeterThread {
            blocks,
            spare,
            done,
        })
    }

    /// Hands over `frames` as written.
    fn add(&self, frames: &[[f32; 2]]) {
        let mut b = self.spare.try_recv().unwrap_or_default();
        b.clear();
        b.extend(frames.iter().flat_map(|f| [sanitise(f[0]), sanitise(f[1])]));
        // The thread only stops when this side hangs up, or after a panic (then the
        // loudness is unknown).
        let _ = self.blocks.send(b);
    }

    fn finish(self) -> BextLoudness {
        drop(self.blocks);
        self.done.join().unwrap_or_default()
    }
}

/// A WAV file written block by block (for renders longer than memory should hold). With
/// `bext`, the writer meters what it writes; [`WavWriter::finish`] seeks back and rewrites the
/// header with the sizes and the loudness (and, past 4 GiB, as RF64).
///
/// Metering in the writer rather than in its caller measures every file exactly as written
/// (after clipping), mix and stems alike, whoever writes it. A BS.1770 meter with a 4×
/// oversampled true peak costs about as much as rendering a stem (some 2 ms of CPU per
/// second of audio), so each writer's meter runs on a thread of its own: where a core is
/// free, a render with many stems is not slowed by metering them.
pub struct WavWriter {
    file: io::BufWriter<std::fs::File>,
    encoder: Encoder,
    sample_rate: u32,
    bext: Option<Bext>,
    meter: Option<MeterThread>,
    data_len: u64,
    riff_limit: u64,
    scratch: Vec<u8>,
    /// Whether any non-zero sample was written.
    pub audible: bool,
}

impl WavWriter {
    /// Creates (or truncates) `path` and writes a provisional header (its loudness fields
    /// "unknown" until [`WavWriter::finish`]).
    pub fn create(
        path: &Path,
        sample_rate: u32,
        format: WavFormat,
        bext: Option<&Bext>,
    ) -> io::Result<Self> {
        Self::create_with_limit(path, sample_rate, format, bext, RIFF_LIMIT)
    }

    /// [`WavWriter::create`] with the RIFF size past which the file becomes RF64 (tests use
    /// a small one rather than writing 4 GiB).
    fn create_with_limit(
        path: &Path,
        sample_rate: u32,
        format: WavFormat,
        bext: Option<&Bext>,
        riff_limit: u64,
    ) -> io::Result<Self> {
        let mut file = io::BufWriter::new(std::fs::File::create(path)?);
        let unknown = BextLoudness::default();
        file.write_all(&header(
            sample_rate,
            format,
            bext.map(|b| (b, &unknown)),
            0,
            riff_limit,
        ))?;
        let meter = match bext.and_then(|_| Meter::new(sample_rate)) {
            Some(m) => Some(MeterThread::spawn(m)?),
            None => None,
        };
        Ok(WavWriter {
            file,
            encoder: Encoder::new(format),
            sample_rate,
            bext: bext.cloned(),
            meter,
            data_len: 0,
            riff_limit,
            scratch: Vec::new(),
            audible: false,
        })
    }

    /// Appends frames.
    pub fn write(&mut self, frames: &[[f32; 2]]) -> io::Result<()> {
        self.audible |= frames.iter().any(|f| f[0] != 0.0 || f[1] != 0.0);
        self.scratch.clear();
        self.encoder.encode(frames, &mut self.scratch);
        if let Some(m) = &self.meter {
            m.add(frames);
        }
        self.data_len += self.scratch.len() as u64;
        self.file.write_all(&self.scratch)
    }

    /// Rewrites the header (sizes, loudness; RF64 past 4 GiB) and flushes the file to disk.
    /// Returns the loudness the `bext` chunk now carries (`None` without `bext`).
    pub fn finish(mut self) -> io::Result<Option<BextLoudness>> {
        use std::io::Seek;
        let loudness = self.bext.as_ref().map(|_| {
            self.meter
                .take()
                .map(MeterThread::finish)
                .unwrap_or_default()
        });
        let head = header(
            self.sample_rate,
            self.encoder.format,
            self.bext.as_ref().zip(loudness.as_ref()),
            self.data_len,
            self.riff_limit,
        );
        self.file.flush()?;
        let mut f = self.file.into_inner().map_err(|e| e.into_error())?;
        f.seek(io::SeekFrom::Start(0))?;
        f.write_all(&head)?;
        f.sync_all()?;
        Ok(loudness)
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
    use std::process::Command;

    /// A WAV or RF64 file as the specifications lay it out (parsed here, apart from the
    /// writer): the form, every chunk's id, `bext`, `data` and the `ds64` sizes.
    struct Parsed {
        form: [u8; 4],
        ids: Vec<[u8; 4]>,
        bext: Option<Vec<u8>>,
        data: Vec<u8>,
        /// `ds64`: RIFF size, data size, sample count.
        ds64: Option<(u64, u64, u64)>,
        /// The 32-bit RIFF and data sizes.
        size32: (u32, u32),
    }

    fn u32_at(b: &[u8], o: usize) -> u32 {
        u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
    }

    fn u64_at(b: &[u8], o: usize) -> u64 {
        u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
    }

    fn parse(b: &[u8]) -> Parsed {
        assert_eq!(&b[8..12], b"WAVE");
        let mut p = Parsed {
            form: b[0..4].try_into().unwrap(),
            ids: Vec::new(),
            bext: None,
            data: Vec::new(),
            ds64: None,
            size32: (u32_at(b, 4), 0),
        };
        let mut pos = 12;
        while pos + 8 <= b.len() {
            let id: [u8; 4] = b[pos..pos + 4].try_into().unwrap();
            let mut len = u32_at(b, pos + 4) as u64;
            let body = pos + 8;
            match &id {
                b"ds64" => {
                    assert_eq!(pos, 12, "ds64 comes first");
                    p.ds64 = Some((u64_at(b, body), u64_at(b, body + 8), u64_at(b, body + 16)));
                }
                b"bext" => p.bext = Some(b[body..body + len as usize].to_vec()),
                b"data" => {
                    p.size32.1 = len as u32;
                    if len == u32::MAX as u64 {
                        len = p.ds64.expect("a data size of -1 needs ds64").1;
                    }
                    p.data = b[body..body + len as usize].to_vec();
                }
                _ => {}
            }
            p.ids.push(id);
            pos = body + len as usize + (len as usize & 1);
        }
        assert_eq!(pos, b.len(), "the chunks fill the file");
        p
    }

    /// The five loudness fields of a version 2 `bext` chunk, at their offsets in
    /// EBU Tech 3285 v2 (after the 64-byte UMID at 348).
    fn loudness_fields(bext: &[u8]) -> [i16; 5] {
        assert_eq!(bext.len(), 602);
        assert_eq!(u16::from_le_bytes([bext[346], bext[347]]), 2, "version 2");
        std::array::from_fn(|i| i16::from_le_bytes([bext[412 + 2 * i], bext[413 + 2 * i]]))
    }

    /// 24-bit samples back to floats.
    fn decode24(data: &[u8]) -> Vec<[f32; 2]> {
        let s: Vec<f32> = data
            .chunks(3)
            .map(|c| (i32::from_le_bytes([0, c[0], c[1], c[2]]) >> 8) as f32 / 8_388_607.0)
            .collect();
        s.chunks(2).map(|c| [c[0], c[1]]).collect()
    }

    /// What the crate measures of `frames` through its own momentary and short-term windows,
    /// read every 100 ms: I, LRA, true peak, max M, max S.
    fn measure(frames: &[[f32; 2]], sr: u32) -> [f64; 5] {
        let mut m = EbuR128::new(2, sr, Mode::I | Mode::LRA | Mode::TRUE_PEAK).unwrap();
        let (mut mm, mut ms) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for (k, c) in frames.chunks(sr as usize / 10).enumerate() {
            let inter: Vec<f32> = c.iter().flat_map(|f| [f[0], f[1]]).collect();
            m.add_frames_f32(&inter).unwrap();
            if c.len() == sr as usize / 10 {
                if k >= 3 {
                    mm = mm.max(m.loudness_momentary().unwrap());
                }
                if k >= 29 {
                    ms = ms.max(m.loudness_shortterm().unwrap());
                }
            }
        }
        let tp = m.true_peak(0).unwrap().max(m.true_peak(1).unwrap());
        [
            m.loudness_global().unwrap(),
            m.loudness_range().unwrap(),
            20.0 * tp.log10(),
            mm,
            ms,
        ]
    }

    /// 8 s in three levels, and a 400 ms burst of a quarter-rate sine sampled off its peaks
    /// (a true peak 3 dB over the sample peak) loud in momentary, not short-term loudness.
    fn programme(sr: u32) -> Vec<[f32; 2]> {
        (0..8 * sr as usize)
            .map(|i| {
                let t = i as f32 / sr as f32;
                let sine = |a: f32, hz: f32| a * (t * hz * std::f32::consts::TAU).sin();
                if t < 2.0 {
                    [sine(0.03, 440.0), sine(0.015, 440.0)]
                } else if t < 5.0 {
                    [sine(0.3, 1000.0); 2]
                } else if (6.0..6.4).contains(&t) {
                    use std::f32::consts::{FRAC_PI_2, FRAC_PI_4};
                    let s = 0.5 * (FRAC_PI_2 * (i % 4) as f32 + FRAC_PI_4).sin();
                    [s, s]
                } else {
                    [sine(0.1, 1000.0), -sine(0.1, 1000.0)]
                }
            })
            .collect()
    }

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("leitmotif-wav-{name}-{}.wav", std::process::id()))
    }

    #[test]
    fn streamed_file_equals_encoded_file() {
        let frames: Vec<[f32; 2]> = (0..4 * 48_000)
            .map(|i| [((i as f32) * 0.01).sin() * 0.5, 0.1])
            .collect();
        let bext = Bext {
            time_reference: 172_800_000,
            ..Default::default()
        };
        let path = temp("stream");
        let mut w = WavWriter::create(&path, 48_000, WavFormat::Int16, Some(&bext)).unwrap();
        for chunk in frames.chunks(777) {
            w.write(chunk).unwrap();
        }
        assert!(w.audible);
        let measured = w.finish().unwrap().expect("a bext, so a loudness");
        let streamed = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(
            loudness_fields(parse(&streamed).bext.as_ref().unwrap())
                .iter()
                .all(|&v| v != UNKNOWN),
            "4 s: every field measured ({measured:?})"
        );
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
            let mut r = hound::WavReader::new(std::io::Cursor::new(bytes)).expect("hound parses");
            let spec = r.spec();
            assert_eq!(
                (spec.channels, spec.sample_rate, spec.bits_per_sample),
                (2, 48_000, bits)
            );
            assert_eq!(r.duration(), 1000);
            if format == WavFormat::Int24 {
                let got: Vec<i32> = r.samples::<i32>().map(Result::unwrap).collect();
                let want: Vec<i32> = frames
                    .iter()
                    .flat_map(|f| f.map(|s| (s * 8_388_607.0).round() as i32))
                    .collect();
                assert_eq!(got, want, "the samples past the JUNK and bext chunks");
            }
        }
    }

    /// The layout of EBU Tech 3285 v2 and 3306: `JUNK` (28 bytes, room for `ds64`) first,
    /// then a 602-byte `bext` with its fields at their offsets, `fmt `, `data`.
    #[test]
    fn the_header_is_riff_with_room_for_ds64_and_a_version_2_bext() {
        let bext = Bext {
            description: "a description".into(),
            originator: "Leitmotif".into(),
            origination_date: "2031-02-03".into(),
            origination_time: "04:05:06".into(),
            time_reference: 0x1_2345_6789,
        };
        let bytes = encode(&[[0.1, -0.1]; 100], 48_000, WavFormat::Int24, Some(&bext));
        let p = parse(&bytes);
        assert_eq!(&p.form, b"RIFF");
        assert_eq!(p.size32.0 as usize, bytes.len() - 8);
        assert_eq!(p.ids, [*b"JUNK", *b"bext", *b"fmt ", *b"data"]);
        assert_eq!(u32_at(&bytes, 16), 28, "JUNK holds a ds64 of 28 bytes");
        assert_eq!(&bytes[48..52], b"bext", "bext right after the JUNK chunk");
        let b = p.bext.unwrap();
        assert_eq!(&b[..13], b"a description");
        assert!(b[13..256].iter().all(|&c| c == 0));
        assert_eq!(&b[256..265], b"Leitmotif");
        assert_eq!(&b[320..330], b"2031-02-03");
        assert_eq!(&b[330..338], b"04:05:06");
        assert_eq!((u32_at(&b, 338), u32_at(&b, 342)), (0x2345_6789, 1));
        assert!(b[348..412].iter().all(|&c| c == 0), "no UMID");
        assert!(b[422..602].iter().all(|&c| c == 0), "reserved");
        assert_eq!(p.data.len(), 600);
        // Without a date, the fields stay empty (no clock in the header).
        let plain = encode(
            &[[0.1, -0.1]; 100],
            48_000,
            WavFormat::Int24,
            Some(&Bext::default()),
        );
        assert!(
            parse(&plain).bext.unwrap()[320..338]
                .iter()
                .all(|&c| c == 0)
        );
    }

    /// The five loudness fields are what the ebur128 crate measures of the file's decoded
    /// samples through its own momentary and short-term windows, to the hundredth.
    #[test]
    fn the_bext_loudness_fields_are_the_loudness_of_the_samples() {
        let sr = 48_000;
        let frames = programme(sr);
        let path = temp("loudness");
        let mut w = WavWriter::create(&path, sr, WavFormat::Int24, Some(&Bext::default())).unwrap();
        for chunk in frames.chunks(1000) {
            w.write(chunk).unwrap();
        }
        let l = w.finish().unwrap().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let p = parse(&bytes);
        let fields = loudness_fields(p.bext.as_ref().unwrap());
        assert_eq!(
            fields,
            [
                l.integrated_lufs,
                l.range_lu,
                l.max_true_peak_dbtp,
                l.max_momentary_lufs,
                l.max_short_term_lufs
            ]
            .map(hundredths),
            "finish returns what it wrote"
        );
        let want = measure(&decode24(&p.data), sr);
        println!("bext {fields:?}, measured {want:.3?}");
        for (name, (&got, want)) in ["I", "LRA", "true peak", "max M", "max S"]
            .iter()
            .zip(fields.iter().zip(want))
        {
            assert!(
                (got as f64 - want * 100.0).abs() <= 1.0,
                "{name}: bext {got}, measured {want:.3}"
            );
        }
        // The true peak, not the sample peak (−9.03 dBFS): the quarter-rate sine's 0.5 (−6.02
        // dBTP, within the crate's interpolator's overshoot).
        assert!((fields[2] + 602).abs() <= 30, "true peak {}", fields[2]);
        assert!(
            fields[3] > fields[4] + 500 && fields[4] > fields[0] && fields[1] > 0,
            "the burst in M, not S: {fields:?}"
        );
    }

    #[test]
    fn loudness_too_short_to_measure_is_unknown_and_silence_is_the_lowest_value() {
        let sr = 48_000;
        let short = encode(
            &programme(sr)[..sr as usize / 5],
            sr,
            WavFormat::Int24,
            Some(&Bext::default()),
        );
        let f = loudness_fields(parse(&short).bext.as_ref().unwrap());
        assert_eq!([f[0], f[1], f[3], f[4]], [UNKNOWN; 4], "200 ms: {f:?}");
        assert!(f[2] != UNKNOWN, "a peak is known at once: {f:?}");
        let mid = encode(
            &programme(sr)[..sr as usize],
            sr,
            WavFormat::Int24,
            Some(&Bext::default()),
        );
        let f = loudness_fields(parse(&mid).bext.as_ref().unwrap());
        assert!(
            f[0] != UNKNOWN && f[3] != UNKNOWN && f[1] == UNKNOWN && f[4] == UNKNOWN,
            "1 s: I and M, not LRA and S: {f:?}"
        );
        let silent = encode(
            &vec![[0.0; 2]; 4 * sr as usize],
            sr,
            WavFormat::Int24,
            Some(&Bext::default()),
        );
        let f = loudness_fields(parse(&silent).bext.as_ref().unwrap());
        assert_eq!([f[0], f[2], f[3], f[4]], [i16::MIN; 4], "silence: {f:?}");
    }

    /// Frames of a test signal, and the header length of a 24-bit file with `bext`.
    fn rf64_case(n: usize) -> (Vec<[f32; 2]>, u64) {
        let frames = programme(48_000)[..n].to_vec();
        let head = header(
            48_000,
            WavFormat::Int24,
            Some((&Bext::default(), &BextLoudness::default())),
            0,
            RIFF_LIMIT,
        );
        (frames, head.len() as u64)
    }

    /// Writes `frames` with a small RIFF limit, as the writer streams them.
    fn write_limited(name: &str, frames: &[[f32; 2]], bext: &Bext, limit: u64) -> Vec<u8> {
        let path = temp(name);
        let mut w =
            WavWriter::create_with_limit(&path, 48_000, WavFormat::Int24, Some(bext), limit)
                .unwrap();
        for chunk in frames.chunks(333) {
            w.write(chunk).unwrap();
        }
        w.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        bytes
    }

    /// The bytes a tool decodes `bytes` to (written to a file first), or `None` (SKIPPED)
    /// when it is not installed.
    fn tool_decode(tool: &str, args: &[&str], bytes: &[u8], name: &str) -> Option<Vec<u8>> {
        if Command::new(tool).arg("-h").output().is_err() {
            eprintln!("SKIPPED: {tool} is not installed (Debian: apt-get install {tool})");
            return None;
        }
        let path = temp(name);
        std::fs::write(&path, bytes).unwrap();
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("{}", &path.to_string_lossy()))
            .collect();
        let out = Command::new(tool).args(&args).output().unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(out.stdout)
    }

    const FFMPEG: [&str; 10] = [
        "-v",
        "error",
        "-i",
        "{}",
        "-c:a",
        "pcm_s24le",
        "-f",
        "s24le",
        "-",
        "-nostdin",
    ];
    const SOX: [&str; 9] = ["-V1", "{}", "-t", "raw", "-e", "signed", "-b", "24", "-"];

    /// Past the RIFF limit the file is RF64 (EBU Tech 3306): `ds64` in the `JUNK` chunk's
    /// place with the 64-bit sizes, the 32-bit ones 0xFFFFFFFF; our parser, ffmpeg and sox
    /// read the same samples back. One frame less stays plain RIFF, which hound reads.
    #[test]
    fn a_file_past_the_riff_limit_becomes_rf64() {
        let n = 48_000;
        let (frames, head) = rf64_case(n + 1);
        let limit = head - 8 + 6 * n as u64;
        let bext = Bext {
            time_reference: 48_000 * 3600,
            ..Default::default()
        };
        let want = encode(&frames, 48_000, WavFormat::Int24, Some(&bext));
        let want_under = encode(&frames[..n], 48_000, WavFormat::Int24, Some(&bext));

        let under = write_limited("under", &frames[..n], &bext, limit);
        assert_eq!(under, want_under, "at the limit: plain RIFF, as ever");
        let p = parse(&under);
        assert_eq!(
            (&p.form, p.ids[0], p.size32.0 as u64),
            (b"RIFF", *b"JUNK", limit)
        );
        let r = hound::WavReader::new(std::io::Cursor::new(&under)).expect("hound parses");
        assert_eq!(r.duration() as usize, n);

        let over = write_limited("over", &frames, &bext, limit);
        assert_eq!(over.len(), want.len());
        let p = parse(&over);
        assert_eq!(&p.form, b"RF64");
        assert_eq!(p.ids, [*b"ds64", *b"bext", *b"fmt ", *b"data"]);
        assert_eq!(p.size32, (u32::MAX, u32::MAX));
        assert_eq!(
            p.ds64,
            Some((over.len() as u64 - 8, 6 * (n as u64 + 1), n as u64 + 1))
        );
        assert_eq!(u32_at(&over, 16), 28);
        let q = parse(&want);
        assert_eq!(p.bext, q.bext, "the same bext, loudness and all");
        assert_eq!(p.data, q.data, "the same samples");
        assert_eq!(&over[head as usize..], &want[head as usize..]);

        for (tool, args) in [("ffmpeg", &FFMPEG[..]), ("sox", &SOX[..])] {
            for (name, file, data) in [("under", &under, &want_under), ("over", &over, &want)] {
                let Some(got) = tool_decode(tool, args, file, &format!("{tool}-{name}")) else {
                    break;
                };
                assert!(
                    got == data[head as usize..],
                    "{tool} reads the {name} file's samples ({} bytes of {})",
                    got.len(),
                    data.len() - head as usize
                );
            }
        }
        // ffprobe finds the bext time reference (the offsets up to it are right) and the
        // RF64 sample count.
        if let Some(out) = tool_decode(
            "ffprobe",
            &[
                "-v",
                "error",
                "-show_entries",
                "stream=duration_ts:format_tags=time_reference",
                "-of",
                "default=nw=1",
                "{}",
            ],
            &over,
            "ffprobe",
        ) {
            let out = String::from_utf8_lossy(&out);
            assert!(out.contains(&format!("duration_ts={}", n + 1)), "{out}");
            assert!(out.contains("time_reference=172800000"), "{out}");
        }
    }
}
