//! The score format: what a composer writes in a `*.score.ron` file.
//!
//! Every struct denies unknown fields, so a typo is an error with its line and column rather
//! than a silently ignored setting. `docs/score-format.md` documents each field with a complete
//! example; [`Score::from_ron`] parses and validates in one step.

mod curve;
mod load;
pub mod mix;
pub(crate) mod validate;

pub use curve::{Curve, CurvePoint, CurveShape};
pub use load::{ScoreError, ScoreErrorKind, ron_error_position, ron_syntax_hint};
pub use mix::{Bus, BusState, Effect, Mix, Send, Sidechain, Snapshot};
pub use validate::closest_name;

use serde::{Deserialize, Serialize};

/// A complete score: tempo, parameters, cues, transitions and stingers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Score {
    /// Display name of the score.
    pub name: String,
    /// Default tempo and meter, used by cues that do not set their own.
    pub tempo: Tempo,
    /// Key of the score, e.g. `"D minor"`; cues may override it.
    #[serde(default)]
    pub key: Option<String>,
    /// Game or timeline parameters that drive the music.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// Music states.
    pub cues: Vec<Cue>,
    /// The cue that plays first.
    pub initial_cue: String,
    /// Rules that pick a cue from parameter values.
    #[serde(default)]
    pub rules: Vec<CueRule>,
    /// How to move from one cue to another.
    #[serde(default)]
    pub transitions: Vec<TransitionRule>,
    /// Authored transition segments, referenced by [`Bridge::Segment`].
    #[serde(default)]
    pub segments: Vec<Segment>,
    /// One-shots synced to the beat.
    #[serde(default)]
    pub stingers: Vec<Stinger>,
    /// Melodic themes (leitmotifs) that cues can be tied to.
    #[serde(default)]
    pub themes: Vec<Theme>,
    /// Music ducking under stingers and dialogue.
    #[serde(default)]
    pub ducking: Ducking,
    /// Optional `SoundFont` used by generated layers that name `Soundfont` instruments.
    #[serde(default)]
    pub soundfont: Option<String>,
    /// Seed for everything random in this score (stinger variations, generated material).
    #[serde(default)]
    pub seed: u64,
    /// The musical style generated melodies, bass lines, progressions and bridge voices are
    /// written in (the built-in style when `None`).
    #[serde(default)]
    pub style: Option<StyleSource>,
    /// Buses, effects and snapshots (see [`Mix`]); empty: everything plays into the master.
    #[serde(default)]
    pub mix: Mix,
    /// Level that follows a parameter (the music's dynamics): cues may set their own.
    #[serde(default)]
    pub dynamics: Option<Dynamics>,
}

/// The music's level following a parameter (its intensity): at the parameter's maximum the
/// music plays at its own level, at its minimum `range_db` below, linearly in dB between.
/// Applies to cue layers, segments and bridges (not stingers), on top of their curves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dynamics {
    /// The parameter (e.g. `"tension"`).
    pub parameter: String,
    /// dB between the parameter's minimum and maximum (0..=48).
    pub range_db: f32,
}

/// Where a score's style comes from: a model trained by `leitmotif style train`, MIDI files to
/// learn from at load, or both (the model, trained further on the files). Paths are relative to
/// the score.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StyleSource {
    /// A trained model (`*.style.ron`).
    #[serde(default)]
    pub model: Option<String>,
    /// Standard MIDI Files or globs (`"style/*.mid"`) to learn the style from.
    #[serde(default)]
    pub midi: Vec<String>,
}

/// Tempo and meter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tempo {
    /// Beats per minute (quarter notes when the meter's unit is 4).
    pub bpm: f64,
    /// Meter as (beats per bar, beat unit), e.g. `(4, 4)`, `(6, 8)`.
    #[serde(default = "default_meter")]
    pub meter: (u32, u32),
    /// Tempo changes at bars (only in cues that do not loop).
    #[serde(default)]
    pub changes: Vec<TempoChange>,
}

fn default_meter() -> (u32, u32) {
    (4, 4)
}

/// A tempo change at the start of a bar, optionally reached by a linear ramp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TempoChange {
    /// 1-based bar at which the new tempo is reached.
    pub bar: u32,
    /// The new tempo.
    pub bpm: f64,
    /// When set, the tempo ramps linearly over this many beats before `bar`.
    #[serde(default)]
    pub ramp_beats: Option<u32>,
}

