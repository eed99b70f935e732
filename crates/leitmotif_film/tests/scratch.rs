use leitmotif_film::*;
#[test]
fn dump() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/edl");
    for f in std::fs::read_dir(dir).unwrap() {
        let p = f.unwrap().path();
        let e = p.extension().unwrap();
        if e == "edl"
            || e == "md"
            || !p
                .to_string_lossy()
                .contains(&std::env::var("ONLY").unwrap_or_default())
        {
            continue;
        }
        match parse_cut_list(&p, &ParseOptions::default()) {
            Ok(l) => {
                println!("{}: {} {:?}", p.display(), l.rate, l.title);
                for e in &l.events {
                    println!(
                        "  {} {} {:?} {:?} src {}-{} rec {}-{} {:?}",
                        e.number,
                        e.track,
                        e.clip_name,
                        e.kind,
                        e.source_in,
                        e.source_out,
                        e.record_in,
                        e.record_out,
                        e.comments
                    );
                }
                for m in &l.markers {
                    println!(
                        "  M {} {} {:?} {:?} {:?} ev {:?}",
                        m.frame, m.timecode, m.name, m.colour, m.comment, m.event
                    );
                }
                for w in &l.warnings {
                    println!("  W {w}");
                }
            }
            Err(e) => println!("ERR {e}"),
        }
    }
}
