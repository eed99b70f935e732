//! A voice of the mixer: where its frames come from (memory, or a stream's preload and ring),
//! its gain/pan/filter state, and mixing one span of it. Audio thread only: nothing here
//! allocates, frees, locks or does I/O (offline waiting aside, see [`wait_for`]).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use leitmotif_core::conductor::VoiceId;

use crate::bank::{Loop, Stem};
use crate::stream::{StreamClip, StreamReader};

/// Where a voice's frames come from.
pub(crate) enum Audio {
    None,
    Memory(Arc<Stem>),
    Stream {
        clip: Arc<StreamClip>,
        reader: Option<StreamReader>,
    },
}

/// Gain, pan and filter state of a voice (what mixing one frame needs).
#[derive(Debug, Clone, Copy)]
pub(super) struct Ctl {
    pub(super) gain: f32,
    pub(super) target: f32,
    pub(super) step: f32,
    pub(super) ramp: u32,
    /// Stop when the release ramp ends.
    pub(super) stopping: bool,
    pub(super) pan: (f32, f32),
    pub(super) cutoff: Option<f32>,
    pub(super) cutoff_target: f32,
    pub(super) cutoff_step: f32,
    pub(super) cutoff_ramp: u32,
    pub(super) lp: [[f32; 2]; 2],
}

pub(super) struct Voice {
    pub(super) id: VoiceId,
    pub(super) audio: Audio,
    /// The next source frame to read (for a stretched voice, ahead of what is heard by the
    /// stretcher's latency).
    pub(super) pos: usize,
    pub(super) ctl: Ctl,
    pub(super) tap: u16,
    /// The bus it plays into (0, the master, when the mixer has no buses).
    pub(super) bus: u16,
    /// Set once the voice follows a changed tempo: its stretched sound, by output frame (see
    /// [`crate::stretch`]).
    pub(super) warp: Option<StreamReader>,
    /// Playing from `warp` (set on the first block its ring has ready; until then, live, the
    /// voice plays on plainly).
    pub(super) stretched: bool,
    /// Every warp so far was at its own speed (a pre-warp ahead of a tempo change): playing
    /// on plainly until the ring is ready is then exact.
    pub(super) plain_ok: bool,
    /// The stem's loop, for a layer of a looping cue: once stretched, the voice does not
    /// stop at its end but plays the loop on (see [`Loop::terms`]).
    pub(super) wrap: Option<Loop>,
}

impl Voice {
    pub(super) fn idle() -> Voice {
        Voice {
            id: 0,
            audio: Audio::None,
            pos: 0,
            bus: 0,
            ctl: Ctl {
                gain: 0.0,
                target: 0.0,
                step: 0.0,
                ramp: 0,
                stopping: false,
                pan: (1.0, 1.0),
                cutoff: None,
                cutoff_target: 0.0,
                cutoff_step: 0.0,
                cutoff_ramp: 0,
                lp: [[0.0; 2]; 2],
            },
            tap: 0,
            warp: None,
            stretched: false,
            plain_ok: true,
            wrap: None,
        }
    }

    pub(super) fn len(&self) -> usize {
        match &self.audio {
            Audio::None => 0,
            Audio::Memory(s) => s.len(),
            Audio::Stream { clip, .. } => clip.len as usize,
        }
    }
}

/// Silence mixed in place of frames a stream did not deliver (so ramps keep time).
pub(super) static ZEROS: [[f32; 2]; 256] = [[0.0; 2]; 256];

