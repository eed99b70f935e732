//! An adversarial plan through the mixer: every kind of action with hostile values — offsets
//! past the end, starts long after their frame, zero-length and unknown sources, a voice pool
//! and an action queue overrun, NaN and infinite gains and cutoffs, frames from the far past and
//! the far future, stops of voices that never existed. The audio thread must not panic, must not
//! allocate, must output finite samples within the ceiling, and must count what it refused.

use std::sync::Arc;

use assert_no_alloc::{AllocDisabler, assert_no_alloc};
use leitmotif_core::conductor::{Action, ActionKind, SourceRef};
use leitmotif_engine::mixer::{CEILING, MAX_VOICES, Mixer, Msg};
use leitmotif_engine::{Clip, SourceBank, Stem};

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn f32(&mut self) -> f32 {
        match self.next() % 8 {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => f32::NEG_INFINITY,
            3 => -1e30,
            4 => 1e30,
            _ => (self.next() % 4000) as f32 / 1000.0 - 2.0,
        }
    }
}

fn bank() -> Arc<SourceBank> {
    let tone = |len: usize| {
        Clip::Memory(Arc::new(Stem {
            frames: (0..len)
                .map(|i| [(i as f32 * 0.01).sin() * 0.5; 2])
                .collect(),
        }))
    };
    Arc::new(SourceBank {
        sample_rate: 48_000,
        // A long stem, a one-frame stem and a zero-length stem.
        layers: vec![vec![
            tone(48_000),
            tone(1),
            Clip::Memory(Arc::new(Stem::default())),
        ]],
        layer_taps: vec![vec![0, 0, 0]],
        stingers: vec![vec![tone(4_800)]],
        tap_names: vec!["a".into(), "stingers".into(), "bridges".into()],
        ..Default::default()
    })
}

fn hostile(rng: &mut Rng, now: u64) -> Action {
    let frame = match rng.next() % 6 {
        0 => 0,                                        // long past
        1 => now.saturating_sub(rng.next() % 100_000), // late
        2 => u64::MAX - rng.next() % 10,               // never
        _ => now + rng.next() % 2_000,                 // soon
    };
    let voice = (rng.next() % 300) as u32;
    let source = match rng.next() % 6 {
        0 => SourceRef::Layer {
            cue: 0,
            layer: (rng.next() % 3) as u16,
        },
        1 => SourceRef::Layer {
            cue: (rng.next() % 3) as u16,
            layer: 9,
        },
        2 => SourceRef::SegmentLayer {
            segment: 4,
            layer: 0,
        },
        3 => SourceRef::Stinger {
            stinger: (rng.next() % 2) as u16,
            variation: (rng.next() % 2) as u16,
        },
        4 => SourceRef::Bridge(rng.next() as u32),
        _ => SourceRef::Layer { cue: 0, layer: 0 },
    };
    let kind = match rng.next() % 4 {
        0 => ActionKind::Start {
            voice,
            source,
            offset: match rng.next() % 3 {
                0 => u64::MAX - rng.next() % 5,
                1 => rng.next() % 100_000,
                _ => 0,
            },
            gain: rng.f32(),
            cutoff: rng.next().is_multiple_of(2).then(|| rng.f32()),
            pan: rng.f32(),
        },
        1 => ActionKind::Gain {
            voice,
            target: rng.f32(),
            frames: ((rng.next() % 3) as u32).wrapping_mul(rng.next() as u32),
        },
        2 => ActionKind::Cutoff {
            voice,
            hz: rng.f32(),
            frames: rng.next() as u32 % 10_000,
        },
        _ => ActionKind::Stop {
            voice,
            release: ((rng.next() % 3) as u32).wrapping_mul(rng.next() as u32 % 100_000),
        },
    };
    Action { frame, kind }
}

#[test]
fn a_hostile_plan_never_panics_allocates_or_clips_and_is_counted() {
    let mut mixer = Mixer::new(bank());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = vec![[0.0f32; 2]; 512];
    let mut worst = 0.0f32;
    // More starts than the pool holds, all valid and due now.
    let burst: Vec<Action> = (0..MAX_VOICES as u32 + 50)
        .map(|voice| Action {
            frame: 0,
            kind: ActionKind::Start {
                voice,
                source: SourceRef::Layer { cue: 0, layer: 0 },
                offset: 0,
                gain: 0.01,
                cutoff: None,
                pan: 0.0,
            },
        })
        .collect();
    assert_no_alloc(|| {
        for a in &burst {
            mixer.receive(Msg::Action(*a));
        }
        mixer.process(&mut out, None, 0);
    });
    assert_eq!(mixer.active_voices(), MAX_VOICES);
    assert_eq!(mixer.overloads().voice_pool_full, 50);
    for block in 0..2_000u64 {
        let now = mixer.frame();
        // Bursts far larger than the queue, then quiet blocks.
        let n = if block.is_multiple_of(50) {
            6_000
        } else {
            rng.next() % 40
        };
        let actions: Vec<Action> = (0..n).map(|_| hostile(&mut rng, now)).collect();
        let len = [1usize, 7, 128, 512][(block % 4) as usize];
        assert_no_alloc(|| {
            for a in &actions {
                mixer.receive(Msg::Action(*a));
            }
            mixer.process(&mut out[..len], None, 0);
        });
        for f in &out[..len] {
            assert!(f[0].is_finite() && f[1].is_finite(), "finite output");
            worst = worst.max(f[0].abs()).max(f[1].abs());
        }
        assert!(mixer.active_voices() <= MAX_VOICES);
    }
    assert!(worst <= CEILING + 1e-6, "limited: {worst}");
    let o = mixer.overloads();
    assert!(o.queue_full > 0, "queue overrun counted: {o:?}");
    assert!(o.voice_pool_full > 0, "pool overrun counted: {o:?}");
    assert!(o.started_past_end > 0, "past-end starts counted: {o:?}");
    assert!(o.missing_source > 0, "unknown sources counted: {o:?}");
    assert!(o.late_actions > 0, "late actions counted: {o:?}");
}

#[test]
fn a_start_past_the_stems_end_is_silence_not_a_panic() {
    // The case a device that runs ahead of the game hit: an offset beyond the source.
    let mut mixer = Mixer::new(bank());
    let mut out = vec![[0.0f32; 2]; 256];
    mixer.process(&mut out, None, 0);
    mixer.receive(Msg::Action(Action {
        frame: 0,
        kind: ActionKind::Start {
            voice: 1,
            source: SourceRef::Layer { cue: 0, layer: 0 },
            offset: 1_485_501,
            gain: 1.0,
            cutoff: None,
            pan: 0.0,
        },
    }));
    mixer.process(&mut out, None, 0);
    assert!(out.iter().all(|f| *f == [0.0; 2]));
    assert_eq!(mixer.active_voices(), 0);
    assert_eq!(mixer.overloads().started_past_end, 1);
}
