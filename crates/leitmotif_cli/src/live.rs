//! `leitmotif live`: plays a score on the sound card for a live performance, driven by OSC
//! and MIDI through a mapping file — the engine the Bevy plugin plays on a device (a
//! `Session` planned a lookahead ahead of the device's clock, its `MusicSound` on kira's
//! audio thread), without Bevy.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use clap::Args;
use leitmotif_cli::{Out, bank_options, user};
use leitmotif_control::{Action, ControlMap, Mapper, MidiListener, OscListener, Stats, midi_ports};
use leitmotif_core::Score;
use leitmotif_core::conductor::{EventKind, TimedInput};
use leitmotif_engine::device::{DeviceOutput, Lookahead, Playable};
use leitmotif_engine::{Session, SourceBank};

/// How often the planner wakes up (as the plugin's planner thread does).
const PLANNER_PERIOD: Duration = Duration::from_millis(2);
/// How often the status line is printed.
const STATUS_PERIOD: Duration = Duration::from_secs(1);

/// Arguments of `leitmotif live`.
#[derive(Args, Debug)]
#[command(
    after_help = "The mapping file's format is in docs/live-control.md. Without --map, the \
built-in OSC addresses work: /param/<name> f, /cue s, /stinger s, /tempo f.\n\
Example: leitmotif live scores/stealth.score.ron --osc 9000 --seconds 60\n         \
oscsend 127.0.0.1 9000 /param/tension f 0.8"
)]
pub struct LiveArgs {
    /// The score to play.
    pub score: PathBuf,
    /// Receive OSC on this UDP port (all interfaces).
    #[arg(long, value_name = "PORT")]
    pub osc: Option<u16>,
    /// Receive MIDI from this input port: its number or part of its name, `virtual[:NAME]` for
    /// a new port other programs connect to, or `list` to list the ports and exit.
    #[arg(long, value_name = "PORT|NAME")]
    pub midi: Option<String>,
    /// The mapping file (`*.control.ron`).
    #[arg(long, value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// Stop after this many seconds (default: play until interrupted).
    #[arg(long, value_name = "N")]
    pub seconds: Option<f64>,
    /// Frames planned ahead of the sound card, plus twice its measured callback step: how
    /// long after a message it is heard.
    #[arg(long, value_name = "FRAMES", default_value_t = 512)]
    pub buffer: u64,
    /// Seed for everything random (stinger variations, generated bridges).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// An action and the listener it came from.
type Arrival = (&'static str, Action);

/// `leitmotif live`.
pub fn live(a: LiveArgs) -> Result<()> {
    let mut out = Out::new();
    if a.midi.as_deref() == Some("list") {
        for (i, name) in midi_ports().map_err(|e| anyhow!(e))?.iter().enumerate() {
            writeln!(out, "{i}: {name}")?;
        }
        return Ok(());
    }
    if let Some(s) = a.seconds
        && !(s.is_finite() && s > 0.0)
    {
        return Err(user(format!(
            "--seconds {s}: expected a positive number of seconds"
        )));
    }
    let score = Arc::new(Score::load(&a.score).map_err(user)?);
    let map = match &a.map {
        Some(path) => ControlMap::load(path).map_err(user)?,
        None => ControlMap::default(),
    };
    let mapper = Mapper::new(&map, &score).map_err(user)?;
    if a.osc.is_none() && a.midi.is_none() {
        writeln!(
            out,
            "live: no --osc or --midi: playing without live control"
        )?;
    }

    let mut device = DeviceOutput::open(48_000, leitmotif_engine::device::DEFAULT_PERIOD_FRAMES).map_err(|e| {
        anyhow!("no sound card: {e} (hint: is a sound server running? `eval \"$(scripts/start-audio)\"` starts PulseAudio with a null sink)")
    })?;
    let rate = device.sample_rate();
    let bank = SourceBank::load(&score, &bank_options(&a.score, rate)).map_err(user)?;
    for w in &bank.warnings {
        eprintln!("warning: {}: {w}", a.score.display());
    }
    let (mut session, mut sound, shared) = Session::new(score.clone(), Arc::new(bank), a.seed);
    // As on the plugin's device path: a late disk or render never holds the plan up.
    sound.set_wait_for_streams(false);
    session.set_wait_for_renders(false);

    let (tx, rx) = channel::<Arrival>();
    let osc = match a.osc {
        Some(port) => {
            let tx = tx.clone();
            let l = OscListener::bind(("0.0.0.0", port), Some(mapper.clone()), move |act| {
                let _ = tx.send(("osc", act));
            })
            .map_err(|e| {
                user(format!(
                    "--osc {port}: cannot listen on udp port {port}: {e}"
                ))
            })?;
            writeln!(out, "live: OSC on udp {}", l.local_addr())?;
            Some(l)
        }
        None => None,
    };
    let midi = match &a.midi {
        Some(port) => {
            let tx = tx.clone();
            let l = MidiListener::connect(port, Some(mapper), move |act| {
                let _ = tx.send(("midi", act));
            })
            .map_err(|e| user(format!("--midi {port}: {e}")))?;
            writeln!(out, "live: MIDI from \"{}\"", l.port())?;
            Some(l)
        }
        None => None,
    };
    drop(tx);

    let mut lookahead = Lookahead::new(a.buffer, rate);
    session.plan(lookahead.observe(0));
    device.play(Playable(sound)).map_err(|e| anyhow!(e))?;
    writeln!(
        out,
        "live: playing \"{}\" at {rate} Hz{}",
        score.name,
        a.seconds.map_or(String::new(), |s| format!(" for {s} s"))
    )?;
    out.flush()?;

    let started = Instant::now();
    let mut conductor = Conducting {
        session,
        rate,
        last_landing: None,
    };
    let mut last_clock = 0;
    let mut next_status = started + STATUS_PERIOD;
    loop {
        let clock = shared.frame();
        let ahead = lookahead.observe(clock.saturating_sub(last_clock));
        last_clock = clock;
        conductor.take(&rx, clock, &mut out)?;
        conductor.plan(clock + ahead, &mut out)?;
        if shared.failed() {
            return Err(anyhow!("the audio thread stopped after an internal error"));
        }
        let now = Instant::now();
        if now >= next_status {
            next_status += STATUS_PERIOD;
            let stats = (
                osc.as_ref().map(OscListener::stats),
                midi.as_ref().map(MidiListener::stats),
            );
            conductor.status(now - started, clock, stats, &mut out)?;
        }
        if a.seconds
            .is_some_and(|s| (now - started).as_secs_f64() >= s)
        {
            break;
        }
        std::thread::sleep(PLANNER_PERIOD);
    }
    for (what, stats) in [
        ("osc", osc.as_ref().map(OscListener::stats)),
        ("midi", midi.as_ref().map(MidiListener::stats)),
    ] {
        if let Some(s) = stats {
            writeln!(out, "live: {what}: {s}")?;
        }
    }
    let o = shared.overloads();
    writeln!(
        out,
        "live: done after {:.1} s: {} frames played, {} late actions, {} underruns",
        started.elapsed().as_secs_f64(),
        shared.frame(),
        o.late_actions,
        o.underruns
    )?;
    Ok(())
}

/// The planner's side of `leitmotif live`.
struct Conducting {
    session: Session,
    rate: u32,
    /// The last input: (the frame it went in at, the clock when it arrived).
    last_landing: Option<(u64, u64)>,
}

impl Conducting {
    /// Takes what the listeners sent: each at the first frame the plan has not reached (the
    /// next control block planned).
    fn take(&mut self, rx: &Receiver<Arrival>, clock: u64, out: &mut Out) -> Result<()> {
        while let Ok((from, action)) = rx.try_recv() {
            let score = self.session.score().clone();
            let Some(input) = action.to_input(&score) else {
                continue; // a mapper checked against this score only names what it has
            };
            let frame = self.session.conductor().now();
            self.session.push(TimedInput { frame, input });
            self.last_landing = Some((frame, clock));
            let ms = frame.saturating_sub(clock) as f64 * 1000.0 / self.rate as f64;
            let what = match &action {
                Action::Parameter { .. } => continue, // shown in the status line
                Action::Cue(n) => format!("cue \"{n}\" requested"),
                Action::Stinger(n) => format!("stinger \"{n}\" triggered"),
                Action::Tempo { bpm, .. } => format!("tempo {bpm:.1} BPM asked"),
            };
            writeln!(
                out,
                "live: {from}: {what} at frame {frame} ({ms:.1} ms after it arrived)"
            )?;
        }
        Ok(())
    }

    /// Plans up to `horizon` and reports what the game would hear as events.
    fn plan(&mut self, horizon: u64, out: &mut Out) -> Result<()> {
        let score = self.session.score().clone();
        let cue = |i: u16| score.cues.get(i as usize).map_or("?", |c| c.name.as_str());
        for e in self.session.plan(horizon) {
            let at = e.frame as f64 / self.rate as f64;
            match e.kind {
                EventKind::CueStarted { cue: c } => {
                    writeln!(out, "live: {at:7.2} s  cue \"{}\" starts", cue(c))?
                }
                EventKind::TransitionStarted { from, to } => writeln!(
                    out,
                    "live: {at:7.2} s  transition \"{}\" → \"{}\"",
                    cue(from),
                    cue(to)
                )?,
                EventKind::Stinger { stinger, .. } => writeln!(
                    out,
                    "live: {at:7.2} s  stinger \"{}\"",
                    score
                        .stingers
                        .get(stinger as usize)
                        .map_or("?", |s| s.name.as_str())
                )?,
                EventKind::TempoChanged { millibpm, .. } => writeln!(
                    out,
                    "live: {at:7.2} s  tempo {:.1} BPM",
                    millibpm as f64 / 1000.0
                )?,
                EventKind::TempoCueRefused => writeln!(
                    out,
                    "live: {at:7.2} s  tempo cue refused (outside 10..=400 BPM or half to twice the cue's tempo)"
                )?,
                _ => {}
            }
        }
        Ok(())
    }

    fn status(
        &self,
        elapsed: Duration,
        clock: u64,
        (osc, midi): (Option<Stats>, Option<Stats>),
        out: &mut Out,
    ) -> Result<()> {
        let score = self.session.score();
        let c = self.session.conductor();
        let cue = c
            .current_cue()
            .and_then(|i| score.cues.get(i))
            .map_or("-", |c| c.name.as_str());
        let params: Vec<String> = score
            .parameters
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{} {:.2}", p.name, c.parameter(i).unwrap_or(0.0)))
            .collect();
        let mut line = format!(
            "live: {:6.1} s  clock {clock}  cue {cue}  {}",
            elapsed.as_secs_f64(),
            params.join("  ")
        );
        for (what, s) in [("osc", osc), ("midi", midi)] {
            if let Some(s) = s {
                line += &format!("  | {what}: {s}");
            }
        }
        if let Some((frame, at)) = self.last_landing {
            line += &format!(
                "  | last input at frame {frame}, {} frames after the clock",
                frame.saturating_sub(at)
            );
        }
        writeln!(out, "{line}")?;
        out.flush()?;
        Ok(())
    }
}
