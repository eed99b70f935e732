//! The mix model: named buses the music plays through (gain, built-in low/high-pass, insert
//! effects, sends, sidechain ducking) and snapshots — named mix states the game blends to, or
//! that a cue carries.
//!
//! Bus 0 is always the master (the output, before the limiter); a bus named `"master"` in the
//! score configures it. The score's other buses are numbered from 1 in their order, the same
//! numbering the conductor's [`ActionKind::Bus`](crate::conductor::ActionKind::Bus) and the
//! mixer use.

use serde::{Deserialize, Serialize};

use super::Score;

/// The score's mix: buses and snapshots. Empty by default: everything plays straight into
/// the master output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mix {
    /// Named buses. Sources are assigned by their `bus` field (a layer's, else its cue's; a
    /// stinger's); unassigned sources play into the master.
    #[serde(default)]
    pub buses: Vec<Bus>,
    /// Named mix states (see [`Snapshot`]).
    #[serde(default)]
    pub snapshots: Vec<Snapshot>,
    /// Bus of composed bridges and their fallback fades (the master when absent).
    #[serde(default)]
    pub bridges: Option<String>,
}

/// A bus: sources (or other buses) summed, then processed in this order: insert `effects`,
/// the built-in high-pass and low-pass, sidechain ducking, the fader (`gain_db`). The result
/// goes to `output` and, scaled by each send's level, to the `sends`' buses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bus {
    /// Name, unique among buses; `"master"` configures the output bus.
    pub name: String,
    /// The bus its output is summed into (the master when absent).
    #[serde(default)]
    pub output: Option<String>,
    /// Fader in dB (-96 is silence).
    #[serde(default)]
    pub gain_db: f32,
    /// Built-in low-pass cutoff in Hz (open when absent; snapshots may move it).
    #[serde(default)]
    pub lowpass_hz: Option<f32>,
    /// Built-in high-pass cutoff in Hz (open when absent; snapshots may move it).
    #[serde(default)]
    pub highpass_hz: Option<f32>,
    /// Insert effects, in order.
    #[serde(default)]
    pub effects: Vec<Effect>,
    /// Post-fader sends to other buses (an effect return such as a reverb bus).
    #[serde(default)]
    pub sends: Vec<Send>,
    /// Ducking of this bus by the signal of another (the music under the stingers).
    #[serde(default)]
    pub sidechain: Option<Sidechain>,
}

/// A post-fader send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Send {
    /// The bus it feeds.
    pub to: String,
    /// Send level in dB.
    #[serde(default)]
    pub gain_db: f32,
}

/// Ducking from the actual signal of a key bus: while the key's output (after its fader) is
/// above `threshold_db` (peak), this bus's gain moves to `depth_db` in `attack` seconds
/// (linearly in dB); once the key has been below the threshold for `hold` seconds, it comes
/// back in `release` seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sidechain {
    /// The bus whose signal ducks this one.
    pub key: String,
    /// Attenuation while the key sounds, in dB (negative).
    #[serde(default = "default_depth")]
    pub depth_db: f32,
    /// Key level (peak, dBFS) above which ducking engages.
    #[serde(default = "default_threshold")]
    pub threshold_db: f32,
    /// Seconds to reach the full depth.
    #[serde(default = "default_attack")]
    pub attack: f32,
    /// Seconds the key must stay below the threshold before the release starts.
    #[serde(default = "default_hold")]
    pub hold: f32,
    /// Seconds to come back to 0 dB.
    #[serde(default = "default_release")]
    pub release: f32,
}

fn default_depth() -> f32 {
    -9.0
}
fn default_threshold() -> f32 {
    -40.0
}
fn default_attack() -> f32 {
    0.05
}
fn default_hold() -> f32 {
    0.05
}
fn default_release() -> f32 {
    0.4
}

