//! Playing on a sound card: the lookahead a planner thread keeps ahead of a device's clock
//! and, with the `device` feature, the default output opened through kira's cpal backend.
//! The Bevy plugin and `leitmotif live` share both.

/// Frames of music planned ahead of the clock on a thread: the asked lookahead plus twice the
/// largest jump of the clock seen between two planner wake-ups (the device's callback size and
/// the scheduler's jitter, measured; at least 10 ms, at most half a second).
#[derive(Debug)]
pub struct Lookahead {
    base: u64,
    max_jump: u64,
    floor: u64,
    cap: u64,
}

impl Lookahead {
    /// A lookahead of at least `base` frames at `sample_rate`.
    pub fn new(base: u64, sample_rate: u32) -> Self {
        Lookahead {
            base,
            max_jump: 0,
            floor: sample_rate as u64 / 100,
            cap: sample_rate as u64 / 2,
        }
    }

    /// Records the clock's move since the last wake-up; returns the frames to plan ahead.
    pub fn observe(&mut self, jump: u64) -> u64 {
        self.max_jump = self.max_jump.max(jump.min(self.cap));
        self.base + 2 * self.max_jump.max(self.floor)
    }
}

#[cfg(feature = "device")]
pub use output::{DeviceOutput, Playable};

/// Frames per device period asked for by default (43 ms at 48 kHz; the device buffers two):
/// enough to ride out a loaded machine's scheduling hiccups. See `DeviceOutput::open`.
pub const DEFAULT_PERIOD_FRAMES: u32 = 2048;

#[cfg(feature = "device")]
mod output {
    use kira::backend::cpal::CpalBackendSettings;
    use kira::backend::cpal::cpal::traits::{DeviceTrait, HostTrait};
    use kira::backend::cpal::cpal::{BufferSize, StreamConfig, SupportedBufferSize};
    use kira::sound::{Sound, SoundData};

    /// Any kira [`Sound`] as [`SoundData`], to hand to [`DeviceOutput::play`].
    pub struct Playable<S>(pub S);

    impl<S: Sound + 'static> SoundData for Playable<S> {
        type Error = std::convert::Infallible;
        type Handle = ();

        fn into_sound(self) -> Result<(Box<dyn Sound>, ()), Self::Error> {
            Ok((Box::new(self.0), ()))
        }
    }

    /// The default output device, open (kira → cpal → ALSA/PulseAudio/CoreAudio/WASAPI).
    /// Sound stops when it is dropped.
    pub struct DeviceOutput {
        manager: kira::AudioManager<kira::DefaultBackend>,
        sample_rate: u32,
    }

    impl DeviceOutput {
        /// Opens the default output device at `preferred_rate` when it supports it, else at
        /// its default rate (see [`sample_rate`](Self::sample_rate)), with periods of
        /// `period_frames` (kept within what the device supports; cpal buffers two of them),
        /// or the device's own period for 0 — and that when the device refuses the size.
        pub fn open(preferred_rate: u32, period_frames: u32) -> Result<DeviceOutput, String> {
            let host = kira::backend::cpal::cpal::default_host();
            let Some(device) = host.default_output_device() else {
                return Err("no default output device".into());
            };
            let mut config = match device.default_output_config() {
                Ok(c) => c.config(),
                Err(e) => {
                    return Err(format!(
                        "the default output device has no usable configuration: {e}"
                    ));
                }
            };
            let mut periods = None;
            if let Ok(ranges) = device.supported_output_configs() {
                let supported = ranges.into_iter().find(|r| {
                    r.channels() == config.channels
                        && r.min_sample_rate() <= preferred_rate
                        && preferred_rate <= r.max_sample_rate()
                });
                if let Some(r) = supported {
                    config.sample_rate = preferred_rate;
                    periods = Some(*r.buffer_size());
                }
            }
            let sample_rate = config.sample_rate;
            if period_frames > 0 {
                let frames = match periods {
                    Some(SupportedBufferSize::Range { min, max }) => period_frames.clamp(min, max),
                    _ => period_frames,
                };
                config.buffer_size = BufferSize::Fixed(frames);
            }
            let open = |config: StreamConfig| {
                kira::AudioManager::<kira::DefaultBackend>::new(kira::AudioManagerSettings {
                    backend_settings: CpalBackendSettings {
                        device: Some(device.clone()),
                        config: Some(config),
                    },
                    ..Default::default()
                })
            };
            let opened = open(config).or_else(|e| match config.buffer_size {
                // A period size the device refuses: its own.
                BufferSize::Fixed(_) => open(StreamConfig {
                    buffer_size: BufferSize::Default,
                    ..config
                }),
                BufferSize::Default => Err(e),
            });
            match opened {
                Ok(manager) => Ok(DeviceOutput {
                    manager,
                    sample_rate,
                }),
                Err(e) => Err(format!("cannot open the audio stream: {e}")),
            }
        }

        /// The device's sample rate.
        pub fn sample_rate(&self) -> u32 {
            self.sample_rate
        }

        /// Plays `sound` on the device from now on.
        pub fn play<D: SoundData>(&mut self, sound: D) -> Result<D::Handle, String> {
            self.manager
                .play(sound)
                .map_err(|e| format!("cannot play on the audio device: {e}"))
        }
    }
}