/// A parameter the game or the spotting list sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// Name used by the game and by curves.
    pub name: String,
    /// Lowest value.
    #[serde(default)]
    pub min: f32,
    /// Highest value.
    #[serde(default = "one")]
    pub max: f32,
    /// Value before anything sets it.
    #[serde(default)]
    pub default: f32,
    /// How fast the heard value follows the set value, in units per second (0 = instantly).
    #[serde(default)]
    pub seek_speed: f32,
}

fn one() -> f32 {
    1.0
}

/// A music state: layered stems that loop together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cue {
    /// Name used in requests, rules and transitions.
    pub name: String,
    /// Tempo of this cue's material; the score's tempo when absent.
    #[serde(default)]
    pub tempo: Option<Tempo>,
    /// Key of this cue, e.g. `"A minor"`.
    #[serde(default)]
    pub key: Option<String>,
    /// Length of the loop body in bars.
    pub bars: u32,
    /// Whether the body repeats until a transition leaves the cue.
    #[serde(default = "yes")]
    pub looping: bool,
    /// Pre-entry material before bar 1 in the stems, in beats (an upbeat).
    #[serde(default)]
    pub pickup_beats: u32,
    /// Post-exit material after the body in the stems, in beats (ring-out).
    #[serde(default)]
    pub tail_beats: u32,
    /// Chord symbols, one per bar of the body (repeat to fill), e.g. `["Dm", "Bb", "Gm", "A7"]`.
    #[serde(default)]
    pub chords: Vec<String>,
    /// Named positions within the body.
    #[serde(default)]
    pub markers: Vec<Marker>,
    /// The stems.
    pub layers: Vec<Layer>,
    /// A theme tied to this cue, foreshadowed by generated bridges into it.
    #[serde(default)]
    pub theme: Option<String>,
    /// Variants of this cue at other tempos, used to follow tempo cues.
    #[serde(default)]
    pub tempo_variants: Vec<TempoVariant>,
    /// Mood of the cue (valence, arousal in -1..1), used by auto-spotting.
    #[serde(default)]
    pub mood: Option<(f32, f32)>,
    /// How each pass picks its body among the layers' `alternates` (none: no variation).
    #[serde(default)]
    pub variation: CueVariation,
    /// The bus its layers play into unless a layer names its own (the master when absent).
    #[serde(default)]
    pub bus: Option<String>,
    /// A snapshot in force while this cue plays (blended in over the snapshot's `seconds`
    /// when the cue starts, out when it ends).
    #[serde(default)]
    pub snapshot: Option<String>,
    /// This cue's dynamics, instead of the score's.
    #[serde(default)]
    pub dynamics: Option<Dynamics>,
}

/// How a cue with alternates picks the body of each pass. Body 0 is every layer's `source`,
/// body `k` (1-based) every layer's `alternates[k - 1]` (a layer without alternates plays its
/// `source` in every body).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum CueVariation {
    /// No variation: every pass plays the layers' `source`.
    #[default]
    None,
    /// Bodies 0, 1, 2, … in turn, from the start again after the last.
    Sequence,
    /// Every body once per cycle in a seeded random order; the first body of a cycle is never
    /// the last of the one before.
    Shuffle,
    /// A seeded random body per pass, in proportion to `weights`.
    Random {
        /// One weight per body (≥ 0, not all 0); empty: all equal.
        #[serde(default)]
        weights: Vec<f32>,
        /// Never the same body twice in a row (when another has weight).
        #[serde(default = "yes")]
        avoid_repeat: bool,
    },
}

impl Cue {
    /// Number of bodies the cue varies between: 1 + the most alternates of a layer.
    pub fn bodies(&self) -> usize {
        1 + self
            .layers
            .iter()
            .map(|l| l.alternates.len())
            .max()
            .unwrap_or(0)
    }
}

fn yes() -> bool {
    true
}

/// A cue that plays the same music at another tempo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TempoVariant {
    /// Tempo of the variant.
    pub bpm: f64,
    /// Name of the cue holding the variant.
    pub cue: String,
}

