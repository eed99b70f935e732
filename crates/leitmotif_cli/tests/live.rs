//! `leitmotif live` on a real sound card: `PulseAudio`'s null sink (`eval "$(scripts/start-audio)"`,
//! as `.ci/run` does), driven by OSC datagrams sent to it over localhost. Without a server it
//! says SKIPPED loudly (`LEITMOTIF_REQUIRE_DEVICE=1` makes that a failure); a bad mapping
//! needs no device and always runs.

use std::io::Read;
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::Duration;

fn leitmotif() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leitmotif"))
}

fn score() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scores/stealth.score.ron")
}

/// An OSC message with one argument (`f` or `s`), encoded by hand (no client library here).
fn osc(addr: &str, arg: Result<f32, &str>) -> Vec<u8> {
    fn pad(mut b: Vec<u8>) -> Vec<u8> {
        b.push(0);
        while !b.len().is_multiple_of(4) {
            b.push(0);
        }
        b
    }
    let mut m = pad(addr.as_bytes().to_vec());
    match arg {
        Ok(v) => {
            m.extend(pad(b",f".to_vec()));
            m.extend(v.to_be_bytes());
        }
        Err(s) => {
            m.extend(pad(b",s".to_vec()));
            m.extend(pad(s.as_bytes().to_vec()));
        }
    }
    m
}

fn pulse_running() -> bool {
    Command::new("pactl")
        .arg("info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn live_plays_on_the_sound_card_and_takes_osc() {
    if !pulse_running() {
        if std::env::var_os("LEITMOTIF_REQUIRE_DEVICE").is_some() {
            panic!("no PulseAudio server and LEITMOTIF_REQUIRE_DEVICE is set");
        }
        eprintln!("SKIPPED: no PulseAudio server (eval \"$(scripts/start-audio)\")");
        eprintln!("SKIPPED: the `leitmotif live` device test did not run");
        return;
    }
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = leitmotif()
        .args([
            "live",
            score().to_str().unwrap(),
            "--osc",
            &port.to_string(),
            "--seconds",
            "2.5",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Send once it plays (a datagram sent before the port is bound is lost).
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut out = String::new();
    while !out.contains("live: playing") {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() == 0 {
            break;
        }
        out += &line;
    }
    std::thread::sleep(Duration::from_millis(200));
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    for m in [
        osc("/param/tension", Ok(0.9)),
        osc("/cue", Err("combat")),
        osc("/param/tension", Ok(f32::NAN)),
        b"garbage".to_vec(),
    ] {
        tx.send_to(&m, ("127.0.0.1", port)).unwrap();
    }
    stdout.read_to_string(&mut out).unwrap();
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{out}\n{err}");
    assert!(out.contains("live: playing \"Stealth\""), "{out}");
    assert!(out.contains("cue \"combat\" requested at frame"), "{out}");
    assert!(out.contains("transition \"explore\" → \"combat\""), "{out}");
    assert!(
        out.contains("osc: 4 received, 2 applied, 0 ignored, 2 refused (1 malformed, 0 unmapped, 0 wrong type, 1 NaN"),
        "{out}"
    );
    assert!(out.contains(" 0 late actions"), "{out}");
    let last = out.lines().rfind(|l| l.contains("clock")).unwrap_or("");
    assert!(!last.contains("tension 0.00"), "tension moved: {last}");
}

#[test]
fn a_mapping_that_does_not_fit_the_score_is_a_located_user_error() {
    let dir = std::env::temp_dir().join(format!("leitmotif-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let map = dir.join("bad.control.ron");
    std::fs::write(
        &map,
        "Control(\n  osc: [(address: \"/x\", to: Parameter(\"tensoin\"))],\n)\n",
    )
    .unwrap();
    let out = leitmotif()
        .args([
            "live",
            score().to_str().unwrap(),
            "--map",
            map.to_str().unwrap(),
            "--seconds",
            "1",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.control.ron:2:39: score \"Stealth\" has no parameter \"tensoin\""),
        "{err}"
    );
    assert!(err.contains("did you mean \"tension\"?"), "{err}");
}