/// An insert effect. Filters, EQ, reverb, delay and compressor are kira's effects, run on the
/// audio thread without allocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Effect {
    /// Resonant low-pass (state-variable; `resonance` 0..1).
    LowPass {
        /// Cutoff in Hz.
        hz: f32,
        /// 0 (none) to 1 (self-oscillation).
        #[serde(default)]
        resonance: f32,
    },
    /// Resonant high-pass.
    HighPass {
        /// Cutoff in Hz.
        hz: f32,
        /// 0 (none) to 1.
        #[serde(default)]
        resonance: f32,
    },
    /// A peaking (bell) EQ band.
    Bell {
        /// Centre frequency in Hz.
        hz: f32,
        /// Boost or cut in dB.
        gain_db: f32,
        /// Width (Q).
        #[serde(default = "default_q")]
        q: f32,
    },
    /// A low-shelf EQ band.
    LowShelf {
        /// Corner frequency in Hz.
        hz: f32,
        /// Boost or cut in dB.
        gain_db: f32,
    },
    /// A high-shelf EQ band.
    HighShelf {
        /// Corner frequency in Hz.
        hz: f32,
        /// Boost or cut in dB.
        gain_db: f32,
    },
    /// Algorithmic reverb (Freeverb).
    Reverb {
        /// Room size 0..1 (feedback of the comb filters).
        #[serde(default = "default_room")]
        room: f32,
        /// High-frequency damping 0..1.
        #[serde(default = "default_damping")]
        damping: f32,
        /// Stereo width 0..1.
        #[serde(default = "one")]
        width: f32,
        /// Wet share 0..1 (1 on a send return).
        #[serde(default = "one")]
        mix: f32,
    },
    /// Feedback delay.
    Delay {
        /// Delay time in seconds.
        seconds: f32,
        /// Feedback in dB (negative).
        #[serde(default = "default_feedback")]
        feedback_db: f32,
        /// Wet share 0..1.
        #[serde(default = "half")]
        mix: f32,
    },
    /// Downward compressor.
    Compressor {
        /// Level above which it compresses, in dBFS.
        threshold_db: f32,
        /// Compression ratio (at least 1).
        #[serde(default = "default_ratio")]
        ratio: f32,
        /// Attack in seconds.
        #[serde(default = "default_comp_attack")]
        attack: f32,
        /// Release in seconds.
        #[serde(default = "default_comp_release")]
        release: f32,
        /// Make-up gain in dB.
        #[serde(default)]
        makeup_db: f32,
    },
}

fn default_q() -> f32 {
    1.0
}
fn default_room() -> f32 {
    0.8
}
fn default_damping() -> f32 {
    0.3
}
fn one() -> f32 {
    1.0
}
fn half() -> f32 {
    0.5
}
fn default_feedback() -> f32 {
    -12.0
}
fn default_ratio() -> f32 {
    4.0
}
fn default_comp_attack() -> f32 {
    0.01
}
fn default_comp_release() -> f32 {
    0.1
}

/// A named mix state. The game blends to it (an intensity 0..1 reached over a time), or a cue
/// carries it (in force while the cue plays). Each bus setting it names moves from the bus's
/// own value towards the snapshot's by the intensity (gains in dB, cutoffs in octaves);
/// snapshots later in the list apply on top of earlier ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Name used by the game (`Music::set_snapshot`) and by cues.
    pub name: String,
    /// Default blend time in seconds (used by cues that carry it and by requests that do
    /// not give one).
    #[serde(default = "default_blend")]
    pub seconds: f32,
    /// The buses it changes.
    pub buses: Vec<BusState>,
}

fn default_blend() -> f32 {
    0.5
}

/// What a snapshot sets on one bus (what it leaves out keeps the bus's own value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusState {
    /// The bus.
    pub bus: String,
    /// Fader in dB.
    #[serde(default)]
    pub gain_db: Option<f32>,
    /// Built-in low-pass cutoff in Hz.
    #[serde(default)]
    pub lowpass_hz: Option<f32>,
    /// Built-in high-pass cutoff in Hz.
    #[serde(default)]
    pub highpass_hz: Option<f32>,
    /// Levels of the bus's sends (each naming a send the bus has).
    #[serde(default)]
    pub sends: Vec<Send>,
}