/// A named position inside a cue's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marker {
    /// Name, used by `Sync::Marker` and reported to the game.
    pub name: String,
    /// 1-based bar.
    pub bar: u32,
    /// 1-based beat within the bar.
    #[serde(default = "one_u32")]
    pub beat: u32,
}

fn one_u32() -> u32 {
    1
}

/// One stem of a cue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// Name, unique in its cue.
    pub name: String,
    /// Where the audio comes from.
    pub source: Source,
    /// Base gain in decibels.
    #[serde(default)]
    pub gain_db: f32,
    /// Gain (linear 0..1 multiplier) over a parameter: vertical remixing.
    #[serde(default)]
    pub gain_curve: Option<Curve>,
    /// Low-pass cutoff in Hz over a parameter.
    #[serde(default)]
    pub cutoff_curve: Option<Curve>,
    /// Stereo pan, -1 (left) to 1 (right).
    #[serde(default)]
    pub pan: f32,
    /// How a `File` source is held: streamed from disk or decoded into memory.
    #[serde(default)]
    pub load: Load,
    /// The file is longer than the cue on purpose (a loop cut from a longer recording): only
    /// its first pickup + body + tail are heard, and its length is checked to be at least that.
    #[serde(default)]
    pub excerpt: bool,
    /// Alternative sources for the other bodies of a cue with a `variation`: `alternates[k]`
    /// plays in body `k + 1` (same length rules as `source`). Cue layers only.
    #[serde(default)]
    pub alternates: Vec<Source>,
    /// The bus it plays into (for a cue layer, the cue's `bus` when absent; else the master).
    #[serde(default)]
    pub bus: Option<String>,
}

/// How an audio file is held while it plays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Load {
    /// Streamed when the file is longer than the bank's threshold (10 s by default), held in
    /// memory otherwise.
    #[default]
    Auto,
    /// Read from disk while it plays: instant load and bounded memory; its first half second
    /// is kept in memory so starts from the top are sample-exact.
    Stream,
    /// Decoded whole at load (short stingers, loops that must start anywhere).
    Memory,
}

/// Where a layer's or stinger's audio comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Source {
    /// An audio file (OGG, FLAC, WAV, MP3), relative to the score's folder.
    File(String),
    /// Audio composed and synthesised by Leitmotif's own instruments.
    Generated(Generated),
    /// Silence of the cue's length (a placeholder layer).
    Silence,
}

/// A generated part: an instrument playing a part over the cue's chords.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generated {
    /// The instrument.
    pub instrument: Instrument,
    /// What it plays.
    pub part: Part,
    /// Octave of the part's register (4 = middle C's octave).
    #[serde(default = "four")]
    pub octave: i32,
    /// Note velocity 0..1.
    #[serde(default = "default_velocity")]
    pub velocity: f32,
    /// Extra seed mixed with the score's seed.
    #[serde(default)]
    pub seed: u64,
    /// Play the part live (cue layers only): its notes are composed at load, but each one is
    /// placed on the live tempo map and synthesised when it is due, so the part follows tempo
    /// cues exactly, is shaped by the curves below while it plays, and costs no synthesis at
    /// load. Off: the part is rendered once at load, at the cue's tempo.
    #[serde(default)]
    pub live: bool,
    /// Live parts: the share of notes played (0: none; 1: all; up to 2: that share of the
    /// notes is also split in two, doubling their rate), over a parameter.
    #[serde(default)]
    pub density_curve: Option<Box<Curve>>,
    /// Live parts: octaves added to every note (rounded to whole octaves, −3..=3).
    #[serde(default)]
    pub register_curve: Option<Box<Curve>>,
    /// Live parts: factor on every note's velocity (0..=2; the result is kept within 0..=1).
    #[serde(default)]
    pub velocity_curve: Option<Box<Curve>>,
    /// Live parts: factor on every note's length, from staccato (0.05) to legato (1) and
    /// over (up to 2).
    #[serde(default)]
    pub articulation_curve: Option<Box<Curve>>,
}

impl Generated {
    /// `instrument` playing `part` with every other field at its default (octave 4,
    /// velocity 0.8, seed 0, rendered at load).
    pub fn new(instrument: Instrument, part: Part) -> Self {
        Generated {
            instrument,
            part,
            octave: four(),
            velocity: default_velocity(),
            seed: 0,
            live: false,
            density_curve: None,
            register_curve: None,
            velocity_curve: None,
            articulation_curve: None,
        }
    }