/// Mixes `src` into `out` (and `tap`) with the voice's gain, pan and filter; returns the
/// frames used and whether the voice's release ended (it stops there).
pub(super) fn mix(
    c: &mut Ctl,
    out: &mut [[f32; 2]],
    src: &[[f32; 2]],
    mut tap: Option<&mut [[f32; 2]]>,
    sr: f32,
) -> (usize, bool) {
    let n = out.len().min(src.len());
    let (out, src) = (&mut out[..n], &src[..n]);
    if c.cutoff.is_none() && c.ramp == 0 {
        // The common case: constant gain, no filter.
        let (gl, gr) = (c.gain * c.pan.0, c.gain * c.pan.1);
        for (k, (o, s)) in out.iter_mut().zip(src).enumerate() {
            let (l, r) = (s[0] * gl, s[1] * gr);
            o[0] += l;
            o[1] += r;
            if let Some(t) = tap.as_deref_mut().and_then(|t| t.get_mut(k)) {
                t[0] += l;
                t[1] += r;
            }
        }
        return (n, false);
    }
    for (k, (o, &x)) in out.iter_mut().zip(src).enumerate() {
        if c.ramp > 0 {
            c.gain += c.step;
            c.ramp -= 1;
            if c.ramp == 0 {
                c.gain = c.target;
            }
        }
        let mut s = x;
        if let Some(f) = c.cutoff.as_mut() {
            if c.cutoff_ramp > 0 {
                *f += c.cutoff_step;
                c.cutoff_ramp -= 1;
            }
            // Two cascaded one-pole low-passes (12 dB/oct), coefficient per frame.
            let g = 1.0 - (-std::f32::consts::TAU * f.clamp(20.0, sr * 0.45) / sr).exp();
            let [a, b] = &mut c.lp;
            for ((x, a), b) in s.iter().zip(a.iter_mut()).zip(b.iter_mut()) {
                *a += g * (x - *a);
                *b += g * (*a - *b);
            }
            s = c.lp[1];
        }
        // The same arithmetic as the constant-gain path (s·(g·pan)), so where a ramp ends
        // relative to a block boundary never changes a bit of the output.
        let (l, r) = (s[0] * (c.gain * c.pan.0), s[1] * (c.gain * c.pan.1));
        o[0] += l;
        o[1] += r;
        if let Some(t) = tap.as_deref_mut().and_then(|t| t.get_mut(k)) {
            t[0] += l;
            t[1] += r;
        }
        if c.stopping && c.ramp == 0 {
            return (k + 1, true);
        }
    }
    (n, false)
}

/// Reads a streamed voice at clip position `pos` from its ring into `out`: skips frames the
/// voice has already passed (they came late), mixes what is there, and mixes silence for
/// what is not (returned as `missing`). Waits for the worker first when `wait` (offline).
pub(super) fn read_stream(
    reader: Option<&mut StreamReader>,
    pos: usize,
    c: &mut Ctl,
    out: &mut [[f32; 2]],
    mut tap: Option<&mut [[f32; 2]]>,
    sr: f32,
    wait: bool,
) -> (usize, bool, usize) {
    let pos = pos as u64;
    let Some(r) = reader else {
        let n = out.len().min(ZEROS.len());
        let (used, stop) = mix(c, &mut out[..n], &ZEROS, tap, sr);
        return (used, stop, used);
    };
    skip_to(r, pos);
    if wait && r.pos <= pos {
        wait_for(r, (pos - r.pos) as usize + out.len());
        skip_to(r, pos);
    }
    let ready = if r.pos == pos {
        r.ring.slots().min(out.len())
    } else {
        0
    };
    if ready == 0 {
        let n = out.len().min(ZEROS.len());
        let (used, stop) = mix(c, &mut out[..n], &ZEROS, tap, sr);
        return (used, stop, used);
    }
    let Ok(chunk) = r.ring.read_chunk(ready) else {
        return (0, false, 0);
    };
    let (a, b) = chunk.as_slices();
    let (mut used, mut stop) = mix(c, out, a, tap.as_deref_mut(), sr);
    if !stop && used == a.len() && !b.is_empty() {
        let rest_tap = tap.map(|t| &mut t[used..]);
        let (u2, s2) = mix(c, &mut out[used..], b, rest_tap, sr);
        used += u2;
        stop = s2;
    }
    chunk.commit(used);
    r.pos += used as u64;
    if wait && r.ring.slots() < r.ring.buffer().capacity() / 2 {
        // Offline: have the worker refill while this thread mixes the rest of the ring.
        r.state.wake();
    }
    (used, stop, 0)
}

/// Drops ring frames before clip position `pos` (they came too late to be played), as many
/// as the ring holds.
pub(super) fn skip_to(r: &mut StreamReader, pos: u64) {
    if r.pos < pos {
        let d = ((pos - r.pos) as usize).min(r.ring.slots());
        if let Ok(chunk) = r.ring.read_chunk(d) {
            chunk.commit_all();
            r.pos += d as u64;
        }
    }
}

