//! OSC from a real client over localhost: `python-osc` (from `PyPI`) when Python has it, else
//! liblo's `oscsend` (Debian `liblo-tools`); neither: SKIPPED, loudly. The actions drive a
//! conductor through the engine's offline [`Driver`], so the frame a message takes effect on
//! is measured, not assumed.

use std::net::UdpSocket;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use leitmotif_control::{Action, OscListener};
use leitmotif_core::conductor::{ActionKind, CONTROL_BLOCK, TimedInput};
use leitmotif_engine::{BankOptions, Driver, SourceBank};

const MAP: &str = r#"Control(osc: [
    (address: "/tension", to: Parameter("tension")),
    (address: "/crowd/db", to: Parameter("tension"), input: (-60.0, 0.0), clamp: true),
    (address: "/go", to: Cue("chase")),
    (address: "/hit", to: Stinger("hit")),
])"#;

/// An OSC argument for the client: (type tag, value as text).
type Arg = (char, String);

#[derive(Clone, Copy, Debug)]
enum Client {
    PythonOsc,
    OscSend,
}

/// `python-osc`, else `oscsend`; `LEITMOTIF_OSC_CLIENT=oscsend` picks liblo's even when
/// Python has `python-osc`.
fn client() -> Option<Client> {
    let oscsend = || Command::new("oscsend").output().is_ok();
    if std::env::var("LEITMOTIF_OSC_CLIENT").as_deref() == Ok("oscsend") {
        return oscsend().then_some(Client::OscSend);
    }
    let python = Command::new("python3")
        .args(["-c", "import pythonosc"])
        .output()
        .is_ok_and(|o| o.status.success());
    if python {
        return Some(Client::PythonOsc);
    }
    oscsend().then_some(Client::OscSend)
}

fn py_arg((tag, v): &Arg) -> String {
    match tag {
        'f' if v == "nan" => "float('nan')".into(),
        'f' => format!("float({v})"),
        'i' => format!("int({v})"),
        's' => format!("{v:?}"),
        _ => unreachable!(),
    }
}

