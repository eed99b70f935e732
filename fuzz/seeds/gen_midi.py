#!/usr/bin/env python3
"""Writes small Standard MIDI Files as seeds for the `midi` fuzz target.

Usage: gen_midi.py OUT_DIR

Each file exercises something `leitmotif_gen::midi::read_theme` handles: format 0 and 1,
a conductor track before the melody, note-off as 0x80 and as note-on with velocity 0,
running status, chords (highest note wins), rests, overlaps, several channels, drums,
controllers, pitch bend, sysex and meta events, long variable-length deltas, unmatched
note-ons, SMPTE timing (rejected) and a file without notes (rejected). All written here,
so they carry no third-party licence.
"""

import os
import struct
import sys


def vlq(n):
    """MIDI variable-length quantity."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def track(events):
    """events: list of (delta, raw bytes); EndOfTrack appended."""
    body = b"".join(vlq(d) + e for d, e in events) + vlq(0) + b"\xff\x2f\x00"
    return b"MTrk" + struct.pack(">I", len(body)) + body


def smf(fmt, division, tracks):
    return b"MThd" + struct.pack(">IHHH", 6, fmt, len(tracks), division) + b"".join(tracks)


def meta(kind, data):
    return b"\xff" + bytes([kind]) + vlq(len(data)) + data


def on(ch, key, vel=100):
    return bytes([0x90 | ch, key, vel])


def off(ch, key, vel=64):
    return bytes([0x80 | ch, key, vel])


def conductor():
    return track(
        [
            (0, meta(0x03, b"conductor")),
            (0, meta(0x58, bytes([4, 2, 24, 8]))),  # 4/4
            (0, meta(0x59, bytes([0xFE, 1]))),  # 2 flats, minor
            (0, meta(0x51, (500000).to_bytes(3, "big"))),  # 120 bpm
            (1920, meta(0x51, (400000).to_bytes(3, "big"))),
        ]
    )


def melody(ch=0, ppq=480, notes=((60, 1), (62, 1), (64, 0.5), (65, 0.5), (67, 2))):
    ev = [(0, meta(0x03, b"theme")), (0, bytes([0xC0 | ch, 81]))]
    for key, beats in notes:
        ev.append((0, on(ch, key)))
        ev.append((int(beats * ppq), off(ch, key)))
    return track(ev)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = {}

    # Format 0: one track with everything.
    files["fmt0_melody.mid"] = smf(0, 480, [melody()])

    # Format 1: conductor, then the melody (read_theme takes the first track with notes).
    files["fmt1_conductor_melody.mid"] = smf(1, 480, [conductor(), melody()])

    # Note-on velocity 0 as note-off, with running status.
    body = [(0, bytes([0x91, 62, 90])), (240, bytes([62, 0])), (0, bytes([65, 80])),
            (240, bytes([65, 0])), (240, bytes([69, 70])), (480, bytes([69, 0]))]
    files["running_status_vel0.mid"] = smf(1, 240, [conductor(), track(body)])

    # Chords (highest wins), a rest, an overlap cut by the next onset.
    ch = [(0, on(0, 60)), (0, on(0, 64)), (0, on(0, 67)), (480, off(0, 60)), (0, off(0, 64)),
          (0, off(0, 67)), (480, on(0, 72)), (240, on(0, 71)), (480, off(0, 72)),
          (0, off(0, 71)), (0, on(0, 60)), (960, off(0, 60))]
    files["chords_rest_overlap.mid"] = smf(0, 480, [track(ch)])

    # Several channels, drums on channel 10, controllers, pitch bend, aftertouch, sysex, text.
    mix = [(0, meta(0x01, b"text")), (0, b"\xf0\x05\x7e\x7f\x09\x01\xf7"),
           (0, bytes([0xB0, 7, 100])), (0, bytes([0xB0, 10, 64])), (0, bytes([0xE0, 0, 64])),
           (0, on(9, 36)), (0, on(1, 50)), (120, bytes([0xA1, 50, 30])), (0, bytes([0xD1, 40])),
           (120, off(9, 36)), (0, off(1, 50)), (0, meta(0x06, b"marker")), (0, on(2, 55, 1)),
           (480, off(2, 55))]
    files["channels_drums_sysex.mid"] = smf(1, 96, [conductor(), track(mix)])

    # Drums-only track first, then a melody on another track.
    drums = track([(0, on(9, 36)), (120, off(9, 36)), (0, on(9, 38)), (120, off(9, 38))])
    files["drums_then_melody.mid"] = smf(1, 120, [drums, melody(ch=3, ppq=120)])

    # One tick per quarter, long deltas (4-byte VLQ), extreme keys.
    files["ppq1_long_deltas.mid"] = smf(
        0, 1, [track([(0, on(0, 0)), (0x0FFFFFFF, off(0, 0)), (0x200000, on(0, 127)),
                      (3, off(0, 127))])])

    # Unmatched note-ons, off without on, empty track first.
    files["unmatched.mid"] = smf(
        1, 480, [track([]), track([(0, on(0, 60)), (480, on(0, 62)), (480, off(0, 64)),
                                   (480, off(0, 62))])])

    # Rejected: SMPTE timing (-25 fps, 40 ticks per frame), and a file without notes.
    files["smpte.mid"] = smf(0, ((-25) & 0xFF) << 8 | 40, [melody()])
    files["no_notes.mid"] = smf(1, 480, [conductor()])

    # Format 2 (independent sequences), tiny.
    files["fmt2.mid"] = smf(2, 48, [melody(ppq=48, notes=((70, 1),)), melody(ppq=48)])

    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
