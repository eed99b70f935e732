//! The listeners: a UDP thread for OSC and a MIDI input port's callback (through `midir`:
//! ALSA on Linux, `CoreMIDI`, `WinMM`). Each maps what arrives and hands the actions to a sink
//! — a closure the caller gives, run on the listener's thread (never the audio thread).

use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::action::Action;
use crate::mapper::Mapper;
use crate::midi::MidiStream;
use crate::stats::{Counters, Refusal, Stats};

/// How often a blocked listener looks at its stop flag.
const POLL: Duration = Duration::from_millis(50);

/// Where actions go: called on the listener's thread, once per action, in arrival order.
pub type Sink = Box<dyn FnMut(Action) + Send>;

/// The mapper a listener uses, replaceable while it runs (a hot-reloaded score).
struct Current {
    mapper: Option<Mapper>,
    updates: Receiver<Mapper>,
}

impl Current {
    fn get(&mut self) -> Option<&Mapper> {
        while let Ok(m) = self.updates.try_recv() {
            self.mapper = Some(m);
        }
        self.mapper.as_ref()
    }
}

/// Runs `f`, counting a panic (a bug in a decoder) as a malformed message instead of ending
/// the listener.
fn guarded(counters: &Counters, f: impl FnOnce()) {
    if std::panic::catch_unwind(AssertUnwindSafe(f)).is_err() {
        counters.refused(Refusal::Malformed, || {
            "the decoder failed on this message".into()
        });
    }
}

/// Messages that arrive before there is a mapper (no score yet) are counted and dropped.
fn no_mapper(counters: &Counters) {
    counters.received();
    counters.refused(Refusal::Unmapped, || "no score is playing yet".into());
}