/// The built-in low-pass when open (a fraction of the sample rate: transparent below 20 kHz).
pub const LOWPASS_OPEN: f32 = 0.49;
/// The built-in high-pass when open, in Hz.
pub const HIGHPASS_OPEN: f32 = 10.0;
/// Gains at or below this many dB are silence.
pub const SILENT_DB: f32 = -96.0;

/// Linear gain of `db` (0 at or below [`SILENT_DB`]).
pub fn db_to_gain(db: f32) -> f32 {
    if db <= SILENT_DB {
        0.0
    } else {
        10f32.powf(db / 20.0)
    }
}

/// A mix parameter of a bus the conductor moves (what a snapshot changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusParam {
    /// The fader (linear gain).
    Gain,
    /// The built-in low-pass cutoff (Hz).
    LowPass,
    /// The built-in high-pass cutoff (Hz).
    HighPass,
    /// The level (linear) of the bus's send number `n`, in its `sends` order.
    Send(u8),
}

impl Mix {
    /// The mixer's number of the bus called `name`: 0 for the master, else 1 + its position.
    pub fn bus_index(&self, name: &str) -> Option<u16> {
        if name == "master" {
            return Some(0);
        }
        self.buses
            .iter()
            .filter(|b| b.name != "master")
            .position(|b| b.name == name)
            .map(|i| i as u16 + 1)
    }

    /// The buses in the mixer's numbering: `[master, score buses…]` (the master is the
    /// score's `"master"` bus, or a plain one).
    pub fn numbered(&self) -> Vec<Bus> {
        let master = self
            .buses
            .iter()
            .find(|b| b.name == "master")
            .cloned()
            .unwrap_or_else(|| Bus::plain("master"));
        std::iter::once(master)
            .chain(self.buses.iter().filter(|b| b.name != "master").cloned())
            .collect()
    }

    /// Whether there is nothing to mix but a plain master: no buses (or a plain `"master"`)
    /// and no snapshots, so the mixer can sum straight into the output.
    pub fn is_plain(&self) -> bool {
        self.snapshots.is_empty()
            && self
                .buses
                .iter()
                .all(|b| b.name == "master" && b.is_plain())
    }

    /// Index of the snapshot called `name`.
    pub fn snapshot_index(&self, name: &str) -> Option<usize> {
        self.snapshots.iter().position(|s| s.name == name)
    }

    /// Whether a bus's built-in low-pass (`low`) or high-pass is ever used (set on the bus or
    /// by a snapshot), so the mixer runs it.
    pub fn uses_filter(&self, bus: &Bus, low: bool) -> bool {
        let own = if low { bus.lowpass_hz } else { bus.highpass_hz };
        own.is_some()
            || self.snapshots.iter().any(|s| {
                s.buses.iter().any(|b| {
                    b.bus == bus.name
                        && if low {
                            b.lowpass_hz.is_some()
                        } else {
                            b.highpass_hz.is_some()
                        }
                })
            })
    }

    /// The buses in an order where every bus comes after the buses that feed it (outputs,
    /// sends) and after its sidechain key; the master last. `None` when they form a cycle.
    pub fn processing_order(&self) -> Option<Vec<u16>> {
        let buses = self.numbered();
        let n = buses.len();
        // before[b]: buses that must be processed before b.
        let mut before: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, b) in buses.iter().enumerate() {
            if i == 0 {
                continue;
            }
            let out = b
                .output
                .as_deref()
                .and_then(|o| self.bus_index(o))
                .unwrap_or(0) as usize;
            before[out].push(i);
            for s in &b.sends {
                if let Some(t) = self.bus_index(&s.to) {
                    before[t as usize].push(i);
                }
            }
            if let Some(k) = b.sidechain.as_ref().and_then(|s| self.bus_index(&s.key)) {
                before[i].push(k as usize);
            }
        }
        if let Some(k) = buses[0]
            .sidechain
            .as_ref()
            .and_then(|s| self.bus_index(&s.key))
        {
            before[0].push(k as usize);
        }
        // Depth-first, post-order from the master.
        let mut order = Vec::with_capacity(n);
        let mut state = vec![0u8; n]; // 0 new, 1 on the stack, 2 done
        fn visit(i: usize, before: &[Vec<usize>], state: &mut [u8], order: &mut Vec<u16>) -> bool {
            match state[i] {
                1 => return false,
                2 => return true,
                _ => {}
            }
            state[i] = 1;
            for &j in &before[i] {
                if !visit(j, before, state, order) {
                    return false;
                }
            }
            state[i] = 2;
            order.push(i as u16);
            true
        }
        // Buses not reaching the master (none should) are still processed.
        for i in (1..n).chain(std::iter::once(0)) {
            if !visit(i, &before, &mut state, &mut order) {
                return None;
            }
        }
        // The master last.
        if let Some(p) = order.iter().position(|&b| b == 0) {
            let m = order.remove(p);
            order.push(m);
        }
        Some(order)
    }
}