/// Sends the messages, in order, from one client process.
fn send(client: Client, port: u16, messages: &[(&str, Vec<Arg>)]) {
    match client {
        Client::PythonOsc => {
            let mut script = format!(
                "from pythonosc.udp_client import SimpleUDPClient\nc = SimpleUDPClient('127.0.0.1', {port})\n"
            );
            for (addr, args) in messages {
                let args: Vec<String> = args.iter().map(py_arg).collect();
                script += &format!("c.send_message({addr:?}, [{}])\n", args.join(", "));
            }
            let out = Command::new("python3")
                .args(["-c", &script])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Client::OscSend => {
            for (addr, args) in messages {
                let mut cmd = Command::new("oscsend");
                cmd.args(["127.0.0.1", &port.to_string(), addr]);
                if !args.is_empty() {
                    cmd.arg(args.iter().map(|a| a.0).collect::<String>());
                    cmd.args(args.iter().map(|a| a.1.clone()));
                }
                let out = cmd.output().unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

fn f(v: &str) -> Vec<Arg> {
    vec![('f', v.to_string())]
}

fn s(v: &str) -> Vec<Arg> {
    vec![('s', v.to_string())]
}

fn listen() -> (OscListener, Receiver<Action>) {
    let (tx, rx) = channel();
    let listener = OscListener::bind(("127.0.0.1", 0), Some(crate::mapper(MAP)), move |a| {
        let _ = tx.send(a);
    })
    .expect("bind a UDP port on localhost");
    (listener, rx)
}

fn next(rx: &Receiver<Action>) -> Action {
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the listener passed an action on")
}

fn driver() -> Driver {
    let score = crate::score();
    let bank = SourceBank::load(
        &score,
        &BankOptions::for_score(Path::new("live.score.ron"), 48_000),
    )
    .expect("generated bank");
    Driver::new(score, Arc::new(bank), 7)
}

/// Renders one control block; returns the gain targets the plan set in it, with their frame.
fn block(d: &mut Driver) -> Vec<(u64, f32)> {
    let mut out = vec![[0.0f32; 2]; CONTROL_BLOCK as usize];
    d.render(&mut out, None);
    d.session()
        .actions()
        .iter()
        .filter_map(|a| match a.kind {
            ActionKind::Gain { target, .. } => Some((a.frame, target)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_message_moves_the_parameter_on_the_next_control_block() {
    let Some(client) = client() else {
        crate::skipped(
            "no OSC client: `pip install python-osc` or `apt-get install liblo-tools` (oscsend)",
        );
        return;
    };
    let (listener, rx) = listen();
    let port = listener.local_addr().port();
    let mut d = driver();
    let score = d.session().score().clone();
    for _ in 0..20 {
        block(&mut d);
    }
    assert_eq!(d.session().conductor().parameter(0), Some(0.0));

    send(client, port, &[("/tension", f("0.8"))]);
    let action = next(&rx);
    assert_eq!(
        action,
        Action::Parameter {
            name: "tension".into(),
            value: 0.8
        }
    );
    // It arrived while the plan reached `arrival`: it goes in at that frame, the first one
    // the conductor has not planned.
    let arrival = d.session().conductor().now();
    let input = action.to_input(&score).expect("a name of the score");
    d.push(TimedInput {
        frame: arrival,
        input,
    });
    let gains = block(&mut d);
    eprintln!(
        "OSC /tension 0.8 ({client:?}) arrived with the plan at frame {arrival}; gain ramps planned: {gains:?}"
    );
    assert_eq!(d.session().conductor().parameter(0), Some(0.8));
    let first = gains
        .first()
        .copied()
        .expect("the pad's gain follows tension");
    assert_eq!(
        first.0, arrival,
        "the gain ramp starts on the next control block"
    );
    assert!(
        (first.1 - 0.8).abs() < 0.05,
        "gain follows the curve: {first:?}"
    );

    // A crowd meter in dB: -15 dB maps to 0.75 and -80 dB clamps to 0.
    send(
        client,
        port,
        &[("/crowd/db", f("-15.0")), ("/crowd/db", f("-80.0"))],
    );
    for want in [0.75, 0.0] {
        match next(&rx) {
            Action::Parameter { value, .. } => assert!((value - want).abs() < 1e-6, "{value}"),
            other => panic!("{other:?}"),
        }
    }
    // Triggers and the built-in addresses.
    send(
        client,
        port,
        &[
            ("/go", vec![]),
            ("/hit", vec![('i', "1".into())]),
            ("/hit", vec![('i', "0".into())]), // a button's release: ignored
            ("/param/tension", vec![('i', "1".into())]),
            ("/cue", s("calm")),
            ("/stinger", s("hit")),
            ("/tempo", f("140")),
        ],
    );
    let got: Vec<Action> = (0..6).map(|_| next(&rx)).collect();
    assert!(
        matches!(&got[0], Action::Cue(n) if &**n == "chase"),
        "{got:?}"
    );
    assert!(
        matches!(&got[1], Action::Stinger(n) if &**n == "hit"),
        "{got:?}"
    );
    assert!(
        matches!(&got[2], Action::Parameter { value, .. } if *value == 1.0),
        "{got:?}"
    );
    assert!(
        matches!(&got[3], Action::Cue(n) if &**n == "calm"),
        "{got:?}"
    );
    assert!(
        matches!(&got[4], Action::Stinger(n) if &**n == "hit"),
        "{got:?}"
    );
    assert!(
        matches!(&got[5], Action::Tempo { bpm, .. } if *bpm == 140.0),
        "{got:?}"
    );
    let stats = listener.stats();
    assert_eq!(
        (
            stats.received,
            stats.applied,
            stats.ignored,
            stats.refused()
        ),
        (10, 9, 1, 0),
        "{stats}"
    );
}

#[test]
fn bad_messages_are_counted_and_ignored() {
    let Some(client) = client() else {
        crate::skipped(
            "no OSC client: `pip install python-osc` or `apt-get install liblo-tools` (oscsend)",
        );
        return;
    };
    let (listener, rx) = listen();
    let port = listener.local_addr().port();
    // From the real client: a wrong address, a wrong type, NaN, out of range, no argument,
    // an unknown cue through the built-in address, a non-number to the built-in tempo.
    send(
        client,
        port,
        &[
            ("/nothing", f("1.0")),
            ("/tension", s("loud")),
            ("/tension", f("nan")),
            ("/tension", f("5.0")),
            ("/tension", vec![]),
            ("/cue", s("nonexistent")),
            ("/tempo", s("fast")),
            ("/tempo", f("1000")),
        ],
    );
    // Raw bytes from a plain socket: garbage, a message cut in half, bundles nested 50 deep,
    // an empty datagram.
    let raw = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = ("127.0.0.1", port);
    raw.send_to(b"\x00\xffgarbage that is not OSC", to).unwrap();
    let good = rosc::encoder::encode(&rosc::OscPacket::Message(rosc::OscMessage {
        addr: "/tension".into(),
        args: vec![rosc::OscType::Float(0.5)],
    }))
    .unwrap();
    raw.send_to(&good[..good.len() - 3], to).unwrap();
    let mut nested = good.clone();
    for _ in 0..50 {
        let mut b = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
        b.extend_from_slice(&(nested.len() as u32).to_be_bytes());
        b.extend_from_slice(&nested);
        nested = b;
    }
    raw.send_to(&nested, to).unwrap();
    raw.send_to(&[], to).unwrap();
    // A bundle of two good messages, then a sentinel: when it arrives, all of the above
    // has been handled.
    let bundle = rosc::encoder::encode(&rosc::OscPacket::Bundle(rosc::OscBundle {
        timetag: (0, 1).into(),
        content: vec![
            rosc::OscPacket::Message(rosc::OscMessage {
                addr: "/tension".into(),
                args: vec![rosc::OscType::Double(0.25)],
            }),
            rosc::OscPacket::Message(rosc::OscMessage {
                addr: "/hit".into(),
                args: vec![],
            }),
        ],
    }))
    .unwrap();
    raw.send_to(&bundle, to).unwrap();
    send(client, port, &[("/param/tension", f("0.5"))]);
    let got: Vec<Action> = (0..3).map(|_| next(&rx)).collect();
    assert!(
        matches!(&got[0], Action::Parameter { value, .. } if *value == 0.25),
        "{got:?}"
    );
    assert!(matches!(&got[1], Action::Stinger(_)), "{got:?}");
    assert!(
        matches!(&got[2], Action::Parameter { value, .. } if *value == 0.5),
        "{got:?}"
    );
    assert!(rx.try_recv().is_err(), "nothing bad became an action");
    let st = listener.stats();
    eprintln!("after the bad messages: {st}");
    assert_eq!(st.received, 8 + 4 + 2 + 1, "{st}");
    assert_eq!(st.applied, 3, "{st}");
    assert_eq!(st.unmapped, 2, "{st}"); // /nothing, /cue nonexistent
    assert_eq!(st.wrong_type, 3, "{st}"); // "loud", no argument, /tempo "fast"
    assert_eq!(st.not_a_number, 1, "{st}");
    assert_eq!(st.out_of_range, 2, "{st}"); // 5.0, 1000 BPM
    assert_eq!(st.malformed, 4, "{st}"); // garbage, cut, nested, empty
}