    /// The shaping curves of a live part, in the order density, register, velocity,
    /// articulation.
    pub fn live_curves(&self) -> [Option<&Curve>; 4] {
        [
            self.density_curve.as_deref(),
            self.register_curve.as_deref(),
            self.velocity_curve.as_deref(),
            self.articulation_curve.as_deref(),
        ]
    }
}

fn four() -> i32 {
    4
}

fn default_velocity() -> f32 {
    0.8
}

/// Built-in instruments (no downloads), or a `SoundFont` preset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Instrument {
    /// Slow detuned saw pad.
    Pad,
    /// Sub/saw bass.
    Bass,
    /// Plucked string (Karplus-Strong).
    Pluck,
    /// Electric-piano-like keys.
    Keys,
    /// Lead synth.
    Lead,
    /// Bell / mallet.
    Bell,
    /// Strings ensemble.
    Strings,
    /// Synthesised drum kit.
    Drums,
    /// A preset from the score's `SoundFont`: (bank, preset).
    Soundfont(u16, u16),
}

/// What a generated layer plays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Part {
    /// Sustained chords, one per bar.
    Chords,
    /// A bass line on roots and fifths, `notes_per_bar` notes a bar.
    Bass(u32),
    /// An arpeggio of the chord, `notes_per_beat` notes a beat.
    Arpeggio(u32),
    /// A melody in the score's style (or the cue's theme when it has one).
    Melody,
    /// A repeated figure of scale degrees relative to the chord root, one per eighth note.
    Ostinato(Vec<i32>),
    /// A drum pattern.
    Drums(DrumStyle),
    /// A rising noise/filter swell over the whole cue.
    Riser,
}

/// Drum pattern styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DrumStyle {
    /// Sparse: kick on 1, rim on 3.
    Sparse,
    /// Rock/pop backbeat.
    Backbeat,
    /// Driving sixteenths for action.
    Driving,
    /// Half-time groove.
    HalfTime,
    /// Four on the floor.
    FourOnFloor,
}

/// Rules that pick a cue from parameter values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CueRule {
    /// The cue to play while all conditions hold.
    pub cue: String,
    /// Conditions, all of which must hold.
    pub when: Vec<Condition>,
    /// Width of the dead band around each threshold that stops the rule from flapping.
    #[serde(default = "default_hysteresis")]
    pub hysteresis: f32,
}

fn default_hysteresis() -> f32 {
    0.05
}

/// A condition on one parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Condition {
    /// `parameter >= value`.
    AtLeast(String, f32),
    /// `parameter < value`.
    Below(String, f32),
}

/// How a transition between two cues is made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionRule {
    /// Source cue name or pattern (`*`, `battle_*`).
    pub from: String,
    /// Target cue name or pattern.
    pub to: String,
    /// Where on the musical grid the change happens.
    #[serde(default)]
    pub sync: Sync,
    /// How long the outgoing cue fades.
    #[serde(default)]
    pub fade_out: Length,
    /// How long the incoming cue fades in.
    #[serde(default)]
    pub fade_in: Length,
    /// Fade shape.
    #[serde(default)]
    pub shape: CurveShape,
    /// Music between the two cues.
    #[serde(default)]
    pub bridge: Bridge,
    /// Where the target cue is entered.
    #[serde(default)]
    pub enter: Enter,
}

/// Where a transition enters its target cue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Enter {
    /// At its bar 1 (with its pickup before), on the sync point or after the bridge.
    #[default]
    Start,
    /// At the musical position the outgoing cue had reached at the sync point (its bar within
    /// the body, beat and tick; the bar wraps when the target is shorter), with no pickup:
    /// Wwise's "same time as playing segment".
    SamePosition,
    /// At the named marker of the target, on the sync point.
    Marker(String),
}

/// A sync point on the musical grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Sync {
    /// At once (the next control block).
    Immediate,
    /// The next beat.
    NextBeat,
    /// The next bar line.
    #[default]
    NextBar,
    /// The next bar whose number within the cue is 1 + a multiple of N.
    EveryBars(u32),
    /// The next occurrence of the named marker in the current cue.
    Marker(String),
    /// The end of the current loop pass.
    EndOfLoop,
}