impl Bus {
    /// A bus with nothing set.
    pub fn plain(name: &str) -> Bus {
        Bus {
            name: name.into(),
            output: None,
            gain_db: 0.0,
            lowpass_hz: None,
            highpass_hz: None,
            effects: Vec::new(),
            sends: Vec::new(),
            sidechain: None,
        }
    }

    fn is_plain(&self) -> bool {
        self.gain_db == 0.0
            && self.lowpass_hz.is_none()
            && self.highpass_hz.is_none()
            && self.effects.is_empty()
            && self.sends.is_empty()
            && self.sidechain.is_none()
    }
}

impl Score {
    /// The bus of layer `layer` of cue `cue` (its own `bus`, else its cue's, else the master).
    pub fn layer_bus(&self, cue: usize, layer: usize) -> u16 {
        let c = &self.cues[cue];
        c.layers[layer]
            .bus
            .as_deref()
            .or(c.bus.as_deref())
            .and_then(|b| self.mix.bus_index(b))
            .unwrap_or(0)
    }

    /// The bus of layer `layer` of segment `segment`.
    pub fn segment_bus(&self, segment: usize, layer: usize) -> u16 {
        self.segments[segment].layers[layer]
            .bus
            .as_deref()
            .and_then(|b| self.mix.bus_index(b))
            .unwrap_or(0)
    }

    /// The bus of stinger `stinger`.
    pub fn stinger_bus(&self, stinger: usize) -> u16 {
        self.stingers[stinger]
            .bus
            .as_deref()
            .and_then(|b| self.mix.bus_index(b))
            .unwrap_or(0)
    }

    /// The bus of composed bridges.
    pub fn bridge_bus(&self) -> u16 {
        self.mix
            .bridges
            .as_deref()
            .and_then(|b| self.mix.bus_index(b))
            .unwrap_or(0)
    }
}

type Result<T = ()> = std::result::Result<T, super::ScoreError>;