/// An OSC listener: a thread reading UDP datagrams on a port. Stops when dropped.
pub struct OscListener {
    addr: SocketAddr,
    counters: Arc<Counters>,
    updates: Sender<Mapper>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl OscListener {
    /// Binds `addr` (e.g. `("0.0.0.0", 9000)`; port 0 picks a free one) and starts the
    /// thread. Without a `mapper`, messages are counted as unmapped until
    /// [`set_mapper`](Self::set_mapper) gives one.
    pub fn bind(
        addr: impl ToSocketAddrs,
        mapper: Option<Mapper>,
        mut sink: impl FnMut(Action) + Send + 'static,
    ) -> std::io::Result<OscListener> {
        let socket = UdpSocket::bind(addr)?;
        socket.set_read_timeout(Some(POLL))?;
        let addr = socket.local_addr()?;
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (updates, rx) = channel();
        let mut current = Current {
            mapper,
            updates: rx,
        };
        let (c, s) = (counters.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("leitmotif-osc".into())
            .spawn(move || {
                // The largest UDP payload: nothing is cut short.
                let mut buf = vec![0u8; 65_536];
                while !s.load(Ordering::Relaxed) {
                    let n = match socket.recv_from(&mut buf) {
                        Ok((n, _)) => n,
                        Err(_) => continue, // timeout (look at the flag), or a stray ICMP error
                    };
                    let packet = &buf[..n];
                    match current.get() {
                        Some(m) => guarded(&c, || m.osc_packet(packet, &c, &mut sink)),
                        None => no_mapper(&c),
                    }
                }
            })?;
        Ok(OscListener {
            addr,
            counters,
            updates,
            stop,
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// What it has received so far.
    pub fn stats(&self) -> Stats {
        self.counters.stats()
    }

    /// Uses `mapper` from the next datagram on.
    pub fn set_mapper(&self, mapper: Mapper) {
        let _ = self.updates.send(mapper);
    }
}

impl Drop for OscListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A MIDI input problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MidiError {
    /// The system's MIDI service is not there (on Linux: no ALSA sequencer, `/dev/snd/seq`).
    #[error("no MIDI input available: {0}")]
    Unavailable(String),
    /// No port matches what was asked.
    #[error("no MIDI input port \"{asked}\" (ports: {})", if .ports.is_empty() { "none".to_string() } else { .ports.join("; ") })]
    NoSuchPort {
        /// What was asked for.
        asked: String,
        /// The ports there are.
        ports: Vec<String>,
    },
    /// The port could not be opened.
    #[error("cannot open MIDI input \"{port}\": {why}")]
    Connect {
        /// The port.
        port: String,
        /// Why.
        why: String,
    },
}

/// The MIDI input ports of the system, by name.
pub fn midi_ports() -> Result<Vec<String>, MidiError> {
    let input =
        midir::MidiInput::new("leitmotif").map_err(|e| MidiError::Unavailable(e.to_string()))?;
    Ok(input
        .ports()
        .iter()
        .map(|p| input.port_name(p).unwrap_or_else(|_| "?".into()))
        .collect())
}

/// A MIDI listener: a connection to an input port whose callback (on the MIDI library's
/// thread) maps every message. Disconnects when dropped.
pub struct MidiListener {
    port: String,
    counters: Arc<Counters>,
    updates: Sender<Mapper>,
    _connection: midir::MidiInputConnection<()>,
}

impl MidiListener {
    /// Connects to `port`: its number in [`midi_ports`], a part of its name (case
    /// insensitive), or `virtual` / `virtual:NAME` for a new port other programs connect to
    /// (ALSA and `CoreMIDI` only).
    pub fn connect(
        port: &str,
        mapper: Option<Mapper>,
        mut sink: impl FnMut(Action) + Send + 'static,
    ) -> Result<MidiListener, MidiError> {
        let mut input = midir::MidiInput::new("leitmotif")
            .map_err(|e| MidiError::Unavailable(e.to_string()))?;
        input.ignore(midir::Ignore::None);
        let counters = Arc::new(Counters::default());
        let (updates, rx) = channel();
        let mut current = Current {
            mapper,
            updates: rx,
        };
        let c = counters.clone();
        let mut stream = MidiStream::new();
        let callback = move |_stamp: u64, bytes: &[u8], _: &mut ()| match current.get() {
            Some(m) => guarded(&c, || m.midi_bytes(&mut stream, bytes, &c, &mut sink)),
            None => no_mapper(&c),
        };
        let (connection, name) = if let Some(rest) = port.strip_prefix("virtual") {
            let name = rest
                .strip_prefix(':')
                .filter(|n| !n.is_empty())
                .unwrap_or("leitmotif");
            (open_virtual(input, name, callback)?, name.to_string())
        } else {
            let ports = input.ports();
            let names: Vec<String> = ports
                .iter()
                .map(|p| input.port_name(p).unwrap_or_else(|_| "?".into()))
                .collect();
            let found = port
                .parse::<usize>()
                .ok()
                .filter(|&i| i < ports.len())
                .or_else(|| {
                    let want = port.to_lowercase();
                    names.iter().position(|n| n.to_lowercase().contains(&want))
                });
            let Some(i) = found else {
                return Err(MidiError::NoSuchPort {
                    asked: port.to_string(),
                    ports: names,
                });
            };
            let connection = input
                .connect(&ports[i], "leitmotif-in", callback, ())
                .map_err(|e| MidiError::Connect {
                    port: names[i].clone(),
                    why: e.to_string(),
                })?;
            (connection, names[i].clone())
        };
        Ok(MidiListener {
            port: name,
            counters,
            updates,
            _connection: connection,
        })
    }

    /// The port's name.
    pub fn port(&self) -> &str {
        &self.port
    }

    /// What it has received so far.
    pub fn stats(&self) -> Stats {
        self.counters.stats()
    }

    /// Uses `mapper` from the next message on.
    pub fn set_mapper(&self, mapper: Mapper) {
        let _ = self.updates.send(mapper);
    }
}

#[cfg(unix)]
fn open_virtual(
    input: midir::MidiInput,
    name: &str,
    callback: impl FnMut(u64, &[u8], &mut ()) + Send + 'static,
) -> Result<midir::MidiInputConnection<()>, MidiError> {
    use midir::os::unix::VirtualInput;
    input
        .create_virtual(name, callback, ())
        .map_err(|e| MidiError::Connect {
            port: format!("virtual:{name}"),
            why: e.to_string(),
        })
}

#[cfg(not(unix))]
fn open_virtual(
    _input: midir::MidiInput,
    name: &str,
    _callback: impl FnMut(u64, &[u8], &mut ()) + Send + 'static,
) -> Result<midir::MidiInputConnection<()>, MidiError> {
    Err(MidiError::Connect {
        port: format!("virtual:{name}"),
        why: "virtual ports exist on ALSA and CoreMIDI only".into(),
    })
}