/// Offline only: waits until the ring holds `need` frames (or all it can), the stream ends,
/// or a generous timeout passes (a dead disk then shows as an underrun, not a hang).
fn wait_for(r: &StreamReader, need: usize) {
    let need = need.min(r.ring.buffer().capacity());
    let start = std::time::Instant::now();
    let mut spins = 0u32;
    while r.ring.slots() < need && !r.state.done.load(Ordering::Acquire) {
        r.state.wake();
        if spins < 64 {
            std::thread::yield_now();
            spins += 1;
        } else {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        if start.elapsed() > std::time::Duration::from_secs(30) {
            break;
        }
    }
}

/// Copies source frames `pos..pos + dst.len()` of a voice into `dst`: silence past the end
/// (or, with `looped`, the stem looped the way the engine loops cues, see [`Loop::terms`]),
/// and where a stream has not delivered (returned: frames missing).
pub(crate) fn copy_source(
    audio: &mut Audio,
    looped: Option<Loop>,
    pos: usize,
    dst: &mut [[f32; 2]],
    wait: bool,
) -> usize {
    match audio {
        Audio::None => {
            dst.fill([0.0; 2]);
            0
        }
        Audio::Memory(s) => {
            let end = pos + dst.len();
            match looped {
                // Before the first seam a looped stem is just the stem.
                Some(l) if end > l.body.min(s.len()) => {
                    for (k, f) in dst.iter_mut().enumerate() {
                        *f = l.sample(&s.frames, pos + k);
                    }
                }
                _ => {
                    let have = s.frames.get(pos..).unwrap_or(&[]);
                    let n = have.len().min(dst.len());
                    dst[..n].copy_from_slice(&have[..n]);
                    dst[n..].fill([0.0; 2]);
                }
            }
            0
        }
        Audio::Stream { clip, reader } => {
            let len = clip.len as usize;
            let pre = clip.preload();
            // Looped, the worker goes on decoding the latest pass past the end (it seeks
            // back by a body at the end), so the ring has no end.
            let end = if looped.is_some() { usize::MAX } else { len };
            let inside = end.saturating_sub(pos).min(dst.len());
            let mut k = 0;
            if pos < pre.len() {
                k = (pre.len() - pos).min(inside);
                dst[..k].copy_from_slice(&pre[pos..pos + k]);
            }
            let mut missing = 0;
            while k < inside {
                let want = inside - k;
                let got = reader
                    .as_mut()
                    .map_or(0, |r| ring_copy(r, pos + k, &mut dst[k..inside], wait));
                if got == 0 {
                    dst[k..inside].fill([0.0; 2]);
                    missing += want;
                    break;
                }
                k += got;
            }
            dst[inside..].fill([0.0; 2]);
            // The next pass's start (its pickup under the tail) comes from the preload.
            if let Some(l) = looped {
                for (k, f) in dst.iter_mut().enumerate() {
                    if let (_, Some(n)) = l.terms(pos + k, len)
                        && let Some(x) = pre.get(n)
                    {
                        f[0] += x[0];
                        f[1] += x[1];
                    }
                }
            }
            missing
        }
    }
}

/// Copies what the ring has of clip frames `pos..` into `dst`; returns the frames copied.
fn ring_copy(r: &mut StreamReader, pos: usize, dst: &mut [[f32; 2]], wait: bool) -> usize {
    let pos = pos as u64;
    skip_to(r, pos);
    if wait && r.pos <= pos {
        wait_for(r, (pos - r.pos) as usize + dst.len());
        skip_to(r, pos);
    }
    if r.pos != pos {
        return 0;
    }
    let ready = r.ring.slots().min(dst.len());
    let Ok(chunk) = r.ring.read_chunk(ready) else {
        return 0;
    };
    let (a, b) = chunk.as_slices();
    dst[..a.len()].copy_from_slice(a);
    dst[a.len()..a.len() + b.len()].copy_from_slice(b);
    chunk.commit_all();
    r.pos += ready as u64;
    if wait && r.ring.slots() < r.ring.buffer().capacity() / 2 {
        r.state.wake();
    }
    ready
}