impl Score {
    /// Checks the mix: names, references, ranges and that the bus graph has no cycle; and that
    /// every `bus` and `snapshot` a cue, layer or stinger names exists.
    pub(super) fn check_mix(&self) -> Result {
        use super::validate::{invalid, range, unique, unknown};
        let mix = &self.mix;
        unique("bus", "", mix.buses.iter().map(|b| b.name.as_str()))?;
        unique(
            "snapshot",
            "",
            mix.snapshots.iter().map(|s| s.name.as_str()),
        )?;
        let names = || mix.buses.iter().map(|b| b.name.as_str()).chain(["master"]);
        let bus_ref = |item: &str, name: &str| -> Result {
            match mix.bus_index(name) {
                Some(_) => Ok(()),
                None => {
                    let e = unknown(item.into(), "bus", name, names());
                    Err(if super::closest_name(name, names()).is_none() {
                        e.hint(format!(
                            "declare it: `mix: (buses: [(name: \"{name}\")])`, or use \"master\""
                        ))
                    } else {
                        e
                    })
                }
            }
        };
        let db = |item: &str, what: &str, v: f32| -> Result {
            if (SILENT_DB..=24.0).contains(&v) {
                Ok(())
            } else {
                Err(range(item.into(), what, v as f64, "-96 to +24 dB"))
            }
        };
        let hz = |item: &str, what: &str, v: f32| -> Result {
            if (10.0..=24_000.0).contains(&v) {
                Ok(())
            } else {
                Err(range(item.into(), what, v as f64, "10 to 24000 Hz"))
            }
        };
        let unit = |item: &str, what: &str, v: f32| -> Result {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(range(item.into(), what, v as f64, "0 to 1"))
            }
        };
        let secs = |item: &str, what: &str, v: f32, lo: f32| -> Result {
            if v >= lo && v <= 60.0 {
                Ok(())
            } else {
                Err(range(
                    item.into(),
                    what,
                    v as f64,
                    &format!("{lo} to 60 seconds"),
                ))
            }
        };
        for b in &mix.buses {
            let item = format!("bus \"{}\"", b.name);
            if let Some(o) = &b.output {
                bus_ref(&item, o)?;
                if *o == b.name {
                    return Err(invalid(item, "a bus cannot output into itself")
                        .hint("leave `output` out to feed the master"));
                }
            }
            if b.name == "master" && b.output.is_some() {
                return Err(invalid(item, "the master bus has no output")
                    .hint("remove `output` from the master bus"));
            }
            db(&item, "gain_db", b.gain_db)?;
            if let Some(f) = b.lowpass_hz {
                hz(&item, "lowpass_hz", f)?;
            }
            if let Some(f) = b.highpass_hz {
                hz(&item, "highpass_hz", f)?;
            }
            unique(
                "send",
                &format!("{item} "),
                b.sends.iter().map(|s| s.to.as_str()),
            )?;
            for s in &b.sends {
                bus_ref(&item, &s.to)?;
                db(&item, "send gain_db", s.gain_db)?;
                if s.to == b.name {
                    return Err(invalid(item, "a bus cannot send to itself")
                        .hint("send to a return bus holding the effect"));
                }
            }
            if let Some(sc) = &b.sidechain {
                bus_ref(&item, &sc.key)?;
                if sc.key == b.name {
                    return Err(invalid(item, "a bus cannot duck itself")
                        .hint("key the sidechain on another bus, e.g. the stingers' bus"));
                }
                if !(SILENT_DB..=0.0).contains(&sc.depth_db) {
                    return Err(range(
                        item,
                        "sidechain depth_db",
                        sc.depth_db as f64,
                        "-96 to 0 dB",
                    )
                    .hint("ducking attenuates: use a negative number of dB"));
                }
                if !(SILENT_DB..=0.0).contains(&sc.threshold_db) {
                    return Err(range(
                        item,
                        "sidechain threshold_db",
                        sc.threshold_db as f64,
                        "-96 to 0 dBFS",
                    ));
                }
                secs(&item, "sidechain attack", sc.attack, 0.001)?;
                secs(&item, "sidechain hold", sc.hold, 0.0)?;
                secs(&item, "sidechain release", sc.release, 0.001)?;
            }
            for e in &b.effects {
                match *e {
                    Effect::LowPass { hz: f, resonance }
                    | Effect::HighPass { hz: f, resonance } => {
                        hz(&item, "filter hz", f)?;
                        unit(&item, "resonance", resonance)?;
                    }
                    Effect::Bell { hz: f, gain_db, q } => {
                        hz(&item, "Bell hz", f)?;
                        db(&item, "Bell gain_db", gain_db)?;
                        if !(0.05..=20.0).contains(&q) {
                            return Err(range(item, "Bell q", q as f64, "0.05 to 20"));
                        }
                    }
                    Effect::LowShelf { hz: f, gain_db } | Effect::HighShelf { hz: f, gain_db } => {
                        hz(&item, "shelf hz", f)?;
                        db(&item, "shelf gain_db", gain_db)?;
                    }
                    Effect::Reverb {
                        room,
                        damping,
                        width,
                        mix,
                    } => {
                        unit(&item, "Reverb room", room)?;
                        unit(&item, "Reverb damping", damping)?;
                        unit(&item, "Reverb width", width)?;
                        unit(&item, "Reverb mix", mix)?;
                    }
                    Effect::Delay {
                        seconds,
                        feedback_db,
                        mix,
                    } => {
                        secs(&item, "Delay seconds", seconds, 0.001)?;
                        if seconds > 4.0 {
                            return Err(range(
                                item,
                                "Delay seconds",
                                seconds as f64,
                                "0.001 to 4 seconds",
                            ));
                        }
                        if !(SILENT_DB..=0.0).contains(&feedback_db) {
                            return Err(range(
                                item,
                                "Delay feedback_db",
                                feedback_db as f64,
                                "-96 to 0 dB",
                            ));
                        }
                        unit(&item, "Delay mix", mix)?;
                    }
                    Effect::Compressor {
                        threshold_db,
                        ratio,
                        attack,
                        release,
                        makeup_db,
                    } => {
                        if !(SILENT_DB..=0.0).contains(&threshold_db) {
                            return Err(range(
                                item,
                                "Compressor threshold_db",
                                threshold_db as f64,
                                "-96 to 0 dBFS",
                            ));
                        }
                        if !(1.0..=100.0).contains(&ratio) {
                            return Err(range(item, "Compressor ratio", ratio as f64, "1 to 100"));
                        }
                        secs(&item, "Compressor attack", attack, 0.0001)?;
                        secs(&item, "Compressor release", release, 0.001)?;
                        db(&item, "Compressor makeup_db", makeup_db)?;
                    }
                }
            }
        }
        if mix.processing_order().is_none() {
            let item = mix
                .buses
                .first()
                .map(|b| format!("bus \"{}\"", b.name))
                .unwrap_or_else(|| "mix".into());
            return Err(invalid(
                item,
                "the buses' outputs, sends and sidechain keys form a cycle",
            )
            .hint(
                "a bus may not feed (or key) a bus that feeds it back; route returns to the master",
            ));
        }
        if let Some(b) = &mix.bridges {
            bus_ref("mix", b)?;
        }
        for s in &mix.snapshots {
            let item = format!("snapshot \"{}\"", s.name);
            secs(&item, "seconds", s.seconds, 0.0)?;
            for st in &s.buses {
                bus_ref(&item, &st.bus)?;
                if let Some(g) = st.gain_db {
                    db(&item, "gain_db", g)?;
                }
                if let Some(f) = st.lowpass_hz {
                    hz(&item, "lowpass_hz", f)?;
                }
                if let Some(f) = st.highpass_hz {
                    hz(&item, "highpass_hz", f)?;
                }
                let bus = mix.numbered().into_iter().find(|b| b.name == st.bus);
                for send in &st.sends {
                    db(&item, "send gain_db", send.gain_db)?;
                    let has = bus
                        .as_ref()
                        .is_some_and(|b| b.sends.iter().any(|x| x.to == send.to));
                    if !has {
                        return Err(invalid(
                            item,
                            format!("bus \"{}\" has no send to \"{}\"", st.bus, send.to),
                        )
                        .hint(format!(
                            "add `sends: [(to: \"{}\")]` to bus \"{}\", or remove it from the snapshot",
                            send.to, st.bus
                        )));
                    }
                }
            }
        }
        let snap_ref = |item: String, name: &str| -> Result {
            match mix.snapshot_index(name) {
                Some(_) => Ok(()),
                None => Err(unknown(
                    item,
                    "snapshot",
                    name,
                    mix.snapshots.iter().map(|s| s.name.as_str()),
                )),
            }
        };
        for c in &self.cues {
            let item = format!("cue \"{}\"", c.name);
            if let Some(b) = &c.bus {
                bus_ref(&item, b)?;
            }
            if let Some(s) = &c.snapshot {
                snap_ref(item.clone(), s)?;
            }
            for l in &c.layers {
                if let Some(b) = &l.bus {
                    bus_ref(&format!("{item} layer \"{}\"", l.name), b)?;
                }
            }
        }
        for sg in &self.segments {
            for l in &sg.layers {
                if let Some(b) = &l.bus {
                    bus_ref(&format!("segment \"{}\" layer \"{}\"", sg.name, l.name), b)?;
                }
            }
        }
        for st in &self.stingers {
            if let Some(b) = &st.bus {
                bus_ref(&format!("stinger \"{}\"", st.name), b)?;
            }
        }
        Ok(())
    }
}