/// A length in beats or seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Length {
    /// Musical length.
    Beats(f64),
    /// Clock length.
    Seconds(f64),
}

impl Default for Length {
    fn default() -> Self {
        Length::Beats(0.0)
    }
}

/// Music placed between two cues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub enum Bridge {
    /// None: the cues cross directly.
    #[default]
    None,
    /// An authored segment by name.
    Segment(String),
    /// Composed at run time from both cues' harmony, tempo and timbre, this many bars long.
    Generated(u32),
}

/// An authored transition segment: layers played once between two cues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Name referenced by [`Bridge::Segment`].
    pub name: String,
    /// Length in bars (at the source cue's tempo).
    pub bars: u32,
    /// Chord symbols, one per bar.
    #[serde(default)]
    pub chords: Vec<String>,
    /// The stems.
    pub layers: Vec<Layer>,
    /// Whether recorded layers are time-stretched to the tempo they are entered at (generated
    /// layers always are). Off: they play at their own speed, cut at the segment's end.
    #[serde(default)]
    pub stretch: bool,
}

/// A one-shot played on the grid over the music.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stinger {
    /// Name used by triggers.
    pub name: String,
    /// Where it lands.
    #[serde(default = "next_beat")]
    pub sync: Sync,
    /// Weighted variations; one is picked at random (seeded).
    pub variations: Vec<Variation>,
    /// A trigger within this many seconds of the last play is ignored.
    #[serde(default)]
    pub no_repeat_seconds: f32,
    /// Never pick the variation played last time (when there is more than one).
    #[serde(default = "yes")]
    pub avoid_repeat: bool,
    /// Gain in decibels.
    #[serde(default)]
    pub gain_db: f32,
    /// The bus it plays into (the master when absent).
    #[serde(default)]
    pub bus: Option<String>,
}

fn next_beat() -> Sync {
    Sync::NextBeat
}

/// One variation of a stinger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variation {
    /// The audio.
    pub source: Source,
    /// Relative weight.
    #[serde(default = "one")]
    pub weight: f32,
    /// Length in beats (generated stingers).
    #[serde(default = "two_beats")]
    pub beats: u32,
    /// How a `File` source is held (see [`Load`]).
    #[serde(default)]
    pub load: Load,
}

fn two_beats() -> u32 {
    2
}

/// A melodic theme: notes as (MIDI pitch, length in beats); pitch `-1` is a rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// Name referenced by cues.
    pub name: String,
    /// The notes.
    #[serde(default)]
    pub notes: Vec<(i32, f32)>,
    /// A Standard MIDI File holding the theme (first track with notes), relative to the score.
    #[serde(default)]
    pub midi: Option<String>,
}

/// How music ducks under stingers and dialogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ducking {
    /// Attenuation of the music while a stinger plays, in dB (negative).
    #[serde(default = "default_duck")]
    pub stinger_db: f32,
    /// Attenuation at full dialogue level, in dB (negative).
    #[serde(default = "default_dialogue_duck")]
    pub dialogue_db: f32,
    /// Attack and release in seconds.
    #[serde(default = "default_duck_time")]
    pub seconds: f32,
}

fn default_duck() -> f32 {
    -6.0
}
fn default_dialogue_duck() -> f32 {
    -12.0
}
fn default_duck_time() -> f32 {
    0.15
}

impl Default for Ducking {
    fn default() -> Self {
        Ducking {
            stinger_db: default_duck(),
            dialogue_db: default_dialogue_duck(),
            seconds: default_duck_time(),
        }
    }
}

impl Score {
    /// The cue called `name`.
    pub fn cue(&self, name: &str) -> Option<&Cue> {
        self.cues.iter().find(|c| c.name == name)
    }

    /// Index of the cue called `name`.
    pub fn cue_index(&self, name: &str) -> Option<usize> {
        self.cues.iter().position(|c| c.name == name)
    }

    /// The tempo a cue plays at.
    pub fn cue_tempo<'a>(&'a self, cue: &'a Cue) -> &'a Tempo {
        cue.tempo.as_ref().unwrap_or(&self.tempo)
    }

    /// Index of the parameter called `name`.
    pub fn parameter_index(&self, name: &str) -> Option<usize> {
        self.parameters.iter().position(|p| p.name == name)
    }
}
