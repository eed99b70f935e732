use super::*;

fn df(s: &str) -> u64 {
    parse_frames(s, FrameRate::FPS_29_97_DF).unwrap()
}

#[test]
fn drop_frame_worked_examples() {
    assert_eq!(df("00:01:00;02"), 1800);
    assert_eq!(df("00:00:59;29"), 1799);
    assert_eq!(df("00:10:00;00"), 17982);
    assert_eq!(df("01:00:00;00"), 107_892);
    let r = FrameRate::FPS_59_94_DF;
    assert_eq!(parse_frames("00:01:00;04", r).unwrap(), 3600);
    assert_eq!(parse_frames("00:10:00;00", r).unwrap(), 35964);
}

#[test]
fn drop_frame_separator_at_29_97_ndf_is_drop() {
    let r = FrameRate::FPS_29_97_NDF;
    assert_eq!(parse_frames("00:01:00;02", r).unwrap(), 1800);
    assert_eq!(parse_frames("00:01:00:02", r).unwrap(), 1802);
}

#[test]
fn skipped_labels_do_not_exist() {
    let r = FrameRate::FPS_29_97_DF;
    for s in ["00:01:00;00", "00:01:00;01", "00:09:00;01"] {
        assert!(matches!(
            Timecode::parse(s, r),
            Err(TimecodeError::SkippedDropFrameLabel(_))
        ));
    }
    assert!(Timecode::parse("00:10:00;00", r).is_ok());
    assert!(Timecode::parse("00:01:00;02", r).is_ok());
    let r = FrameRate::FPS_59_94_DF;
    assert!(Timecode::parse("00:01:00;03", r).is_err());
    assert!(Timecode::parse("00:01:00;04", r).is_ok());
}

#[test]
fn twenty_four_hour_boundary() {
    let r = FrameRate::FPS_29_97_DF;
    let last = df("23:59:59;29");
    assert_eq!(last, 2_589_408 - 1);
    assert_eq!(Timecode::from_frames(last, r).to_string(), "23:59:59;29");
    assert_eq!(
        Timecode::from_frames(2_589_408, r).to_string(),
        "00:00:00;00"
    );
    assert_eq!(
        Timecode::from_frames(24 * 3600 * 25, FrameRate::FPS_25).to_string(),
        "00:00:00:00"
    );
}

#[test]
fn round_trip_first_twenty_minutes() {
    for rate in [
        FrameRate::FPS_29_97_DF,
        FrameRate::FPS_59_94_DF,
        FrameRate::FPS_23_976,
        FrameRate::FPS_25,
    ] {
        let end = u64::from(rate.nominal()) * 60 * 20;
        for n in 0..end {
            let tc = Timecode::from_frames(n, rate);
            let text = tc.to_string();
            assert_eq!(
                Timecode::parse(&text, rate).unwrap().to_frames(rate),
                n,
                "{text}"
            );
        }
    }
}

#[test]
fn field_errors() {
    let r = FrameRate::FPS_24;
    assert!(matches!(
        Timecode::parse("01:00:00:24", r),
        Err(TimecodeError::FrameOutOfRange {
            frames: 24,
            nominal: 24
        })
    ));
    assert!(matches!(
        Timecode::parse("01:60:00:00", r),
        Err(TimecodeError::MinutesOutOfRange(60))
    ));
    assert!(matches!(
        Timecode::parse("01:00:60:00", r),
        Err(TimecodeError::SecondsOutOfRange(60))
    ));
    assert!(matches!(
        Timecode::parse("24:00:00:00", r),
        Err(TimecodeError::HoursOutOfRange(24))
    ));
    assert!(matches!(
        Timecode::parse("01:00:00;00", FrameRate::FPS_25),
        Err(TimecodeError::DropFrameAtNonDropRate { .. })
    ));
    for bad in [
        "",
        "01:00:00",
        "01:00:0x:00",
        "1:2:3:4:5",
        "01;00:00:00",
        "0100:00:00",
        "::::",
        "01:00:00:",
    ] {
        assert!(Timecode::parse(bad, r).is_err(), "{bad}");
    }
}

#[test]
fn rates_parse_and_seconds() {
    assert_eq!(
        "23.976".parse::<FrameRate>().unwrap(),
        FrameRate::FPS_23_976
    );
    assert_eq!(
        "29.97df".parse::<FrameRate>().unwrap(),
        FrameRate::FPS_29_97_DF
    );
    assert_eq!(
        "29.97ndf".parse::<FrameRate>().unwrap(),
        FrameRate::FPS_29_97_NDF
    );
    assert_eq!(
        "59.94df".parse::<FrameRate>().unwrap(),
        FrameRate::FPS_59_94_DF
    );
    assert_eq!("25".parse::<FrameRate>().unwrap(), FrameRate::FPS_25);
    assert!("23.976df".parse::<FrameRate>().is_err());
    assert!("25df".parse::<FrameRate>().is_err());
    assert!("fast".parse::<FrameRate>().is_err());
    assert_eq!(FrameRate::FPS_23_976.nominal(), 24);
    assert_eq!(FrameRate::FPS_23_976.frames_to_seconds(24000), 1001.0);
    assert_eq!(FrameRate::FPS_29_97_DF.frames_to_seconds(30), 1.001);
    assert_eq!(FrameRate::from_fps_f64(23.976), Some(FrameRate::FPS_23_976));
    assert_eq!(FrameRate::from_fps_f64(30.0), Some(FrameRate::FPS_30));
    assert_eq!(
        FrameRate::FPS_30.rescale_from(50, FrameRate::integer(15).unwrap()),
        100
    );
}
